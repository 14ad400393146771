"""Valid dates that hold no data, on every command that takes a date: before the history, a
range given backwards, a Saturday. Each ends in a clear message (exit 2, or the quality gate's
named rejection) or a skip, never a traceback."""

from __future__ import annotations

import pytest

from pipelines.cli import main


@pytest.mark.parametrize("argv", [
    ["ingest", "--date", "1950-01-03"],
    ["run", "--date", "1950-01-03"],
    ["backfill", "--start", "1950-01-03", "--end", "1950-01-05"],
    ["backfill", "--start", "2016-12-29", "--end", "2016-01-04"],
    ["train", "--date", "1950-01-03"],
    ["validate", "--date", "1950-01-03"],
    ["accounts", "rebalance", "--date", "1950-01-03"],
    ["report", "--run-id", "x"],
    ["run", "--date", "2016-12-31"],                    # a Saturday
])
def test_a_date_without_data_is_a_clear_outcome(home, capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 1, 2) and "Traceback" not in err
    if code == 2:
        assert any(line.startswith("error: ") for line in err.splitlines()), err[:2000]
