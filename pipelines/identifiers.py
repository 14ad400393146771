"""Strict patterns for every identifier that comes from outside (config, files, batches, CLI).

Identifiers become path components (`series=<id>` partitions, staging and report folders) and
SQL values, so each is checked here against an anchored pattern before it touches either:
no separators, no `..`, no leading dot or dash, bounded length. One module, used at every entry
point, so a symbol accepted by the universe is the same symbol the lake accepts.

    check_symbol("SPX") -> "SPX"; check_symbol("x/../../etc") raises InvalidIdentifier
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Iterable

# Listed tickers: letters/digits, an optional class suffix (BRK.B, BF-B); upper case.
SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9_]{0,19}(?:[.\-][A-Z0-9]{1,10})?$")
# Macro series ids (FRED style: DGS10, CPILFESL, BAMLH0A0HYM2; ours: FF_MKT_RF).
SERIES = re.compile(r"^[A-Z0-9][A-Z0-9_]{0,39}$")
# Portfolio ids: lower snake case, as config files and table rows spell them.
PORTFOLIO = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Client account ids: letters, digits, '_' and '-', starting with a letter or digit.
ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")
# Cash-flow ids: as client systems write them, or our content hashes ('f' + hex).
FLOW = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:\-]{0,63}$")
# Run ids: Airflow's (manual__2016-12-30T00:00:00+00:00) and ours (cli__daily__2016-12-30__...).
RUN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+\-]{0,249}$")

# Dates the pipeline accepts anywhere (CLI arguments, config): the data start in 1990, and no
# date after tomorrow (UTC) can have a close yet.
MIN_DATE = dt.date(1900, 1, 1)


class InvalidIdentifier(ValueError):
    """An identifier does not match its pattern; the message names what it is and the value."""


def _check(kind: str, pattern: re.Pattern[str], value: object, rule: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        raise InvalidIdentifier(f"invalid {kind} {shown}: {rule}")
    return value


def cli_date(text: str) -> dt.date:
    """An argparse `type`: a YYYY-MM-DD date the pipeline handles (`check_date`), or one usage line."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text[:40]!r}") from None
    try:
        return check_date(day)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def check_symbol(value: object) -> str:
    """A price symbol (path component of nothing today, a SQL value and a frame column)."""
    return _check("symbol", SYMBOL, value, "upper-case letters and digits, '_', optionally one "
                  "'.' or '-' class suffix (BRK.B), at most 31 characters")


def check_series(value: object) -> str:
    """A macro series id: it names the curated partition `macro/series=<id>/`."""
    return _check("series", SERIES, value, "upper-case letters, digits and '_', at most 40 characters")


def check_portfolio_id(value: object) -> str:
    """A portfolio id: it names staging folders and report pages."""
    return _check("portfolio id", PORTFOLIO, value, "lower-case letters, digits and '_', starting "
                  "with a letter, at most 63 characters")


def check_account_id(value: object) -> str:
    """A client account id (accounts are rows, imported from files: check each one)."""
    return _check("account id", ACCOUNT, value, "letters, digits, '_' and '-', starting with a "
                  "letter or digit, at most 64 characters")


def check_flow_id(value: object) -> str:
    """A cash-flow id (flows are rows imported from files, like accounts)."""
    return _check("flow id", FLOW, value, "letters, digits, '_', ':' and '-', starting with a letter or "
                  "digit, at most 64 characters")


def check_run_id(value: object) -> str:
    """A run id (Airflow's or the CLI's); `..` is refused since run ids name folders."""
    _check("run id", RUN, value, "letters, digits and '_.:+-', starting with a letter or digit, "
           "at most 250 characters")
    if ".." in value:  # type: ignore[operator]
        raise InvalidIdentifier(f"invalid run id {value!r}: '..' is not allowed")
    return value  # type: ignore[return-value]


def path_component(run_id: str) -> str:
    """A checked run id as one folder name (':' and '+' become '_')."""
    return re.sub(r"[:+]", "_", check_run_id(run_id))


def invalid(values: Iterable[object], check) -> list[object]:
    """The values `check` refuses, in order of first appearance (for batch messages)."""
    bad, seen = [], set()
    for v in values:
        if v in seen:
            continue
        seen.add(v)
        try:
            check(v)
        except InvalidIdentifier:
            bad.append(v)
    return bad


def check_date(value: dt.date, what: str = "date", *, today: dt.date | None = None) -> dt.date:
    """A date within what the pipeline handles: from 1900-01-01 to tomorrow (UTC)."""
    latest = (today or dt.datetime.now(dt.UTC).date()) + dt.timedelta(days=1)
    if value < MIN_DATE:
        raise ValueError(f"{what} {value} is before {MIN_DATE}, the earliest date the pipeline handles")
    if value > latest:
        raise ValueError(f"{what} {value} is in the future: no close is known after {latest}")
    return value
