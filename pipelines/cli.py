"""`python -m pipelines`: the pipeline's steps without a scheduler, reports, and read-only queries.

Exit codes: 0 success; 1 the command ran but found problems (failed validations); 2 bad usage,
invalid configuration, missing data or a warehouse error (the message says which).
Data root: $DAA_HOME (default ./var); configuration: $DAA_CONFIG_DIR (default ./config).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import re
import sys
from pathlib import Path

import duckdb

from pipelines import identifiers
from pipelines.allocation import catalog
from pipelines.config import ConfigError, Settings
from pipelines.warehouse.sql_files import SQL_DIR

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
QUERIES_DIR = SQL_DIR / "queries"
PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
NAME = re.compile(r"[A-Za-z0-9_]{1,64}")


def _identifier(check):
    """An argparse type that applies a `pipelines.identifiers` check."""
    def parse(text: str) -> str:
        try:
            return check(text)
        except identifiers.InvalidIdentifier as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = check.__name__.removeprefix("check_")
    return parse


# --------------------------------------------------------------------------- runs


def _run_with_progress(label: str, func, *args, **kwargs):
    from pipelines.progress import ConsoleProgress

    progress = ConsoleProgress(label)
    try:
        return func(*args, progress=progress, **kwargs)
    finally:
        progress.close()


def _print_run(summary, as_json: bool) -> None:
    """What a run did: its steps with their times, the rows written, the ingest's note."""
    if as_json:
        print(json.dumps({"run_id": summary.run_id, "as_of": summary.as_of, "outputs": summary.outputs,
                          "seconds": summary.seconds}, indent=2, default=str))
        return
    print(f"run {summary.run_id} for {summary.as_of}")
    for name, secs in summary.seconds.items():
        print(f"  {name:20s} {secs:8.1f} s")
    ingest = summary.ingest
    if ingest.get("note"):
        print(f"  note: {ingest['note']}")
    rows = {k: v for k, v in summary.rows.items() if v}
    if rows:
        print("  rows written: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    if "report" in summary.outputs:
        print(f"  report: {summary.outputs['report']}")


# --------------------------------------------------------------------------- queries


def optional_params(sql: str) -> set[str]:
    """The parameters a query's `Usage:` header line shows in brackets (`[--param since=...]`):
    optional, bound to NULL when not given; every other `$name` in a query must be given."""
    usage = " ".join(line for line in sql.splitlines() if line.startswith("--") and "Usage:" in line)
    return set(re.findall(r"\[--param ([A-Za-z_][A-Za-z0-9_]*)=", usage))


def named_queries() -> dict[str, str]:
    """sql/queries/*.sql by name, with the header comment's first sentence as the description."""
    out = {}
    for f in sorted(QUERIES_DIR.glob("*.sql")):
        header = []
        for line in f.read_text().splitlines():
            if not line.startswith("--") or line.lstrip("- ").startswith("Usage:"):
                break
            header.append(line.lstrip("- ").strip())
        text = " ".join(header)
        out[f.stem] = text.split(". ")[0].rstrip(".")
    return out


def _readable(df):
    """Floats for the eye: money-sized columns (|x| >= 1,000 somewhere) with thousands separators
    and two decimals, others with up to six decimals; never scientific notation."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        values = out[col]
        if not pd.api.types.is_float_dtype(values):
            continue
        big = values.abs().max(skipna=True) >= 1_000
        out[col] = [("" if pd.isna(v) else f"{v:,.2f}" if big else _plain(v)) for v in values]
    return out


def _plain(v: float) -> str:
    text = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _print_frame(df, fmt: str = "table", output: Path | None = None) -> None:
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet" or output.suffix == ".parquet":
            df.to_parquet(output, index=False)
        else:
            df.to_csv(output, index=False)
        print(f"{len(df)} rows written to {output}")
    elif fmt == "csv":
        df.to_csv(sys.stdout, index=False)
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", 200, "display.max_columns", 30, "display.width", 200):
            print(_readable(df).to_string(index=False) if len(df) else "(no rows)")


def _run_query(settings: Settings, sql: str, params: dict | None = None, timeout: float | None = None):
    """One SELECT in the sandbox (pipelines.warehouse.sandbox): the warehouse read-only, no file
    outside the curated lake, configuration locked, a statement timeout. A parameter the query
    does not take is an error, and so is a missing one unless the query's Usage line marks it
    optional."""
    from pipelines.warehouse import sandbox

    params = dict(params or {})
    wanted = set(PARAM.findall(sql))
    unknown = set(params) - wanted
    if unknown:
        raise ValueError(f"the query takes no parameter(s) {', '.join(sorted(unknown))}"
                         f"{'; it takes ' + ', '.join(sorted(wanted)) if wanted else ''}")
    missing = sorted(wanted - set(params) - optional_params(sql))
    if missing:
        raise ValueError("the query needs " + " ".join(f"--param {m}=VALUE" for m in missing))
    params.update({name: None for name in wanted - set(params)})
    return sandbox.run_query(settings, sql, params, timeout=timeout or sandbox.DEFAULT_TIMEOUT_SECONDS)


def _print_query(settings: Settings, sql: str, params: dict | None = None, fmt: str = "table",
                 output: Path | None = None, timeout: float | None = None) -> int:
    _print_frame(_run_query(settings, sql, params, timeout), fmt, output)
    return EXIT_OK


# --------------------------------------------------------------------------- commands


def cmd_ingest(args, settings: Settings) -> int:
    from pipelines.ingest.run import ingest

    summary = ingest(settings, args.date, full_history=args.full_history)
    print(json.dumps(summary.to_dict(), indent=2))
    return EXIT_OK


def cmd_validate(args, settings: Settings) -> int:
    """Configuration first (fails with exit 2 naming the file, portfolio and field), then the
    data-quality results the ingests recorded."""
    from pipelines.accounts.settings import accounts_config
    from pipelines.quality.config import quality_config

    universe = settings.universe
    portfolios = catalog.portfolios(settings)
    quality_config(settings)
    settings.evidence   # noqa: B018 - loading validates
    accounts_config(settings)
    print(f"configuration OK: {len(universe.assets)} assets, {len(portfolios)} portfolios "
          f"({settings.config_dir})")
    if args.config_only:
        return EXIT_OK
    sql = """SELECT as_of, count(*) AS expectations, count(*) FILTER (WHERE NOT success) AS failed,
                    count(*) FILTER (WHERE NOT success AND severity = 'error') AS errors
             FROM validation_results
             WHERE ($date IS NULL OR as_of = CAST($date AS DATE))
             GROUP BY as_of ORDER BY as_of DESC LIMIT 10"""
    summary = _run_query(settings, sql, {"date": args.date.isoformat() if args.date else None})
    if summary.empty:
        print("no validation results recorded" + (f" for {args.date}" if args.date else ""))
        return EXIT_OK
    print("\nlatest validation runs:")
    _print_frame(summary)
    latest = summary.iloc[0]
    if latest["errors"] > 0:
        print(f"\n{latest['errors']} failed expectation(s) of severity error on {latest['as_of']}:")
        _print_frame(_run_query(settings, (QUERIES_DIR / "validation_failures.sql").read_text()))
        return EXIT_PROBLEMS
    return EXIT_OK


def cmd_run(args, settings: Settings) -> int:
    from pipelines.runner import run_daily

    summary = _run_with_progress(f"run {args.date}", run_daily, settings, args.date, report=args.report)
    _print_run(summary, args.json)
    return EXIT_OK


def cmd_train(args, settings: Settings) -> int:
    from pipelines import lake
    from pipelines.runner import train

    latest = lake.curated_max_date(settings, lake.PRICES)
    if latest is None:
        raise FileNotFoundError(f"the lake under {settings.curated_dir} holds no prices; ingest first")
    as_of = args.date or latest
    if as_of > latest:
        raise ValueError(f"--date {as_of} is after the lake's latest price date {latest}")
    _print_run(train(settings, as_of, args.run_id), args.json)
    return EXIT_OK


def cmd_backfill(args, settings: Settings) -> int:
    from pipelines.runner import backfill

    summary = _run_with_progress("backfill", backfill, settings, args.start,
                                 args.end, report=args.report, portfolio_ids=args.portfolio, workers=args.workers,
                                 skip=("analytics",) if args.no_analytics else ())
    _print_run(summary, args.json)
    return EXIT_OK


def _report(settings: Settings, portfolio_ids: list[str] | None, run_id: str | None = None):
    from pipelines.reporting.build import write_reports

    result = write_reports(settings, run_id=run_id, portfolio_ids=portfolio_ids or None)
    print(f"report: {result.index}")
    for pid, path in result.pages.items():
        print(f"  {pid:28s} {path}")
    return result


def cmd_report(args, settings: Settings) -> int:
    _report(settings, args.portfolio, args.run_id)
    return EXIT_OK


def cmd_summary(args, settings: Settings) -> int:
    print("Managed model portfolios (from the DuckDB warehouse):")
    _print_query(settings, (QUERIES_DIR / "portfolio_summary.sql").read_text())
    print("\nLatest trades:")
    _print_query(settings, (QUERIES_DIR / "last_trades.sql").read_text())
    return EXIT_OK


def _check_output(output: Path | None) -> None:
    """--output must name a regular file (new or existing), not a directory or a device."""
    if output is None:
        return
    if output.exists() and not output.is_file():
        raise ValueError(f"--output {output}: not a regular file (a directory or a device)")
    if output.suffix not in (".csv", ".parquet"):
        raise ValueError(f"--output {output}: the name must end in .csv or .parquet")


def query_sql(text: str) -> str:
    """The SQL to run: the named query's text when `text` is a name from sql/queries/ (looked
    up among those files, never by opening a path built from the argument), else `text`."""
    if NAME.fullmatch(text):
        path = QUERIES_DIR / f"{text}.sql"
        if text in named_queries():
            return path.read_text()
        raise ValueError(f"no query named {text!r} in {QUERIES_DIR}; known: {', '.join(named_queries())}")
    return text


def cmd_query(args, settings: Settings) -> int:
    if args.list or not args.sql:
        for name, desc in named_queries().items():
            print(f"{name:28s} {desc}")
        return EXIT_OK
    sql = query_sql(args.sql)
    params = {}
    for p in args.param:
        if "=" not in p:
            raise ValueError(f"--param takes NAME=VALUE, got {p!r}")
        key, value = p.split("=", 1)
        params[key] = value
    if args.format == "parquet" and args.output is None:
        raise ValueError("--format parquet needs --output FILE.parquet")
    _check_output(args.output)
    if not 0 < args.timeout <= 3600:
        raise ValueError(f"--timeout {args.timeout}: give seconds between 0 and 3600")
    return _print_query(settings, sql, params, args.format, args.output, args.timeout)


def cmd_lake(args, settings: Settings) -> int:
    """`lake verify`: every curated partition against its manifest (exit 1 on a mismatch);
    `lake adopt`: record the partitions on disk as trusted (a lake from before manifests)."""
    from pipelines import lake

    problems = 0
    for dataset in lake.DATASETS.values():
        if args.action == "adopt":
            print(f"{dataset.name}: {lake.adopt_curated(settings, dataset)} partitions recorded as trusted")
            continue
        found = lake.verify_curated(settings, dataset)
        problems += len(found)
        print(f"{dataset.name}: " + ("OK" if not found else f"{len(found)} problem(s)"))
        for line in found:
            print(f"  - {line}")
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_portfolios(args, settings: Settings) -> int:
    if getattr(args, "action", None) == "show":
        return _show_portfolio(settings, args.portfolio_id)
    header = ("id", "strategy", "risk_profile", "name")
    rows = [header, *((p.id, p.strategy, p.risk_profile, p.name) for p in catalog.portfolios(settings))]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    for row in rows:
        print("  ".join([*(v.ljust(w) for v, w in zip(row[:-1], widths, strict=True)), row[-1]]))
    return EXIT_OK


def _show_portfolio(settings: Settings, portfolio_id: str) -> int:
    import yaml

    p = catalog.portfolio(settings, portfolio_id)
    print(yaml.safe_dump(p.model_dump(mode="json"), sort_keys=False).rstrip())
    if not settings.warehouse_path.exists():
        print("\n(no warehouse yet: run the pipeline to see NAV and weights)")
        return EXIT_OK
    nav = _run_query(settings, "SELECT date, round(nav, 2) AS nav, round(cash, 2) AS cash FROM nav "
                               "WHERE portfolio_id = $pid ORDER BY date DESC LIMIT 5", {"pid": p.id})
    print("\nlatest NAV:")
    _print_frame(nav)
    weights = _run_query(settings, "SELECT date, symbol, asset_class, round(100 * weight, 2) AS weight_pct "
                                   "FROM v_latest_allocations WHERE portfolio_id = $pid", {"pid": p.id})
    print("\nlatest target weights:")
    _print_frame(weights)
    return EXIT_OK


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO level")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str, description: str, func) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=description,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    p = add("ingest", "bring the Parquet lake up to a date (data known at its close)",
            "Fetch what the data source knew at the close of DATE (prices by date, macro series by\n"
            "release date), validate it with the quality gate and merge it into the curated lake.\n"
            "A rejected batch is quarantined and the command exits 2.", cmd_ingest)
    p.add_argument("--date", type=identifiers.cli_date, required=True, help="the as-of date, YYYY-MM-DD")
    p.add_argument("--full-history", action="store_true", help="re-ingest everything known by the date")

    p = add("validate", "check the configuration and the latest data-quality results",
            "Load and validate config/*.yaml (universe, portfolios, quality thresholds), then show\n"
            "the data-quality results recorded by the ingests. Exit 1 when the latest validated date\n"
            "has failed expectations of severity error, 2 when the configuration is invalid.",
            cmd_validate)
    p.add_argument("--date", type=identifiers.cli_date, help="only this as-of date")
    p.add_argument("--config-only", action="store_true", help="check the configuration files only")

    p = add("run", "the daily pipeline for one date: ingest, allocate, trade, load",
            "What the two daily DAGs do, in one process: ingest DATE, advance every portfolio to it,\n"
            "load the warehouse in one transaction.", cmd_run)
    p.add_argument("--date", type=identifiers.cli_date, required=True, help="the trading date, YYYY-MM-DD")
    p.add_argument("--report", action="store_true", help="write the HTML reports afterwards")
    p.add_argument("--json", action="store_true", help="print the run's outputs as JSON")

    p = add("backfill", "recompute every portfolio over a date range",
            "Ingest everything known by END, then recompute every portfolio from START to END (each\n"
            "date sees only data known at its close). Shows a progress bar on a terminal, plain\n"
            "progress lines otherwise. --portfolio ID recomputes only that portfolio (one just added\n"
            "to config/portfolios.yaml); the others keep their rows.", cmd_backfill)
    p.add_argument("--start", type=identifiers.cli_date, required=True, help="first date, YYYY-MM-DD")
    p.add_argument("--end", type=identifiers.cli_date, required=True, help="last date, YYYY-MM-DD")
    p.add_argument("--portfolio", action="append", metavar="ID", type=_identifier(identifiers.check_portfolio_id),
                   help="only these portfolios (repeatable; default every portfolio)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="compute the portfolios and account shards in N processes (default 1)")
    p.add_argument("--no-analytics", action="store_true",
                   help="leave performance and attribution to the next run (its analytics step recomputes "
                        "every portfolio); `make run` does this before its daily DAG runs")
    p.add_argument("--report", action="store_true", help="write the HTML reports afterwards")
    p.add_argument("--json", action="store_true", help="print the run's outputs as JSON")

    p = add("train", "train the regime and factor models up to a date and load their tables",
            "Walk-forward refits up to DATE (default: the lake's latest price date), a refit at the\n"
            "date, factor exposures; then the model tables through the single writer: the\n"
            "model_training DAG's work, in-process.", cmd_train)
    p.add_argument("--date", type=identifiers.cli_date, default=None, help="training date, YYYY-MM-DD")
    p.add_argument("--run-id", type=_identifier(identifiers.check_run_id), default=None,
                   help="run id recorded in the rows")
    p.add_argument("--json", action="store_true", help="print the run's outputs as JSON")

    p = add("report", "write the HTML reports under $DAA_HOME/reports/",
            "Self-contained HTML (opens offline): an index with every portfolio's key figures and a\n"
            "page per portfolio with equity vs benchmark, drawdown, weights, trades, regimes,\n"
            "attribution and metrics. Prints the paths.", cmd_report)
    p.add_argument("--portfolio", action="append", metavar="ID", type=_identifier(identifiers.check_portfolio_id),
                   help="only these portfolios (repeatable)")
    p.add_argument("--run-id", type=_identifier(identifiers.check_run_id),
                   help="also keep a copy under reports/runs/<run id>/")

    p = add("summary", "print every portfolio's latest NAV and last trades",
            "A quick look at the warehouse: sql/queries/portfolio_summary.sql and last_trades.sql.",
            cmd_summary)

    queries = "\n".join(f"  {k:28s} {v}" for k, v in named_queries().items())
    p = add("query", "read-only SQL, or the name of a file in sql/queries/",
            "Run one SELECT against the warehouse in a sandbox: opened read-only, no file outside the\n"
            "curated lake (COPY, EXPORT, ATTACH, read_csv of host files, glob, INSTALL are refused),\n"
            "configuration locked, stopped after --timeout seconds. SQL is either a SELECT statement\n"
            "or the name of a documented query in sql/queries/:\n" + queries +
            "\n\nexamples:\n  python -m pipelines query latest_allocations\n"
            "  python -m pipelines query trade_blotter --param date=2016-12-01 --format csv\n"
            "  python -m pipelines query \"SELECT * FROM nav\" --output nav.parquet", cmd_query)
    p.add_argument("sql", nargs="?", help="a SELECT statement or a query name such as 'latest_allocations'")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="bind $NAME in the query (repeatable); a parameter the query's Usage line shows in brackets "
                        "is optional (NULL when not given), any other is required")
    p.add_argument("--format", choices=["table", "csv", "parquet"], default="table",
                   help="table (default) or CSV on stdout; parquet needs --output")
    p.add_argument("--output", type=Path, help="write the result to a .csv or .parquet file")
    p.add_argument("--list", action="store_true", help="list the named queries")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="stop the statement after this many seconds (default 60)")

    p = add("lake", "verify the curated lake against its checksums, or adopt it",
            "lake verify: hash every curated partition and compare it with its dataset's manifest\n"
            "(exit 1 naming each changed, deleted or unknown partition).\n"
            "lake adopt: record the partitions on disk as trusted, for a lake written before\n"
            "manifests existed or one restored by hand.", cmd_lake)
    p.add_argument("action", choices=["verify", "adopt"])

    p = add("portfolios", "list the managed model portfolios, or show one",
            "portfolios [list]: one line per portfolio in config/portfolios.yaml.\n"
            "portfolios show ID: its validated configuration, latest NAV and target weights.",
            cmd_portfolios)
    psub = p.add_subparsers(dest="action", metavar="ACTION")
    psub.add_parser("list", help="one line per portfolio")
    show = psub.add_parser("show", help="configuration, latest NAV and weights of one portfolio")
    show.add_argument("portfolio_id", type=_identifier(identifiers.check_portfolio_id))

    from pipelines.cli_accounts import register as register_accounts

    register_accounts(sub)
    return parser


# Commands that change the lake or the warehouse: their failures are recorded in pipeline_runs.
RECORDED_COMMANDS = {"ingest", "run", "backfill", "train"}


def _record_failure(args, exc: BaseException) -> None:
    """A failed pipeline command as a `failed` row of `pipeline_runs` (masked, bounded wait),
    unless the runner recorded it already or there is no usable data root."""
    from pipelines.runner import RECORDED, record_failure

    if args.command not in RECORDED_COMMANDS or RECORDED in getattr(exc, "__notes__", ()):
        return
    try:
        settings = Settings.from_env()
    except Exception:  # noqa: BLE001 - the configuration itself is what failed
        return
    as_of = getattr(args, "date", None) or getattr(args, "end", None)
    run_id = f"cli__{args.command}__{as_of or 'none'}__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    record_failure(settings, run_id, f"cli.{args.command}", exc, as_of=as_of)


def main(argv: list[str] | None = None) -> int:
    from pipelines.secrets import install_log_filter, mask

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_filter()
    try:
        code = args.func(args, Settings.from_env())
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # the reader went away (`query ... | head`): what it wanted was written; no traceback,
        # and no second error when the interpreter flushes stdout at exit
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (ConfigError, OSError, KeyError, ValueError, RuntimeError, duckdb.Error) as exc:
        print(f"error: {mask(exc)}", file=sys.stderr)
        _record_failure(args, exc)
        return EXIT_ERROR
