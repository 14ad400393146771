"""The book: client accounts and their cash flows, imported from CSV or Parquet files.

`import_book` checks every row of the files (line and column named for each problem: unknown
model, duplicate id, negative deposit, malformed date, a withdrawal beyond the balance, ...)
and loads nothing of a file with a problem; a clean file is loaded in one transaction.

Accounts file columns: account_id, portfolio_id, inception, initial_deposit (required);
fractional (true/false, default true), drift_tolerance (empty: the configured default),
restricted ("WTI>UST10Y;XOM>CASH": each restricted symbol and its substitute, the cash symbol
to hold cash instead), cash_buffer (fraction of NAV), min_trade_value, fee_bps (a year).
Flows file columns: account_id, kind (deposit, withdrawal, recurring, fee), date, amount
(required); end_date (recurring only), recorded_on (default: the import's --recorded-on, else
the flow's date), flow_id (default: a hash of the row, so re-importing a file changes nothing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.accounts.flows import FLOW_COLUMNS, occurrences
from pipelines.accounts.validate import BookFile, Checker, read_book_file, valid_ids
from pipelines.allocation import catalog
from pipelines.config import Settings
from pipelines.identifiers import ACCOUNT, FLOW
from pipelines.warehouse.sql_files import load_sql
from pipelines.warehouse.writer import Writer, transaction

ACCOUNT_COLUMNS = ["account_id", "portfolio_id", "inception", "initial_deposit", "fractional", "drift_tolerance",
                   "restricted", "cash_buffer", "min_trade_value", "fee_bps"]
ACCOUNT_REQUIRED = ["account_id", "portfolio_id", "inception", "initial_deposit"]
FLOW_FILE_COLUMNS = ["flow_id", "account_id", "kind", "date", "amount", "end_date", "recorded_on"]
FLOW_REQUIRED = ["account_id", "kind", "date", "amount"]
FLOW_KINDS = ("deposit", "withdrawal", "recurring", "fee")
INFLOWS = ("deposit", "recurring")


@dataclass(frozen=True)
class ImportSummary:
    accounts: int
    restrictions: int
    flows: int
    flows_unchanged: int
    replaced: bool

    def to_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass(frozen=True)
class Universe:
    """What a book may refer to: the model ids and the symbols (with the cash symbol)."""

    models: frozenset[str]
    symbols: frozenset[str]
    cash_symbol: str

    @classmethod
    def of(cls, settings: Settings) -> Universe:
        u = settings.universe
        return cls(frozenset(p.id for p in catalog.portfolios(settings)), frozenset(u.symbols), u.cash_symbol)


# --------------------------------------------------------------------------- accounts


def parse_accounts(book: BookFile, universe: Universe, existing: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The accounts and restrictions of a checked file; BookError listing every bad row."""
    c = Checker(book)
    ids = c.text("account_id")
    c.add((ids != "") & ~valid_ids(ids, ACCOUNT), "account_id",
          lambda r: f"not an account id (letters, digits, '_' or '-', at most 64 characters): {ids[r]!r}")
    first = ids.duplicated()
    first_row = {v: i for i, v in ids[~first].items()}
    c.add(first & (ids != ""), "account_id",
          lambda r: f"duplicate account id {ids[r]!r} (first on {book.where(first_row[ids[r]])})")
    c.add(ids.isin(existing) & ~first, "account_id",
          lambda r: f"account {ids[r]!r} is already in the book (import with --replace to replace the book)")
    models = c.text("portfolio_id")
    known = ", ".join(sorted(universe.models))
    c.add((models != "") & ~models.isin(universe.models), "portfolio_id",
          lambda r: f"unknown model portfolio {models[r]!r}; known: {known}")
    frame = pd.DataFrame({
        "account_id": ids, "portfolio_id": models,
        "inception": c.date("inception").dt.date,
        "initial_deposit": c.number("initial_deposit", low=0, low_open=True),
        "fractional": c.boolean("fractional", default=True),
        "drift_tolerance": c.number("drift_tolerance", required=False, low=0, high=1, low_open=True, high_open=True),
        "cash_buffer": c.number("cash_buffer", required=False, default=0.0, low=0, high=1, high_open=True),
        "min_trade_value": c.number("min_trade_value", required=False, default=0.0, low=0),
        "fee_bps": c.number("fee_bps", required=False, default=0.0, low=0, high=500),
    })
    restrictions = _restrictions(c, ids, universe)
    c.raise_if_any()
    return frame, restrictions


