"""HTTP policies against a local server: retries, backoff, rate limits, auth and bad bodies."""

from __future__ import annotations

import json

import pytest
import requests
from replay_server import Reply

from pipelines.ingest.http import AuthError, HttpClient, HttpError, NotFound, credential
from pipelines.ingest.sources import MalformedInput


def client(url: str, sleeps: list[float], **kw) -> HttpClient:
    return HttpClient(url, service="test", credential_hint="TEST_TOKEN", sleep=sleeps.append, **kw)


def test_retries_server_errors_with_exponential_backoff(replay):
    replay.add("/x", Reply(503, "busy"), Reply(502, "bad gateway"), Reply(200, '{"ok": 1}'))
    sleeps: list[float] = []
    assert client(replay.url, sleeps, backoff=0.5).get_json("x") == {"ok": 1}
    assert sleeps == [0.5, 1.0] and len(replay.calls("/x")) == 3


def test_rate_limit_honours_retry_after(replay):
    replay.add("/x", Reply(429, "slow down", {"Retry-After": "7"}), Reply(200, "[]"))
    sleeps: list[float] = []
    assert client(replay.url, sleeps).get_json("x") == []
    assert sleeps == [7.0]


def test_gives_up_after_retries(replay):
    replay.add("/x", Reply(500, "boom"))
    sleeps: list[float] = []
    with pytest.raises(HttpError, match=r"giving up after 3 attempts: HTTP 500: boom"):
        client(replay.url, sleeps, retries=2, backoff=1.0).get("x")
    assert sleeps == [1.0, 2.0]


def test_auth_error_is_not_retried_and_hides_the_secret(replay):
    replay.add("/x", Reply(401, '{"detail":"Invalid token."}'))
    sleeps: list[float] = []
    with pytest.raises(AuthError) as info:
        client(replay.url, sleeps).get("x", {"token": "s3cret", "q": 1})
    assert "check TEST_TOKEN" in str(info.value) and "Invalid token" in str(info.value)
    assert "s3cret" not in str(info.value)
    assert sleeps == [] and len(replay.calls("/x")) == 1


def test_not_found_and_other_client_errors(replay):
    replay.add("/missing", Reply(404, '{"detail":"nope"}'))
    replay.add("/bad", Reply(400, '{"error":"bad"}'))
    with pytest.raises(NotFound):
        client(replay.url, []).get("missing")
    with pytest.raises(HttpError, match="HTTP 400"):
        client(replay.url, []).get("bad")
    assert len(replay.calls("/bad")) == 1


def test_timeout_is_retried(replay):
    replay.add("/slow", Reply(200, "{}", delay=0.5), Reply(200, '{"fast": true}'))
    sleeps: list[float] = []
    c = client(replay.url, sleeps, timeout=(1.0, 0.1), backoff=0.01)
    assert c.get_json("slow") == {"fast": True}
    assert len(sleeps) == 1


def test_connection_refused_is_reported(unused_port):
    with pytest.raises(HttpError, match="ConnectionError"):
        client(f"http://127.0.0.1:{unused_port}", [], retries=1, backoff=0.0).get("x")


def test_malformed_body(replay):
    replay.add("/html", Reply(200, "<html>502 Bad Gateway</html>", {"Content-Type": "text/html"}))
    with pytest.raises(MalformedInput, match="not JSON .*text/html"):
        client(replay.url, []).get_json("html")


def test_min_interval_throttles(replay):
    replay.add("/x", Reply(200, "{}"))
    sleeps: list[float] = []
    c = client(replay.url, sleeps, min_interval=30.0)
    c.get("x")
    c.get("x")
    assert len(sleeps) == 1 and 29.0 < sleeps[0] <= 30.0


def test_credential_from_env_or_airflow_connection(monkeypatch):
    monkeypatch.delenv("MY_TOKEN", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_MYAPI", raising=False)
    assert credential("MY_TOKEN", "myapi") is None
    monkeypatch.setenv("AIRFLOW_CONN_MYAPI", json.dumps({"conn_type": "http", "password": "p@ss"}))
    assert credential("MY_TOKEN", "myapi") == "p@ss"
    monkeypatch.setenv("AIRFLOW_CONN_MYAPI", "http://:tok%2Fen@api.example.com")
    assert credential("MY_TOKEN", "myapi") == "tok/en"
    monkeypatch.setenv("MY_TOKEN", "from-env")
    assert credential("MY_TOKEN", "myapi") == "from-env"


@pytest.fixture()
def unused_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_requests_is_the_transport():
    # The client is a plain requests.Session: proxies and CA bundles work as users expect.
    assert isinstance(HttpClient("http://x", service="t").session, requests.Session)
