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


def test_query_piped_into_head_ends_quietly(home):
    """`query ... --format csv | head` : no BrokenPipeError traceback, exit 0 (pipefail-safe)."""
    res = subprocess.run(["bash", "-c", "set -o pipefail; \"$0\" -m pipelines query "
                          "'SELECT range AS n FROM range(200000)' --format csv | head -2", sys.executable],
                         capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["n", "0"]
    assert "Traceback" not in res.stderr and "BrokenPipe" not in res.stderr


def test_a_required_parameter_left_out_is_an_error(home, capsys):
    assert main(["query", "trade_blotter"]) == 2
    assert "--param date=" in capsys.readouterr().err
    assert main(["query", "SELECT * FROM nav WHERE portfolio_id = $pid"]) == 2
    assert "--param pid=" in capsys.readouterr().err
    assert main(["query", "block_orders_today"]) == 0   # its Usage line shows [--param date=...]: optional


def test_money_is_printed_plainly(home, capsys):
    assert main(["query", "SELECT 6711589.123::DOUBLE AS nav, 0.0000125::DOUBLE AS weight, "
                 "-0.0000001::DOUBLE AS tiny"]) == 0
    out = capsys.readouterr().out
    assert "6,711,589.12" in out and "0.000013" in out and "e+" not in out and "e-" not in out
    assert "-0" not in out


def test_portfolios_list_has_a_header_and_aligned_columns(home, capsys):
    assert main(["portfolios", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "strategy", "risk_profile", "name"]
    starts = {line.index(" " + word) + 1 for line, word in zip(lines[1:], ["static_mix", "equal_weight"], strict=True)}
    assert starts == {lines[0].index("strategy")}


def test_run_prints_a_summary_not_json(home, capsys):
    from support import NEXT_DAY

    assert main(["run", "--date", NEXT_DAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert out.startswith("run cli__daily__") and "rows written:" in out and "{" not in out


def test_backfill_of_one_portfolio_leaves_the_others(home, capsys):
    sql = ("SELECT portfolio_id, count(*) AS n, count(*) FILTER (WHERE run_id LIKE 'cli__backfill__%') AS rebuilt "
           "FROM nav GROUP BY 1 ORDER BY 1")
    assert main(["query", sql, "--format", "csv"]) == 0
    from io import StringIO

    before = pd.read_csv(StringIO(capsys.readouterr().out)).set_index("portfolio_id")
    assert main(["backfill", "--start", "2016-06-01", "--end", "2016-12-29", "--portfolio", "static_60_40"]) == 0
    assert "rows written:" in capsys.readouterr().out
    assert main(["query", sql, "--format", "csv"]) == 0
    after = pd.read_csv(StringIO(capsys.readouterr().out)).set_index("portfolio_id")
    assert after.loc["equal_weight_stocks"].equals(before.loc["equal_weight_stocks"])
    assert after.loc["static_60_40", "n"] == before.loc["static_60_40", "n"]
    assert before["rebuilt"].sum() == 0 and after.loc["static_60_40", "rebuilt"] > 100
    assert main(["backfill", "--start", "2016-06-01", "--end", "2016-12-29", "--portfolio", "nope"]) == 2


def test_backfill_in_two_processes_gives_the_same_rows(home, capsys):
    """--workers 2 computes the portfolios in spawned processes (a fork of a process holding
    JAX or BLAS threads can hang): the rows are those of the one-process backfill."""
    sql = ("SELECT portfolio_id, date, nav, cash FROM nav WHERE date >= DATE '2016-06-01' "
           "ORDER BY portfolio_id, date")
    assert main(["query", sql, "--format", "csv"]) == 0
    from io import StringIO

    before = pd.read_csv(StringIO(capsys.readouterr().out))
    assert main(["backfill", "--start", "2016-06-01", "--end", "2016-12-29", "--workers", "2"]) == 0
    capsys.readouterr()
    assert main(["query", sql, "--format", "csv"]) == 0
    after = pd.read_csv(StringIO(capsys.readouterr().out))
    assert len(after) == len(before) > 100
    pd.testing.assert_frame_equal(after, before)
