"""`python -m pipelines accounts ...`: the client book from the command line (registered by
`pipelines.cli`; the account rebalance runs the pipeline's account steps through `pipelines.runner`).

  accounts import FILE [--flows FILE] [--replace]   load accounts (CSV or Parquet), checked row by row
  accounts flows import FILE [--recorded-on DATE]   load cash flows
  accounts generate [--n 100000 --seed 1 ...]       a synthetic book (written to files, then imported)
  accounts rebalance --date D [--start S]           the daily account rebalance (prepare, shards, load)
  accounts list | show ID | statement ID            what the book holds
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipelines.config import Settings
from pipelines.identifiers import check_account_id, cli_date
from pipelines.warehouse.sql_files import load_sql

EXIT_OK = 0


def cmd_import(args, settings: Settings) -> int:
    from pipelines.accounts.book import import_book

    summary = import_book(settings, args.file, args.flows, replace=args.replace)
    print(json.dumps(summary.to_dict(), indent=2))
    return EXIT_OK


def cmd_flows_import(args, settings: Settings) -> int:
    from pipelines.accounts.book import import_book

    print(json.dumps(import_book(settings, None, args.file, recorded_on=args.recorded_on).to_dict(), indent=2))
    return EXIT_OK


def cmd_generate(args, settings: Settings) -> int:
    from pipelines.accounts.book import import_book
    from pipelines.accounts.generate import generate_book, last_price_date
    from pipelines.accounts.settings import accounts_config

    book = accounts_config(settings).default_book
    end = args.end or last_price_date(settings)
    out = args.out or settings.data_root / "accounts" / "generated"
    made = generate_book(settings, args.n or book.n, book.seed if args.seed is None else args.seed,
                         args.start or book.start, end, out, args.model, args.format, args.incept_within)
    print(f"generated {made.accounts} accounts and {made.flows} flows: {made.accounts_path}, {made.flows_path}")
    if not args.no_load:
        print(json.dumps(import_book(settings, made.accounts_path, made.flows_path, replace=True).to_dict(), indent=2))
    return EXIT_OK


def cmd_rebalance(args, settings: Settings) -> int:
    from pipelines.runner import run_accounts

    summary = run_accounts(settings, args.date, start=args.start, workers=args.workers)
    print(json.dumps({"run_id": summary.run_id, "as_of": summary.as_of, "seconds": summary.seconds,
                      "rows": summary.outputs.get("load_accounts")}, indent=2, default=str))
    return EXIT_OK


def _show(settings: Settings, sql_file: str, params: dict) -> None:
    """A read-only query's rows as a table on stdout."""
    import pandas as pd

    from pipelines.warehouse.db import connect

    with connect(settings, read_only=True) as con:
        df = con.execute(load_sql(sql_file), params).df()
    with pd.option_context("display.max_rows", 200, "display.max_columns", 30, "display.width", 200):
        print(df.to_string(index=False) if len(df) else "(no rows)")


def cmd_list(args, settings: Settings) -> int:
    _show(settings, "app/accounts_cli_list.sql", {"model": args.model, "limit": args.limit})
    return EXIT_OK


def cmd_show(args, settings: Settings) -> int:
    account = check_account_id(args.account_id)
    for part in ("account", "restrictions", "latest", "holdings", "performance"):
        print(f"\n{part}:")
        _show(settings, f"app/accounts_cli_show_{part}.sql", {"id": account})
    return EXIT_OK


def cmd_statement(args, settings: Settings) -> int:
    from pipelines.accounts.statement import build_statement, render

    print(render(build_statement(settings, args.account_id, args.start, args.end)))
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `accounts` command and its subcommands to the main parser."""
    p = sub.add_parser("accounts", help="client accounts on the model portfolios: import, generate, rebalance, "
                                        "statements", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    acc = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def add(name: str, help_: str, func) -> argparse.ArgumentParser:
        q = acc.add_parser(name, help=help_, description=help_)
        q.set_defaults(func=func)
        return q

    q = add("import", "load an accounts file (CSV or Parquet); a bad row names its line and column and "
                      "nothing of the file loads", cmd_import)
    q.add_argument("file", type=Path)
    q.add_argument("--flows", type=Path, help="a flows file loaded in the same transaction")
    q.add_argument("--replace", action="store_true", help="the file is the whole new book (empties every "
                                                          "account table first)")
    flows = acc.add_parser("flows", help="cash flows: flows import FILE").add_subparsers(dest="flows_action",
                                                                                           required=True)
    q = flows.add_parser("import", help="load a flows file (deposit, withdrawal, recurring, fee)")
    q.set_defaults(func=cmd_flows_import)
    q.add_argument("file", type=Path)
    q.add_argument("--recorded-on", type=cli_date, help="the day the flows became known (default: each flow's date)")
    q = add("generate", "a seeded synthetic book (log-normal sizes, models by risk profile, recurring "
                        "contributions, occasional withdrawals), written to files and imported", cmd_generate)
    q.add_argument("--n", type=int, help="accounts (default: config/accounts.yaml default_book.n)")
    q.add_argument("--seed", type=int)
    q.add_argument("--start", type=cli_date, help="first inception date")
    q.add_argument("--end", type=cli_date, help="last flow date (default: the lake's last price date)")
    q.add_argument("--model", action="append", help="only these model portfolios (repeatable)")
    q.add_argument("--out", type=Path, help="folder for accounts.<fmt> and flows.<fmt>")
    q.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    q.add_argument("--incept-within", type=int, metavar="DAYS",
                   help="every account opens within the first DAYS of the window (a book live all along)")
    q.add_argument("--no-load", action="store_true", help="write the files only")
    q = add("rebalance", "the account rebalance up to a date: flows, drift, trades, block orders, NAV, "
                         "performance (the account_rebalance DAG's work, in-process)", cmd_rebalance)
    q.add_argument("--date", type=cli_date, required=True)
    q.add_argument("--start", type=cli_date, help="recompute from this date (default: continue from the last day)")
    q.add_argument("--workers", type=int, default=1, help="processes running the shards (default 1: in-process)")
    q = add("list", "accounts at the latest day (v_account_summary)", cmd_list)
    q.add_argument("--model", help="only accounts of this model portfolio")
    q.add_argument("--limit", type=int, default=50)
    q = add("show", "an account: its terms, latest day, holdings and performance", cmd_show)
    q.add_argument("account_id")
    q = add("statement", "an account statement: holdings, the period's flows, trades, fees, TWR and MWR",
            cmd_statement)
    q.add_argument("account_id")
    q.add_argument("--start", type=cli_date, help="first day (default: the first day of the end's month)")
    q.add_argument("--end", type=cli_date, help="last day (default: the latest processed day)")
