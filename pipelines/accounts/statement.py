"""An account statement for a period: holdings at its end, the period's flows, trades and fees,
and its time- and money-weighted returns (over the period and since inception).

The returns follow `pipelines.accounts.returns`: TWR chains the daily returns (flows at the
end of the day); MWR is the XIRR of the period's opening NAV, its flows and the closing NAV
(annualised for a year or more, over the period otherwise).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.accounts.returns import DAYS_A_YEAR, xirr
from pipelines.config import Settings
from pipelines.identifiers import check_account_id
from pipelines.warehouse.db import connect, table_names
from pipelines.warehouse.sql_files import load_sql

INFLOWS = ("initial_deposit", "deposit", "recurring")


@dataclass(frozen=True)
class Statement:
    account: dict
    start: dt.date
    end: dt.date
    opening_nav: float
    closing_nav: float
    deposits: float
    withdrawals: float
    fees: float
    costs: float
    twr: float
    mwr: float
    twr_inception: float
    mwr_inception: float
    holdings: pd.DataFrame     # symbol, quantity, price, value, weight, target
    flows: pd.DataFrame        # the period's flows and charges
    trades: pd.DataFrame       # the period's tickets

    @property
    def gain(self) -> float:
        """Market gain of the period net of fees and costs: what the flows do not explain."""
        return self.closing_nav - self.opening_nav - self.deposits + self.withdrawals


def _mwr(dates: list[pd.Timestamp], amounts: list[float]) -> float:
    """XIRR of (date, investor amount) flows; annualised from a year, over the period below."""
    if len(dates) < 2:
        return float("nan")
    t0 = dates[0]
    years = np.array([(d - t0).days / DAYS_A_YEAR for d in dates])
    rate = float(xirr(np.zeros(len(dates), dtype=np.int64), years, np.array(amounts, dtype=float), 1)[0])
    span = years[-1]
    return rate if span >= 1.0 else (1.0 + rate) ** span - 1.0


def _external(flows: pd.DataFrame) -> pd.Series:
    """Account-side amount of each applied external flow (withdrawals negative)."""
    applied = flows[(flows["status"] == "applied") & flows["kind"].isin([*INFLOWS, "withdrawal"])]
    return applied["amount"].where(applied["kind"] != "withdrawal", -applied["amount"])


def build_statement(settings: Settings, account_id: str, start: dt.date | None = None,
                    end: dt.date | None = None) -> Statement:
    """The statement of `account_id` from `start` (default: the first day of `end`'s month) to
    `end` (default: the latest processed day)."""
    check_account_id(account_id)
    with connect(settings, read_only=True) as con:
        acc = con.execute(load_sql("app/statement_account.sql"), {"account_id": account_id}).df()
        if acc.empty:
            raise KeyError(f"no account {account_id!r} in the book")
        nav = con.execute(load_sql("app/statement_nav.sql"),
                          {"account_id": account_id, "end": end or dt.date.max}).df()
        if nav.empty:
            raise ValueError(f"account {account_id} has no processed day yet: run the account rebalance")
        nav["date"] = pd.to_datetime(nav["date"])
        end = nav["date"].iloc[-1].date()
        start = start or end.replace(day=1)
        upto = {"account_id": account_id, "end": end}
        flows = con.execute(load_sql("app/statement_flows.sql"), upto).df()
        trades = con.execute(load_sql("app/statement_trades.sql"), {**upto, "start": start}).df()
        held = con.execute(load_sql("app/statement_positions.sql"), upto).df()
        model = nav["portfolio_id"].iloc[-1]
        targets = con.execute(load_sql("app/statement_targets.sql"), {"portfolio_id": model, "end": end}).df()
        prices = pd.DataFrame(columns=["symbol", "close"])
        if "prices" in table_names(con) and len(held):
            prices = con.execute(load_sql("app/statement_prices.sql"),
                                 {"end": end, "symbols": list(held["symbol"])}).df()
    return _assemble(acc.iloc[0].to_dict(), nav, flows, trades, held, targets, prices, start, end)


def _assemble(account, nav, flows, trades, held, targets, prices, start, end) -> Statement:
    flows = flows.assign(date=pd.to_datetime(flows["date"]))
    period = nav[nav["date"] >= pd.Timestamp(start)]
    before = nav[nav["date"] < pd.Timestamp(start)]
    opening = float(before["nav"].iloc[-1]) if len(before) else 0.0
    opened = before["date"].iloc[-1] if len(before) else period["date"].iloc[0]
    closing = float(nav["nav"].iloc[-1])
    in_period = flows[flows["date"] >= pd.Timestamp(start)]
    ext = _external(in_period)
    kinds = in_period.loc[ext.index, "kind"]
    charges = in_period[(in_period["status"] == "applied") & in_period["kind"].isin(["fee", "advisory_fee"])]
    all_ext = _external(flows)
    dates = ([opened] if opening > 0 else []) + list(in_period.loc[ext.index, "date"]) + [nav["date"].iloc[-1]]
    amounts = ([-opening] if opening > 0 else []) + list(-ext) + [closing]
    return Statement(
        account=account, start=start, end=end, opening_nav=opening, closing_nav=closing,
        deposits=float(ext[kinds.isin(INFLOWS)].sum()), withdrawals=float(-ext[kinds == "withdrawal"].sum()),
        fees=float(charges["amount"].sum()), costs=float(trades["cost"].sum()) if len(trades) else 0.0,
        twr=float(np.prod(1.0 + period["daily_return"].to_numpy()) - 1.0),
        mwr=_mwr(dates, amounts),
        twr_inception=float(np.prod(1.0 + nav["daily_return"].to_numpy()) - 1.0),
        mwr_inception=_mwr(list(flows.loc[all_ext.index, "date"]) + [nav["date"].iloc[-1]],
                           list(-all_ext) + [closing]),
        holdings=_holdings(held, targets, prices, nav.iloc[-1], account),
        flows=in_period.reset_index(drop=True), trades=trades)


def _holdings(held, targets, prices, last, account) -> pd.DataFrame:
    """Positions at the end with their value, weight and the account's target (restricted
    symbols' weights moved to their substitutes), and the cash line."""
    target = dict(zip(targets["symbol"], targets["weight"], strict=True))
    for pair in (account.get("restricted") or "").split(";"):
        if ">" in pair:
            sym, sub = pair.split(">")
            target[sub] = target.get(sub, 0.0) + target.pop(sym, 0.0)
    price = dict(zip(prices["symbol"], prices["close"], strict=True))
    rows = [{"symbol": s, "quantity": q, "price": price.get(s, np.nan), "value": q * price.get(s, np.nan)}
            for s, q in zip(held["symbol"], held["quantity"], strict=True)]
    cash_symbol = next((s for s in target if s == "CASH"), "CASH")
    rows.append({"symbol": cash_symbol, "quantity": np.nan, "price": np.nan, "value": float(last["cash"])})
    out = pd.DataFrame(rows)
    out["weight"] = out["value"] / float(last["nav"])
    out["target"] = out["symbol"].map(target).fillna(0.0)
    return out


def render(st: Statement) -> str:
    """The statement as text."""
    a = st.account
    units = "fractional" if a["fractional"] else "whole"
    tolerance = f"{100 * a['drift_tolerance']:g}%" if pd.notna(a["drift_tolerance"]) else "default"
    restricted = f", restricted {a['restricted']}" if a.get("restricted") else ""
    # The gain line is the residual of the cent-rounded lines, so the statement foots to the cent.
    shown_gain = (round(st.closing_nav, 2) - round(st.opening_nav, 2) - round(st.deposits, 2)
                  - round(-st.withdrawals, 2))
    lines = [f"Statement of account {a['account_id']} ({a['portfolio_id']}), {st.start} to {st.end}",
             f"  inception {pd.Timestamp(a['inception']).date()}, {units} units, advisory fee {a['fee_bps']:g} bps "
             f"a year, drift tolerance {tolerance}{restricted}",
             "",
             f"  opening NAV              {st.opening_nav:>14,.2f}",
             f"  deposits                 {st.deposits:>14,.2f}",
             f"  withdrawals              {-st.withdrawals:>14,.2f}",
             f"  market, fees and costs   {shown_gain:>14,.2f}   (fees charged {st.fees:,.2f}, "
             f"trading costs {st.costs:,.2f})",
             f"  closing NAV              {st.closing_nav:>14,.2f}",
             "",
             f"  time-weighted return:  period {100 * st.twr:7.2f}%   since inception {100 * st.twr_inception:7.2f}%",
             f"  money-weighted return: period {100 * st.mwr:7.2f}%   since inception {100 * st.mwr_inception:7.2f}%"
             "  (annualised over a year or more)",
             "", "Holdings at the close of " + str(st.end)]
    h = st.holdings.copy()
    for c in ("weight", "target"):
        h[c] = (100 * h[c]).round(2)
    lines += ["  " + x for x in h.round({"quantity": 6, "price": 4, "value": 2}).to_string(index=False).splitlines()]
    lines += ["", f"Flows and charges ({len(st.flows)})"]
    f = st.flows.assign(date=st.flows["date"].dt.date).drop(columns=["note"])
    lines += ["  " + x for x in (f.round({"amount": 2}).to_string(index=False) if len(f) else "(none)").splitlines()]
    lines += ["", f"Trades ({len(st.trades)})"]
    t = st.trades.round({"quantity": 6, "price": 4, "notional": 2, "cost": 4})
    lines += ["  " + x for x in (t.to_string(index=False) if len(t) else "(none)").splitlines()]
    return "\n".join(lines)
