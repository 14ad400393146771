"""The planted-key test: with fake credentials configured and every fetch failing, the key
strings appear nowhere: not on stdout or stderr (logs at INFO included), not in any file under
the data root, not in the warehouse file's bytes nor in any of its text columns."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from pipelines.secrets import MaskingFilter, mask
from support import REPO, make_config_dir

FRED_KEY = "fredPLANTEDkey0123456789abcdef01"
TIINGO_TOKEN = "tiingoPLANTEDtoken9876543210fedcba"


@pytest.fixture
def empty_prices_api():
    """A price API that answers every request with no rows, so the run goes on to FRED."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def leaks(home: Path, *outputs: str) -> list[str]:
    """Every place a planted secret shows up."""
    found = [f"output {i}" for i, text in enumerate(outputs) for k in (FRED_KEY, TIINGO_TOKEN) if k in text]
    for path in sorted(home.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += [str(path) for k in (FRED_KEY, TIINGO_TOKEN) if k.encode() in data]
    warehouse = home / "warehouse.duckdb"
    if warehouse.exists():
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            cols = con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                               "WHERE data_type = 'VARCHAR' AND NOT internal").fetchall()
            for table, column in cols:
                n = con.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" LIKE ? OR "{column}" LIKE ?',
                                ["%PLANTED%", "%planted%"]).fetchone()[0]
                found += [f"{table}.{column}"] * (n > 0)
        finally:
            con.close()
    return found


def run_cli(home: Path, config: Path, env_extra: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAA_HOME": str(home), "DAA_CONFIG_DIR": str(config), "DAA_SOURCE": "live",
           "FRED_API_KEY": FRED_KEY, "TIINGO_API_TOKEN": TIINGO_TOKEN, **env_extra}
    return subprocess.run([sys.executable, "-m", "pipelines", "-v", *argv], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=300)


@pytest.mark.parametrize("command", [["run", "--date", "2016-12-30"], ["ingest", "--date", "2016-12-30"]])
def test_a_planted_fred_key_lands_nowhere(tmp_path, empty_prices_api, command):
    """FRED unreachable (no such host): requests' errors carry the URL with api_key=<key>."""
    home, config = tmp_path / "home", make_config_dir(tmp_path / "config")
    res = run_cli(home, config, {"DAA_TIINGO_URL": empty_prices_api, "DAA_FRED_URL": "http://fred.invalid"},
                  *command)
    assert res.returncode == 2 and "fred" in res.stderr and "api_key=***" in res.stderr, res.stderr[-2000:]
    assert leaks(home, res.stdout, res.stderr) == []
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    rows = con.execute("SELECT step, status, message FROM pipeline_runs").fetchall()
    con.close()
    assert [r[:2] for r in rows] == [(f"cli.{command[0]}", "failed")] and "api_key=***" in rows[0][2]


def test_a_planted_price_token_lands_nowhere(tmp_path):
    """The price API refuses connections; its token travels in a header."""
    home, config = tmp_path / "home", make_config_dir(tmp_path / "config")
    res = run_cli(home, config, {"DAA_TIINGO_URL": "http://127.0.0.1:9", "DAA_FRED_URL": "http://fred.invalid"},
                  "ingest", "--date", "2016-12-30")
    assert res.returncode == 2 and "tiingo" in res.stderr
    assert leaks(home, res.stdout, res.stderr) == []


@pytest.mark.parametrize("text", [
    "GET https://api.stlouisfed.org/fred/series/observations?series_id=X&api_key=abcdef123456&file_type=json",
    "{'Authorization': 'Token abcdef123456'}",
    "postgresql://airflow:abcdef123456@db:5432/airflow",
    "token=abcdef123456",
    '{"password": "abcdef123456"}',
])
def test_credentials_are_masked_even_when_not_configured(text):
    assert "abcdef123456" not in mask(text) and "***" in mask(text)


def test_configured_values_are_masked_anywhere(monkeypatch):
    monkeypatch.setenv("FRED_API_KEY", FRED_KEY)
    monkeypatch.setenv("AIRFLOW_CONN_FRED", '{"conn_type": "http", "password": "connPASSWORD42"}')
    assert mask(f"x{FRED_KEY}y and connPASSWORD42") == "x***y and ***"


def test_log_records_and_their_tracebacks_are_masked(monkeypatch):
    import logging

    monkeypatch.setenv("FRED_API_KEY", FRED_KEY)
    try:
        raise RuntimeError(f"failed with {FRED_KEY}")
    except RuntimeError:
        record = logging.getLogger("t").makeRecord("t", logging.ERROR, __file__, 1, "key %s", (FRED_KEY,),
                                                   sys.exc_info())
    MaskingFilter().filter(record)
    assert FRED_KEY not in logging.Formatter().format(record)