def _restrictions(c: Checker, ids: pd.Series, universe: Universe) -> pd.DataFrame:
    """'SYM>SUB;SYM>SUB' cells into (account_id, symbol, substitute) rows, every pair checked."""
    cells = c.book.cells["restricted"]
    rows = []
    for i in np.flatnonzero((cells != "").to_numpy()):
        problem, pairs = _parse_restricted(cells.iloc[i], universe)
        if problem:
            c.add(np.arange(len(cells)) == i, "restricted", problem)
        rows += [(ids.iloc[i], s, sub) for s, sub in pairs]
    return pd.DataFrame(rows, columns=["account_id", "symbol", "substitute"])


def _parse_restricted(text: str, universe: Universe) -> tuple[str | None, list[tuple[str, str]]]:
    pairs = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        if part.count(">") != 1:
            return f"expected SYMBOL>SUBSTITUTE pairs separated by ';', got {part!r}", []
        sym, sub = (x.strip() for x in part.split(">"))
        if sym not in universe.symbols or sym == universe.cash_symbol:
            return f"restricted symbol {sym!r} is not a symbol of the universe", []
        if sub not in universe.symbols:
            return f"substitute {sub!r} of {sym} is not a symbol of the universe (or {universe.cash_symbol})", []
        pairs.append((sym, sub))
    restricted = [s for s, _ in pairs]
    if len(set(restricted)) != len(restricted):
        return "a symbol is restricted twice", []
    chained = [sub for _, sub in pairs if sub in restricted]
    if chained:
        return f"substitute {chained[0]} is itself restricted", []
    return None, pairs


# --------------------------------------------------------------------------- flows


def parse_flows(book: BookFile, accounts: pd.DataFrame, state: pd.DataFrame, existing: pd.DataFrame,
                recorded_on: dt.date | None, last_day: dt.date | None = None) -> tuple[pd.DataFrame, int]:
    """The new flows of a checked file (rows already loaded with the same content are dropped:
    re-importing a file changes nothing) and how many were already there; BookError otherwise.

    accounts: account_id, inception, initial_deposit of the book; state: account_id, date, nav
    of each account's latest checkpoint; existing: cash_flows rows already loaded; last_day: the
    last day the account rebalance processed (a new flow must take effect after it)."""
    c = Checker(book)
    acct = c.text("account_id")
    inception = acct.map(dict(zip(accounts["account_id"], pd.to_datetime(accounts["inception"]), strict=True)))
    c.add((acct != "") & inception.isna(), "account_id", lambda r: f"unknown account {acct[r]!r}")
    kind = c.text("kind").str.lower()
    c.add((kind != "") & ~kind.isin(FLOW_KINDS), "kind",
          lambda r: f"unknown kind {kind[r]!r}; expected one of {', '.join(FLOW_KINDS)}")
    date = c.date("date")
    c.add(date.notna() & inception.notna() & (date < inception), "date",
          lambda r: f"before the account's inception {pd.Timestamp(inception[r]).date()}")
    amount = c.number("amount", low=0, low_open=True)
    end = c.date("end_date", required=False)
    c.add(end.notna() & (kind != "recurring"), "end_date", "only a recurring flow has an end_date")
    c.add(end.notna() & date.notna() & (end < date), "end_date", "before the flow's date")
    rec = c.date("recorded_on", required=False)
    default = pd.Series(pd.Timestamp(recorded_on), index=date.index) if recorded_on else date
    rec = rec.where(rec.notna(), default)
    if last_day is not None:
        effective = np.maximum(date, rec)
        c.add(effective.notna() & (effective <= pd.Timestamp(last_day)), "recorded_on",
              lambda r: f"takes effect on {effective[r].date()}, on or before the last processed day {last_day}: "
                        f"a flow recorded late takes effect when recorded (give recorded_on after {last_day})")
    flow_id = c.text("flow_id", required=False)
    c.add((flow_id != "") & ~valid_ids(flow_id, FLOW), "flow_id", lambda r: f"not a flow id: {flow_id[r]!r}")
    frame = pd.DataFrame({"account_id": acct, "kind": kind, "date": date, "amount": amount, "end_date": end,
                          "recorded_on": rec})
    frame["flow_id"] = flow_id.where(flow_id != "", _content_ids(frame))
    dup = frame["flow_id"].duplicated() & (flow_id != "")
    c.add(dup, "flow_id", lambda r: f"duplicate flow id {frame['flow_id'][r]!r}")
    c.raise_if_any()
    frame, unchanged = _against_existing(c, frame, existing)
    _check_balances(c, frame, accounts, state, existing)
    c.raise_if_any()
    return frame[FLOW_COLUMNS].assign(line=_lines(book, frame.index)), unchanged


