"""make run's DAG-run driver (scripts/demo_dag_runs.py): each in-process task's lines are cut
out of the run's output for the file the UI reads, as structured records it parses."""

from __future__ import annotations

import importlib.util
import json

from support import REPO

spec = importlib.util.spec_from_file_location("demo_dag_runs", REPO / "scripts" / "demo_dag_runs.py")
demo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo)

OUTPUT = """\
2026-12-02T06:04:24.1Z [info     ] Filling up the DagBag [airflow.models.dagbag]
2026-12-02T06:04:25.0Z [info     ] [DAG TEST] starting task_id=resolve_date map_index=-1 [airflow.sdk] loc=dag.py:1501
2026-12-02T06:04:25.1Z [info     ] business date 2017-03-29 [pipelines]
2026-12-02T06:04:25.2Z [info     ] [DAG TEST] end task task_id=resolve_date map_index=-1 [airflow.sdk] loc=dag.py:1563
2026-12-02T06:04:26.0Z [info     ] [DAG TEST] starting task_id=allocate map_index=3 [airflow.sdk] loc=dag.py:1501
a line without a timestamp
2026-12-02T06:04:26.5Z [warning  ] slow [pipelines]
2026-12-02T06:04:26.9Z [info     ] [DAG TEST] end task task_id=allocate map_index=3 [airflow.sdk] loc=dag.py:1563
2026-12-02T06:04:27.0Z [info     ] Marking run success [airflow.models.dagrun]
"""


def test_task_lines_are_cut_between_their_start_and_end_markers():
    logs = demo.task_logs(OUTPUT)
    assert set(logs) == {("resolve_date", -1), ("allocate", 3)}
    assert len(logs[("resolve_date", -1)]) == 3 and "business date" in logs[("resolve_date", -1)][1]
    assert logs[("allocate", 3)][1] == "a line without a timestamp" and len(logs[("allocate", 3)]) == 4


def test_lines_become_records_with_timestamp_level_and_event():
    rec = json.loads(demo.as_json_line("2026-12-02T06:04:26.5Z [warning  ] slow [pipelines]"))
    assert rec == {"timestamp": "2026-12-02T06:04:26.5Z", "level": "warning", "event": "slow [pipelines]"}
    assert json.loads(demo.as_json_line("plain")) == {"event": "plain"}
