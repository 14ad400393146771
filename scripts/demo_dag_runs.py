"""`make run`'s daily DAG runs: market_data, portfolio_rebalance and account_rebalance for the
business date, as `airflow dags test` runs them (in-process, no scheduler), in one process.

What `airflow dags test DAG 2017-03-29` left in the UI, and what this does instead:
- a run with a 2017 logical date gets that date as its start date ("3534d 13h" durations):
  the runs here have a logical date of now and the business date in their conf (`as_of`, which
  `resolve_date` reads) and in the run's note;
- tasks run in-process log to this process's output only ("log not found" in the UI): each
  task's lines are written to the file the UI reads (the configured log filename template);
- one process for the three runs: Airflow, pandas and the DAG files are imported once;
- the report is written once, by account_rebalance's report task after the accounts:
  portfolio_rebalance's report task (the same pages, minus the day's accounts) is marked
  success without running (`dags test --mark-success-pattern`), and its run note says so.

The Airflow output goes to --log; the console gets a line per finished task (at most one per
two seconds for mapped tasks) and a heartbeat while a task runs on.

    python scripts/demo_dag_runs.py --as-of 2017-03-29 --log var/airflow/dags_test.log
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

DAGS = ("market_data", "portfolio_rebalance", "account_rebalance")
MARKED = {"portfolio_rebalance": "report"}   # task ids marked success without running
MARKED_NOTE = ("The report task was marked success without running (dag.test mark_success_pattern): "
               "account_rebalance's report task writes the same pages with the day's accounts right after.")
START = re.compile(r"\[DAG TEST\] starting task_id=(\S+) map_index=(-?\d+)")
END = re.compile(r"\[DAG TEST\] end task task_id=(\S+) map_index=(-?\d+)")
LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\S+)\s+\[\s*(\w+)\s*\]\s+(.*)$")


class Console:
    """Progress lines on the real stdout while fd 1 and 2 go to the log file."""

    def __init__(self, log_path: Path, heartbeat: float = 10.0) -> None:
        self.out = os.fdopen(os.dup(1), "w", buffering=1)
        self.log_path = log_path
        self.heartbeat = heartbeat
        self.t0 = time.perf_counter()
        self.dag = ""
        self.running: tuple[str, float] | None = None
        self.spoke = self.t0
        self.last: dict[str, float] = {}
        self.done = 0
        self.pos = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)

    def say(self, text: str) -> None:
        self.spoke = time.perf_counter()
        print(f"    [{self.spoke - self.t0:6.1f}s] {text}", file=self.out, flush=True)

    def start(self) -> None:
        self._thread.start()

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until every line written so far has been read (before the next DAG's name)."""
        sys.stdout.flush()
        sys.stderr.flush()
        size, until = self.log_path.stat().st_size, time.perf_counter() + timeout
        while self.pos < size and time.perf_counter() < until:
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _follow(self) -> None:
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            f.seek(0, os.SEEK_END)
            while not self._stop.is_set():
                line = f.readline()
                if not line:
                    self.pos = f.tell()
                    self._beat()
                    time.sleep(0.2)
                    continue
                self._read(line)

    def _read(self, line: str) -> None:
        now = time.perf_counter()
        if m := START.search(line):
            self.running = (m[1] + (f"[{m[2]}]" if m[2] != "-1" else ""), now)
        elif m := END.search(line):
            self.done += 1
            task, started = self.running or (m[1], now)
            self.running = None
            mapped = m[2] != "-1"
            if not mapped or now - self.last.get(m[1], 0.0) >= 2.0:
                self.last[m[1]] = now
                self.say(f"{self.dag}: {task} done in {now - started:.1f} s ({self.done} tasks done)")

    def _beat(self) -> None:
        now = time.perf_counter()
        if self.running and now - self.spoke >= self.heartbeat:
            task, started = self.running
            self.say(f"{self.dag}: {task} running for {now - started:.0f} s")