def _lines(book: BookFile, rows: pd.Index) -> np.ndarray:
    return np.asarray(rows, dtype=np.int64) + (2 if book.csv else 1)


def _content_ids(frame: pd.DataFrame) -> pd.Series:
    """A flow id from the row's content and its rank among identical rows of the file."""
    def day(col: str) -> pd.Series:
        return frame[col].dt.strftime("%Y-%m-%d").fillna("").astype(object)

    text = (frame["account_id"].astype(object) + "|" + frame["kind"].astype(object) + "|" + day("date") + "|"
            + frame["amount"].map(repr).astype(object) + "|" + day("end_date") + "|" + day("recorded_on"))
    rank = text.groupby(text).cumcount().astype(str)
    return (text + "#" + rank).map(lambda t: "f" + hashlib.sha1(t.encode()).hexdigest()[:24])


def _against_existing(c: Checker, frame: pd.DataFrame, existing: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop rows already loaded unchanged; a known flow id with other content is an error."""
    if existing.empty:
        return frame, 0
    old = existing.set_index("flow_id")
    hit = frame["flow_id"].isin(old.index)
    if not hit.any():
        return frame, 0
    mine = frame[hit]
    theirs = old.loc[mine["flow_id"]]
    same = ((mine["account_id"].to_numpy() == theirs["account_id"].to_numpy())
            & (mine["kind"].to_numpy() == theirs["kind"].to_numpy())
            & (mine["date"].to_numpy() == pd.to_datetime(theirs["date"]).to_numpy())
            & np.isclose(mine["amount"].to_numpy(), theirs["amount"].to_numpy(dtype=float), rtol=0, atol=1e-9))
    changed = np.zeros(len(frame), dtype=bool)
    changed[np.flatnonzero(hit.to_numpy())[~same]] = True
    c.add(changed, "flow_id", lambda r: f"flow {frame['flow_id'].iloc[r]!r} is already loaded with other content; "
          "flows are not edited: record a correcting flow")
    return frame[~hit], int(same.sum())


def _check_balances(c: Checker, frame: pd.DataFrame, accounts: pd.DataFrame, state: pd.DataFrame,
                    existing: pd.DataFrame) -> None:
    """A withdrawal larger than the account's balance on its date is an error. The balance is
    the latest checkpoint's NAV (else the initial deposit) plus the deposits and contributions
    up to the date, less the withdrawals and fees before it (market moves are not counted)."""
    out = frame[frame["kind"] == "withdrawal"]
    if out.empty:
        return
    who = set(out["account_id"])
    through = out["date"].max().date()
    base = accounts[accounts["account_id"].isin(who)][["account_id", "inception", "initial_deposit"]]
    base = base.assign(date=pd.to_datetime(base["inception"]) - pd.Timedelta(days=1), amount=base["initial_deposit"])
    if not state.empty:
        st = state[state["account_id"].isin(who)].set_index("account_id")
        known = base["account_id"].isin(st.index)
        base.loc[known, "date"] = pd.to_datetime(st.loc[base.loc[known, "account_id"], "date"]).to_numpy()
        base.loc[known, "amount"] = st.loc[base.loc[known, "account_id"], "nav"].to_numpy()
    since = dict(zip(base["account_id"], base["date"], strict=True))
    old = existing[existing["account_id"].isin(who)] if not existing.empty else existing
    events = pd.concat([
        occurrences(old.assign(line=-1), through).assign(origin=0, row=-1) if len(old) else None,
        occurrences(frame[frame["account_id"].isin(who)].assign(row=frame.index[frame["account_id"].isin(who)]),
                    through).assign(origin=1) if who else None], ignore_index=True)
    events = events[events["date"] > events["account_id"].map(since)]
    sign = np.where(events["kind"].isin(INFLOWS), 1.0, -1.0)
    events = events.assign(signed=sign * events["amount"].to_numpy(dtype=float), inflow_first=-sign)
    events = events.sort_values(["account_id", "date", "inflow_first", "origin", "row"], kind="stable")
    start = events["account_id"].map(dict(zip(base["account_id"], base["amount"], strict=True)))
    balance = events.groupby("account_id")["signed"].cumsum() + start
    before = balance - events["signed"]
    bad = events[(events["kind"] == "withdrawal") & (events["origin"] == 1)
                 & (events["amount"] > before + 1e-9)]
    for row, amt, bal, when in zip(bad["row"], bad["amount"], before[bad.index], bad["date"], strict=True):
        c.add(np.arange(len(c.book)) == int(row), "amount",
              f"withdrawal of {amt:,.2f} exceeds the account's balance of {max(bal, 0.0):,.2f} on {when.date()} "
              "(deposits to date less withdrawals and fees; market moves not counted)")


# --------------------------------------------------------------------------- import


def _read(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    return con.execute(load_sql(f"app/{name}.sql")).df()


def import_book(settings: Settings, accounts_path: Path | None = None, flows_path: Path | None = None, *,
                replace: bool = False, recorded_on: dt.date | None = None) -> ImportSummary:
    """Check and load an accounts file and/or a flows file in one transaction (`replace`: the
    accounts file is the whole new book, every account table is emptied first)."""
    universe = Universe.of(settings)
    acc_book = read_book_file(accounts_path, ACCOUNT_COLUMNS, ACCOUNT_REQUIRED) if accounts_path else None
    flow_book = read_book_file(flows_path, FLOW_FILE_COLUMNS, FLOW_REQUIRED) if flows_path else None
    if replace and acc_book is None:
        raise ValueError("--replace needs an accounts file: it replaces the whole book")
    now = dt.datetime.now(dt.UTC)
    with transaction(settings) as w:
        existing = pd.DataFrame(columns=["account_id", "inception", "initial_deposit"]) if replace \
            else _read(w.con, "accounts_book")
        accounts = restrictions = None
        if acc_book is not None:
            accounts, restrictions = parse_accounts(acc_book, universe, set(existing["account_id"]))
        flows, unchanged = None, 0
        if flow_book is not None:
            book = existing if accounts is None else pd.concat([existing, accounts[existing.columns]],
                                                                  ignore_index=True)
            state = _empty_state() if replace else _read(w.con, "accounts_latest_state")
            old = pd.DataFrame(columns=FLOW_COLUMNS) if replace else _read(w.con, "accounts_cash_flows")
            last = None if replace else w.con.execute(load_sql("app/accounts_last_day.sql")).fetchone()[0]
            flows, unchanged = parse_flows(flow_book, book, state, old, recorded_on, last)
        _write(w, accounts, restrictions, flows, replace, now, acc_book, flow_book)
    return ImportSummary(0 if accounts is None else len(accounts), 0 if restrictions is None else len(restrictions),
                         0 if flows is None else len(flows), unchanged, replace)


def _empty_state() -> pd.DataFrame:
    return pd.DataFrame(columns=["account_id", "date", "nav"])


def _write(w: Writer, accounts, restrictions, flows, replace: bool, now: dt.datetime,
           acc_book: BookFile | None, flow_book: BookFile | None) -> None:
    if replace:
        w.run("app/accounts_clear_book.sql")
    if accounts is not None:
        w.insert("accounts", accounts.assign(source=str(acc_book.path), imported_at=now))
        if len(restrictions):
            w.insert("account_restrictions", restrictions)
    if flows is not None and len(flows):
        out = flows.assign(date=flows["date"].dt.date, end_date=flows["end_date"].dt.date,
                           recorded_on=flows["recorded_on"].dt.date, source=str(flow_book.path), imported_at=now)
        w.insert("cash_flows", out)
