"""`python -m pipelines`: the pipeline's steps without a scheduler, and read-only queries."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

import duckdb

from pipelines.config import ConfigError, Settings
from pipelines.warehouse.sql_files import SQL_DIR


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _print_query(settings: Settings, sql: str, params: dict | None = None, fmt: str = "table",
                 output: Path | None = None) -> int:
    from pipelines.warehouse.db import connect

    with connect(settings, read_only=True) as con:
        df = con.execute(sql, params or {}).df()
    if output is not None:
        if output.suffix == ".parquet":
            df.to_parquet(output, index=False)
        else:
            df.to_csv(output, index=False)
        print(f"{len(df)} rows written to {output}")
    elif fmt == "csv":
        df.to_csv(sys.stdout, index=False)
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", 200, "display.max_columns", 30, "display.width", 200):
            print(df.to_string(index=False) if len(df) else "(no rows)")
    return 0


def cmd_ingest(args, settings: Settings) -> int:
    from pipelines.ingest.run import ingest

    summary = ingest(settings, args.date, full_history=args.full_history)
    print(json.dumps(summary.to_dict(), indent=2))
    return 0


def cmd_run(args, settings: Settings) -> int:
    from pipelines.runner import run_daily

    ingest_summary, step = run_daily(settings, args.date)
    print(json.dumps({"ingest": ingest_summary.to_dict(), "run": step.__dict__}, indent=2, default=str))
    return 0


def cmd_backfill(args, settings: Settings) -> int:
    from pipelines.runner import backfill

    ingest_summary, step = backfill(settings, args.start, args.end)
    print(json.dumps({"ingest": ingest_summary.to_dict(), "backfill": step.__dict__}, indent=2, default=str))
    return 0


def cmd_summary(args, settings: Settings) -> int:
    print("Managed model portfolios (from the DuckDB warehouse):")
    _print_query(settings, (SQL_DIR / "queries" / "portfolio_summary.sql").read_text())
    print("\nLatest trades:")
    _print_query(settings, (SQL_DIR / "queries" / "last_trades.sql").read_text())
    return 0


def cmd_query(args, settings: Settings) -> int:
    sql = args.sql
    named = SQL_DIR / "queries" / f"{sql}.sql"
    if named.exists():
        sql = named.read_text()
    params = dict(p.split("=", 1) for p in args.param)
    return _print_query(settings, sql, params, args.format, args.output)


def cmd_portfolios(args, settings: Settings) -> int:
    for p in settings.portfolios:
        print(f"{p.id:28s} {p.strategy:16s} {p.risk_profile:13s} {p.name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO level")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="bring the Parquet lake up to a date (data known at its close)")
    p.add_argument("--date", type=_date, required=True)
    p.add_argument("--full-history", action="store_true", help="re-ingest everything known by the date")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("run", help="the daily pipeline for one date: ingest, allocate, trade, load")
    p.add_argument("--date", type=_date, required=True)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("backfill", help="recompute every portfolio over a date range")
    p.add_argument("--start", type=_date, required=True)
    p.add_argument("--end", type=_date, required=True)
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser("summary", help="print every portfolio's latest NAV and last trades")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("query", help="read-only SQL, or the name of a file in sql/queries/")
    p.add_argument("sql", help="a SELECT statement or a query name such as 'last_trades'")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="bind $NAME in the query")
    p.add_argument("--format", choices=["table", "csv"], default="table")
    p.add_argument("--output", type=Path, help="write the result to a .csv or .parquet file")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("portfolios", help="list the managed model portfolios")
    p.set_defaults(func=cmd_portfolios)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args, Settings.from_env())
    except (ConfigError, FileNotFoundError, KeyError, ValueError, RuntimeError, duckdb.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
