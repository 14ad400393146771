"""Results reach DuckDB through the writer step, idempotently; the HTML summary is offline."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipelines.ingest.run import ingest
from pipelines.quality.__main__ import main as quality_cli
from qhelpers import AS_OF


def _count(settings, run_id: str) -> int:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM validation_results WHERE run_id = ?", [run_id]).fetchone()[0]
    finally:
        con.close()


def test_record_is_idempotent_and_report_is_self_contained(files_settings, clean_batch, monkeypatch, capsys):
    from pipelines.quality.results import record_validation

    prices, macro = clean_batch
    prices.to_parquet(files_settings.data_root / "inbox" / "prices.parquet", index=False)
    macro.to_parquet(files_settings.data_root / "inbox" / "macro.parquet", index=False)
    summary = ingest(files_settings, AS_OF)
    staged = summary.validation["staged_results"]
    frame = pd.read_parquet(staged)
    n = record_validation(files_settings, staged)
    assert n == len(frame) == _count(files_settings, summary.validation["run_id"])
    recorded = files_settings.data_root / "quality" / "recorded" / Path(staged).name
    record_validation(files_settings, recorded)  # loading a run again replaces its rows
    assert _count(files_settings, summary.validation["run_id"]) == n

    page = Path(summary.validation["report"]).read_text()
    head = page.split("<body>")[0]
    assert "<style>" in head and "http" not in head and "<script" not in page
    assert "passed" in page and "prices strictly positive" in page
    index = (files_settings.data_root / "quality" / "index.html").read_text()
    assert summary.validation["run_id"].replace(":", "_") in index

    monkeypatch.setenv("DAA_HOME", str(files_settings.data_root))
    assert quality_cli(["report"]) == 0
    out = capsys.readouterr().out
    assert "index.html" in out and "(none yet)" not in out
