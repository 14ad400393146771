"""The command line on a real backfilled warehouse: help, named queries, exit codes, reports."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from pipelines.cli import build_parser, main, named_queries
from support import REPO, make_config_dir

COMMANDS = ("ingest", "validate", "run", "backfill", "report", "summary", "query", "portfolios")
QUERY_PARAMS = {"trade_blotter": ["date=2016-12-01"]}


def test_every_command_has_help():
    top = subprocess.run([sys.executable, "-m", "pipelines", "--help"], capture_output=True, text=True, cwd=REPO)
    assert top.returncode == 0 and "Exit codes" in top.stdout
    for cmd in COMMANDS:
        with pytest.raises(SystemExit) as exc:
            build_parser().parse_args([cmd, "--help"])
        assert exc.value.code == 0


def test_query_help_lists_the_named_queries(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["query", "--help"])
    out = capsys.readouterr().out
    for name in ("latest_allocations", "trade_blotter", "best_worst_ytd", "attribution_by_asset_class",
                 "validation_failures_month"):
        assert name in out


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_named_query_runs(home, capsys, name):
    params = sum((["--param", p] for p in QUERY_PARAMS.get(name, [])), [])
    assert main(["query", name, *params]) == 0, capsys.readouterr().err


def test_trade_blotter_for_a_date(home, capsys):
    assert main(["query", "trade_blotter", "--param", "date=2016-12-01", "--format", "csv"]) == 0
    from io import StringIO

    df = pd.read_csv(StringIO(capsys.readouterr().out))
    assert len(df) > 0 and set(df["trade_date"]) == {"2016-12-01"}
    assert set(df["portfolio_id"]) == {"static_60_40", "equal_weight_stocks"}


def test_best_worst_ytd_is_ranked(home, capsys):
    assert main(["query", "best_worst_ytd", "--format", "csv"]) == 0
    from io import StringIO

    df = pd.read_csv(StringIO(capsys.readouterr().out))
    assert list(df["rank"]) == sorted(df["rank"]) and df["ytd_return_pct"].is_monotonic_decreasing


def test_query_outputs_parquet(home, tmp_path, capsys):
    out = tmp_path / "nav.parquet"
    assert main(["query", "SELECT * FROM nav WHERE portfolio_id = $pid", "--param", "pid=static_60_40",
                 "--format", "parquet", "--output", str(out)]) == 0
    assert set(pd.read_parquet(out)["portfolio_id"]) == {"static_60_40"}


@pytest.mark.parametrize("argv, message", [
    (["query", "DELETE FROM nav"], "read-only"),
    (["query", "no_such_query"], "no query named"),
    (["query", "latest_allocations", "--param", "bogus=1"], "takes no parameter"),
    (["query", "SELECT 1", "--format", "parquet"], "needs --output"),
    (["portfolios", "show", "no_such_portfolio"], "no_such_portfolio"),
    (["report", "--portfolio", "no_such_portfolio"], "no_such_portfolio"),
])
def test_errors_exit_2_with_a_message(home, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_writes_are_refused_and_leave_the_warehouse_intact(home, capsys):
    main(["query", "SELECT count(*) AS n FROM nav", "--format", "csv"])
    before = capsys.readouterr().out
    assert main(["query", "DROP TABLE nav"]) == 2
    main(["query", "SELECT count(*) AS n FROM nav", "--format", "csv"])
    assert capsys.readouterr().out == before


def test_portfolios_list_and_show(home, capsys):
    assert main(["portfolios"]) == 0 and main(["portfolios", "list"]) == 0
    out = capsys.readouterr().out
    assert out.count("static_60_40") == 2
    assert main(["portfolios", "show", "static_60_40"]) == 0
    out = capsys.readouterr().out
    assert "strategy: static_mix" in out and "latest NAV" in out and "UST10Y" in out


def test_validate_config_and_a_bad_config(home, tmp_path, capsys, monkeypatch):
    assert main(["validate", "--config-only"]) == 0
    assert "configuration OK" in capsys.readouterr().out
    bad = make_config_dir(tmp_path / "bad", "portfolios:\n  - id: broken\n    name: Broken\n"
                                            "    risk_profile: moderate\n    strategy: no_such_strategy\n")
    monkeypatch.setenv("DAA_CONFIG_DIR", str(bad))
    assert main(["validate", "--config-only"]) == 2
    assert "broken" in capsys.readouterr().err


def test_report_command_writes_the_pages(home, capsys):
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    assert str(home.reports_dir / "index.html") in out
    assert (home.reports_dir / "static_60_40.html").exists()
