"""The production topology of docker-compose.yml, run natively as separate processes.

A throwaway PostgreSQL cluster (initdb in a temp dir), Redis on a free loopback port, and
Airflow with the CeleryExecutor: api-server, scheduler, dag-processor, triggerer and two Celery
workers. Every process is started in its own session and stopped by its PID (SIGTERM, then
SIGKILL after a grace period). Used by tests/stack/check_stack.py (`make stack-test`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin() -> Path:
    """Debian's server binaries live in /usr/lib/postgresql/<version>/bin (not on PATH)."""
    root = Path("/usr/lib/postgresql")
    versions = sorted((p for p in root.glob("*/bin") if (p / "initdb").exists()),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    if not versions:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install -y postgresql")
    return versions[-1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: drop to the `postgres` user when root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def wait_until(what: str, check, timeout: float, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - reported on timeout
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last_error})")


@dataclass
class Stack:
    root: Path
    env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    _token: str | None = None

    # ------------------------------------------------------------------ layout and environment
    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    def configure(self, daa_home: Path, config_dir: Path) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for name in ("pg", "redis", "api", "worker1_logs", "worker2_logs", "triggerer_logs", "scheduler_health"):
            self.ports[name] = free_port()
        airflow_home = self.root / "airflow"
        airflow_home.mkdir(parents=True, exist_ok=True)
        passwords = airflow_home / "passwords.json"
        passwords.write_text(json.dumps({"admin": self.admin_password}))
        from cryptography.fernet import Fernet

        db = f"airflow@127.0.0.1:{self.ports['pg']}/airflow"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update({
            "PATH": f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
            "AIRFLOW_HOME": str(airflow_home),
            "DAA_HOME": str(daa_home),
            "DAA_CONFIG_DIR": str(config_dir),
            "DAA_TASK_RETRIES": "0",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.ports['api']}/execution/",
            "AIRFLOW__CORE__AUTH_MANAGER":
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(48),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API__PORT": str(self.ports["api"]),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{db}",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{db}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__LOGGING__TRIGGERER_LOG_SERVER_PORT": str(self.ports["triggerer_logs"]),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(self.ports["scheduler_health"]),
            # Short loops so a run is picked up in seconds rather than the production defaults.
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
        })
        self.env = env

    # ------------------------------------------------------------------ processes
    def _spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - the service process writes it
        proc = subprocess.Popen(cmd, env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=self.root, start_new_session=True)
        self.procs[name] = proc
        return proc

    def _run(self, name: str, cmd: list[str], timeout: float = 300) -> None:
        with open(self.logs / f"{name}.log", "wb") as log:
            res = subprocess.run(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout,
                                 cwd=self.root)
        if res.returncode != 0:
            raise RuntimeError(f"{name} failed ({res.returncode}):\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return "(no log)"
        text = [line for line in path.read_text(errors="replace").splitlines() if "great_expectations" not in line]
        return "\n".join(text[-lines:])

    def start_postgres(self) -> None:
        pg = postgres_bin()
        data = self.root / "pgdata"
        sock = self.root / "pgsock"
        for d in (data, sock):
            d.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(d, "postgres", "postgres")
        if os.geteuid() == 0:
            os.chmod(self.root, 0o755)
        self._run("initdb", _as_postgres([str(pg / "initdb"), "-D", str(data), "-U", "airflow",
                                          "--auth=trust", "--encoding=UTF8", "--no-sync"]))
        self._spawn("postgres", _as_postgres([
            str(pg / "postgres"), "-D", str(data), "-p", str(self.ports["pg"]), "-h", "127.0.0.1",
            "-k", str(sock), "-c", "fsync=off", "-c", "max_connections=200"]))
        wait_until("postgres", lambda: self._pg_ready(pg), timeout=60, interval=0.5)
        self._run("createdb", [str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(self.ports["pg"]),
                               "-U", "airflow", "airflow"])

    def _pg_ready(self, pg: Path) -> bool:
        if self.procs["postgres"].poll() is not None:
            raise RuntimeError(f"postgres exited:\n{self.tail('postgres')}")
        return subprocess.run([str(pg / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.ports["pg"])],
                              capture_output=True).returncode == 0

    def start_redis(self) -> None:
        redis = shutil.which("redis-server")
        if not redis:
            raise RuntimeError("redis-server not found: apt-get install -y redis-server")
        self._spawn("redis", [redis, "--port", str(self.ports["redis"]), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(self.root)])

        def ping():
            with socket.create_connection(("127.0.0.1", self.ports["redis"]), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")

        wait_until("redis", ping, timeout=30, interval=0.3)

    def init_airflow(self) -> None:
        self._run("airflow-db-migrate", ["airflow", "db", "migrate"], timeout=600)
        self._run("airflow-pool", ["airflow", "pools", "set", "duckdb_writer", "1",
                                   "DuckDB has one writer at a time"])

    def start_airflow(self) -> None:
        self._spawn("api-server", ["airflow", "api-server", "--port", str(self.ports["api"]),
                                   "--host", "127.0.0.1"])
        self._spawn("scheduler", ["airflow", "scheduler"])
        self._spawn("dag-processor", ["airflow", "dag-processor"])
        self._spawn("triggerer", ["airflow", "triggerer"])
        for i in (1, 2):
            env = dict(self.env, AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(self.ports[f"worker{i}_logs"]))
            self._spawn(f"worker-{i}", ["airflow", "celery", "worker", "--celery-hostname",
                                        f"worker-{i}@%h", "--concurrency", "2"], env=env)
        wait_until("the api-server", self._api_up, timeout=240)

    def _api_up(self) -> bool:
        self.assert_alive()
        return requests.get(f"{self.api_url}/api/v2/version", timeout=5).status_code == 200

    def assert_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def stop(self, grace: float = 30) -> dict[str, int]:
        """Stop by PID: the Airflow processes first (SIGTERM to each process group, SIGKILL
        after `grace`), then Redis, then PostgreSQL, so nothing loses its database mid-shutdown."""
        codes: dict[str, int] = {}
        services = ("redis", "postgres")
        airflow = [n for n in self.procs if n not in services]
        for batch in (airflow, ["redis"], ["postgres"]):
            self._stop_batch([n for n in batch if n in self.procs], grace, codes)
        return codes

    def _stop_batch(self, names: list[str], grace: float, codes: dict[str, int]) -> None:
        for name in names:
            if self.procs[name].poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.procs[name].pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name in names:
            proc = self.procs[name]
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            codes[name] = proc.returncode

    # ------------------------------------------------------------------ REST API, as a user would
    def token(self) -> str:
        if self._token is None:
            res = requests.post(f"{self.api_url}/auth/token", timeout=30,
                                json={"username": "admin", "password": self.admin_password})
            res.raise_for_status()
            self._token = res.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token()}"}
        return requests.request(method, f"{self.api_url}/api/v2{path}", headers=headers, timeout=30, **kwargs)

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 300) -> None:
        def parsed():
            self.assert_alive()
            return all(self.api("GET", f"/dags/{d}").status_code == 200 for d in dag_ids)

        wait_until(f"the DAG processor to parse {dag_ids}", parsed, timeout=timeout, interval=2)

    def trigger(self, dag_id: str, conf: dict) -> str:
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False}).raise_for_status()
        res = self.api("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})
        if res.status_code >= 300:
            raise RuntimeError(f"trigger {dag_id}: {res.status_code} {res.text}")
        return res.json()["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 600) -> str:
        def finished():
            self.assert_alive()
            state = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}").json()["state"]
            return state if state in ("success", "failed") else None

        return wait_until(f"{dag_id} run {run_id}", finished, timeout=timeout, interval=2)

    def wait_for_any_run(self, dag_id: str, timeout: float = 600) -> dict:
        """The first run of an asset-triggered DAG, once it has finished."""
        def finished():
            self.assert_alive()
            runs = self.api("GET", f"/dags/{dag_id}/dagRuns", params={"order_by": "-run_after"}).json()
            done = [r for r in runs["dag_runs"] if r["state"] in ("success", "failed")]
            return done[0] if done else None

        return wait_until(f"a {dag_id} run", finished, timeout=timeout, interval=2)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        res = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})
        res.raise_for_status()
        return res.json()["task_instances"]
