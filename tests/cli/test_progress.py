"""Progress lines when the output is not a terminal: a line when a step starts, as a mapped
step's items finish and when a step ends, and a heartbeat while a step runs on silently."""

from __future__ import annotations

import io
import time

from pipelines.progress import ConsoleProgress


def test_plain_lines_for_steps_items_and_a_heartbeat():
    out = io.StringIO()
    p = ConsoleProgress("backfill", stream=out, heartbeat=0.3)
    p("train", 0, 1)
    time.sleep(1.5)               # a long silent step: heartbeat lines
    p("steps", 1, 2)
    p("allocate", 0, 3)
    for i in range(1, 4):
        p("allocate", i, 3)
    p("steps", 2, 2)
    p.close()
    lines = out.getvalue().splitlines()
    assert all(line.startswith("    [") and "s] backfill " in line for line in lines)
    text = "\n".join(lines)
    assert "backfill train ..." in text and "train running for" in text
    assert "train done in" in text and "(step 1/2)" in text
    assert [x.split("] ")[1] for x in lines if "allocate " in x and "/3" in x] == [
        "backfill allocate 0/3", "backfill allocate 1/3", "backfill allocate 2/3", "backfill allocate 3/3"]
    assert "allocate done in" in text


def test_no_heartbeat_after_the_last_step():
    out = io.StringIO()
    p = ConsoleProgress("run", stream=out, heartbeat=0.2)
    p("ingest", 0, 1)
    p("steps", 1, 1)
    time.sleep(0.8)
    p.close()
    assert "running for" not in out.getvalue()
