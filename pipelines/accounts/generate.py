"""Seeded synthetic books: realistic client accounts and cash flows over the model portfolios.

What the draws mimic (a robo-advisor's retail book):
- clients by risk profile (30% conservative, 45% moderate, 25% aggressive), each on one of the
  profile's models, the first models of a profile the most popular (Zipf weights);
- a book that grows: inception dates denser toward the end of the window;
- account sizes log-normal (median about 20,000, a long right tail, 1,000 .. 5,000,000);
- fractional accounts (minimum ticket 1), except 30% of those above 25,000 that hold whole
  units (index-priced symbols cost thousands a unit); a few with a drift
  tolerance override, a cash buffer, or ESG exclusions (WTI, XOM, CVX, RRC) with substitutes;
- tiered advisory fees (25 bps under 100,000, 20 under 1,000,000, 15 above);
- recurring monthly contributions for 55% of the accounts, occasional one-off deposits,
  occasional withdrawals (never more than 60% of what went in), rare one-off fees, and 3% of
  the flows recorded a few days late (they take effect when recorded).
The same seed gives the same files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.allocation import catalog
from pipelines.config import Settings
from pipelines.lake.files import write_parquet_atomic

PROFILES = {"conservative": 0.30, "moderate": 0.45, "aggressive": 0.25}
ESG_SUBSTITUTES = {"WTI": "UST10Y", "XOM": "MSFT", "CVX": "JNJ", "RRC": "PG"}


@dataclass(frozen=True)
class GeneratedBook:
    accounts_path: Path
    flows_path: Path
    accounts: int
    flows: int


def _models(settings: Settings, models: list[str] | None) -> tuple[list[str], dict[str, list[str]]]:
    """(model ids, symbols of each) grouped by risk profile for the draw."""
    book = catalog.portfolios(settings)
    if models:
        wanted = set(models)
        unknown = sorted(wanted - {p.id for p in book})
        if unknown:
            raise ValueError(f"unknown model portfolio(s) {unknown}")
        book = [p for p in book if p.id in wanted]
    return [p.id for p in book], {p.id: list(p.symbols) for p in book}


def _pick_models(rng: np.random.Generator, settings: Settings, ids: list[str], n: int) -> np.ndarray:
    profiles = {p.id: p.risk_profile for p in catalog.portfolios(settings)}
    present = [r for r in PROFILES if any(profiles[m] == r for m in ids)]
    weights = np.array([PROFILES[r] for r in present])
    profile = rng.choice(len(present), size=n, p=weights / weights.sum())
    out = np.empty(n, dtype=object)
    for k, r in enumerate(present):
        members = [m for m in ids if profiles[m] == r]
        zipf = 1.0 / np.arange(1, len(members) + 1)
        rows = profile == k
        out[rows] = np.asarray(members, dtype=object)[rng.choice(len(members), size=int(rows.sum()),
                                                                 p=zipf / zipf.sum())]
    return out


def draw_accounts(settings: Settings, n: int, seed: int, start: dt.date, end: dt.date,
                  models: list[str] | None = None, incept_within: int | None = None) -> pd.DataFrame:
    """`n` accounts incepted between `start` and about a month before `end` (or within the
    first `incept_within` days, for a book that is live over the whole window)."""
    if end <= start:
        raise ValueError(f"the book's window is empty: {start} .. {end}")
    rng = np.random.default_rng(seed)
    ids, symbols = _models(settings, models)
    model = _pick_models(rng, settings, ids, n)
    span = max((end - start).days - 30, 1) if incept_within is None else max(incept_within, 1)
    inception = pd.Timestamp(start) + pd.to_timedelta(np.floor(rng.beta(1.6, 1.0, n) * span), unit="D")
    deposit = np.clip(np.round(rng.lognormal(np.log(20_000), 1.1, n)), 1_000, 5_000_000)
    fractional = (deposit < 25_000) | (rng.random(n) < 0.7)   # whole units only for larger accounts
    tolerance = np.where(rng.random(n) < 0.10, 0.05, np.where(rng.random(n) < 0.05, 0.02, np.nan))
    fee = np.where(deposit < 100_000, 25.0, np.where(deposit < 1_000_000, 20.0, 15.0))
    restricted = np.full(n, "", dtype=object)
    esg = np.flatnonzero(rng.random(n) < 0.08)
    for i in esg:
        held = [f"{s}>{ESG_SUBSTITUTES[s]}" for s in ESG_SUBSTITUTES if s in symbols[model[i]]]
        restricted[i] = ";".join(held)
    return pd.DataFrame({
        "account_id": [f"A{i:07d}" for i in range(1, n + 1)],
        "portfolio_id": model.astype(str),
        "inception": inception.date,
        "initial_deposit": deposit,
        "fractional": fractional,
        "drift_tolerance": tolerance,
        "restricted": restricted.astype(str),
        "cash_buffer": np.where(rng.random(n) < 0.2, 0.01, 0.0),
        "min_trade_value": np.where(fractional, 1.0, 0.0),
        "fee_bps": fee,
    })


def draw_flows(accounts: pd.DataFrame, seed: int, end: dt.date) -> pd.DataFrame:
    """Recurring contributions, one-off deposits, withdrawals and fees of `accounts` up to `end`."""
    rng = np.random.default_rng(seed + 1_000_003)
    n = len(accounts)
    inception = pd.to_datetime(accounts["inception"]).to_numpy(dtype="datetime64[D]")
    end_d = np.datetime64(end, "D")
    days = np.maximum((end_d - inception).astype(np.int64), 1)
    years = days / 365.25
    deposit = accounts["initial_deposit"].to_numpy(dtype=float)
    ids = accounts["account_id"].to_numpy(dtype=object)
    parts = []
    # recurring monthly contributions
    rec = np.flatnonzero(rng.random(n) < 0.55)
    first = inception[rec] + rng.integers(10, 60, len(rec)).astype("timedelta64[D]")
    ok = first <= end_d
    rec, first = rec[ok], first[ok]
    amount = np.maximum(np.round(rng.lognormal(np.log(np.maximum(deposit[rec] * 0.02, 100)), 0.5) / 10) * 10, 10)
    stops = rng.random(len(rec)) < 0.2
    stop = first + (rng.random(len(rec)) * (end_d - first).astype(np.int64)).astype("timedelta64[D]")
    parts.append(pd.DataFrame({"account_id": ids[rec], "kind": "recurring", "date": first, "amount": amount,
                               "end_date": np.where(stops, stop, np.datetime64("NaT"))}))
    for kind, rate, size in (("deposit", 0.4, lambda i: rng.lognormal(np.log(0.2 * deposit[i]), 0.8)),
                             ("withdrawal", 0.25, lambda i: rng.uniform(0.05, 0.2, len(i)) * deposit[i]),
                             ("fee", 0.02, lambda i: np.full(len(i), 25.0))):
        count = rng.poisson(rate * years)
        who = np.repeat(np.arange(n), count)
        when = inception[who] + (1 + np.floor(rng.random(len(who)) * (days[who] - 1))).astype("timedelta64[D]")
        parts.append(pd.DataFrame({"account_id": ids[who], "kind": kind, "date": when,
                                   "amount": np.maximum(np.round(size(who), 2), 1.0),
                                   "end_date": np.datetime64("NaT")}))
    flows = pd.concat(parts, ignore_index=True)
    flows["date"] = pd.to_datetime(flows["date"])
    flows["end_date"] = pd.to_datetime(flows["end_date"])
    flows = _payable(flows, accounts, end)
    late = rng.random(len(flows)) < 0.03
    lag = pd.to_timedelta(rng.integers(1, 6, len(flows)), unit="D")
    flows["recorded_on"] = flows["date"].where(~late, flows["date"] + lag)
    flows = flows.sort_values(["date", "account_id", "kind"], kind="stable").reset_index(drop=True)
    for c in ("date", "end_date", "recorded_on"):
        flows[c] = flows[c].dt.date
    return flows[["account_id", "kind", "date", "amount", "end_date", "recorded_on"]]


def _payable(flows: pd.DataFrame, accounts: pd.DataFrame, end: dt.date) -> pd.DataFrame:
    """Drop withdrawals and fees that would take out more than 60% of what went in by then."""
    from pipelines.accounts.flows import occurrences

    cols = flows.assign(flow_id=np.arange(len(flows)).astype(str), recorded_on=flows["date"])
    occ = occurrences(cols, end)
    initial = accounts.assign(flow_id="init", kind="deposit", date=pd.to_datetime(accounts["inception"]),
                              amount=accounts["initial_deposit"], recorded_on=pd.to_datetime(accounts["inception"]))
    ev = pd.concat([initial[occ.columns], occ], ignore_index=True)
    inflow = ev["kind"].isin(["deposit", "recurring"]).to_numpy()
    ev = ev.assign(inflow=np.where(inflow, ev["amount"], 0.0), outflow=np.where(inflow, 0.0, ev["amount"]),
                   first=~inflow).sort_values(["account_id", "date", "first"], kind="stable")
    g = ev.groupby("account_id")
    over = (g["outflow"].cumsum() > 0.6 * g["inflow"].cumsum()) & (ev["outflow"] > 0)
    drop = set(ev.loc[over, "flow_id"])
    return flows[~np.isin(np.arange(len(flows)).astype(str), list(drop))].reset_index(drop=True)


def last_price_date(settings: Settings) -> dt.date:
    """The lake's last price date: where a generated book's flows end by default."""
    from pipelines import lake

    last = lake.curated_max_date(settings, lake.PRICES)
    if last is None:
        raise FileNotFoundError("no curated prices yet: ingest first (python -m pipelines ingest), or give --end")
    return last


def generate_book(settings: Settings, n: int, seed: int, start: dt.date, end: dt.date, out_dir: Path,
                  models: list[str] | None = None, fmt: str = "parquet",
                  incept_within: int | None = None) -> GeneratedBook:
    """Write accounts.<fmt> and flows.<fmt> of a synthetic book under `out_dir`."""
    accounts = draw_accounts(settings, n, seed, start, end, models, incept_within)
    flows = draw_flows(accounts, seed, end)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in (("accounts", accounts), ("flows", flows)):
        path = out_dir / f"{name}.{fmt}"
        if fmt == "csv":
            tmp = path.with_suffix(".csv.tmp")
            df.to_csv(tmp, index=False)
            tmp.replace(path)
        else:
            write_parquet_atomic(df, path)
        paths.append(path)
    return GeneratedBook(paths[0], paths[1], len(accounts), len(flows))