def task_logs(text: str) -> dict[tuple[str, int], list[str]]:
    """The log lines of each task, from the in-process run's output, keyed by (task, map index)."""
    out: dict[tuple[str, int], list[str]] = {}
    current: tuple[str, int] | None = None
    for line in text.splitlines():
        if m := START.search(line):
            current = (m[1], int(m[2]))
            out.setdefault(current, [])
        if current is not None:
            out[current].append(line)
        if (m := END.search(line)) and current == (m[1], int(m[2])):
            current = None
    return out


def as_json_line(line: str) -> str:
    """A console log line as the structured record the UI's log reader parses."""
    m = LINE.match(line)
    if not m:
        return json.dumps({"event": line})
    return json.dumps({"timestamp": m[1], "level": m[2].lower(), "event": m[3]})


def write_task_logs(dag_id: str, run_id: str, text: str) -> int:
    """Each task instance's lines into the file the UI reads for it; returns the files written."""
    from airflow.configuration import conf
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.log.file_task_handler import FileTaskHandler
    from airflow.utils.session import create_session
    from sqlalchemy import select

    base = Path(conf.get("logging", "base_log_folder"))
    handler = FileTaskHandler(str(base))
    lines = task_logs(text)
    n = 0
    with create_session() as session:
        tis = session.scalars(select(TaskInstance).where(TaskInstance.dag_id == dag_id,
                                                         TaskInstance.run_id == run_id)).all()
        for ti in tis:
            rows = lines.get((ti.task_id, ti.map_index))
            if not rows and MARKED.get(dag_id) == ti.task_id:
                rows = [MARKED_NOTE]
            if not rows:
                continue
            path = base / handler._render_filename(ti, max(ti.try_number, 1), session=session)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(as_json_line(r) + "\n" for r in rows), encoding="utf-8")
            n += 1
    return n


def set_note(dag_id: str, run_id: str, note: str) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
        run.note = note


def run_one(dag_id: str, as_of: str, console: Console, log_path: Path) -> bool:
    from airflow.utils.cli import get_bagged_dag
    from airflow.utils.state import DagRunState

    console.dag, console.done = dag_id, 0
    t0 = time.perf_counter()
    offset = log_path.stat().st_size
    dag = get_bagged_dag(None, dag_id)
    marked = MARKED.get(dag_id)
    dr = dag.test(logical_date=dt.datetime.now(dt.UTC), run_conf={"as_of": as_of},
                  mark_success_pattern=marked and re.escape(marked))
    console.drain()
    with open(log_path, encoding="utf-8", errors="replace") as f:
        f.seek(offset)
        text = f.read()
    state = dr.state if dr is not None else DagRunState.FAILED
    ok = state == DagRunState.SUCCESS
    if dr is not None:
        set_note(dag_id, dr.run_id, f"Business date {as_of} (the embedded history's last day), run by "
                                    f"`make run` with `dag.test()`: the logical date is when it ran. "
                                    f"{'Success' if ok else 'Failed'}; task logs written after the run."
                                    + (f" {MARKED_NOTE}" if marked else ""))
        write_task_logs(dag_id, dr.run_id, text)
    console.say(f"{dag_id}: {'success' if ok else 'FAILED'} in {time.perf_counter() - t0:.0f} s"
                + (f", run {dr.run_id}" if dr is not None else ""))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as-of", required=True, type=dt.date.fromisoformat, help="the business date")
    parser.add_argument("--log", required=True, type=Path, help="where the Airflow output goes")
    parser.add_argument("--dag", action="append", choices=DAGS, help="only these DAGs (default all three)")
    args = parser.parse_args(argv)
    args.log.parent.mkdir(parents=True, exist_ok=True)
    log = open(args.log, "a", encoding="utf-8")   # noqa: SIM115 - fd 1 and 2 point here until exit
    console = Console(args.log)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    console.start()
    try:
        for dag_id in args.dag or DAGS:
            if not run_one(dag_id, args.as_of.isoformat(), console, args.log):
                return 1
        return 0
    finally:
        console.stop()


if __name__ == "__main__":
    sys.exit(main())
