"""The portfolio engine: one code path for the daily run and the backfill.

`run_portfolio` advances a portfolio from a state (holdings and cash at the close of the last
processed date) through a list of trading dates. Each date: cash accrues the cash index, the
rebalance rule is checked, the strategy allocates on data known at the close, trades fill at
the close, and positions and NAV are marked. The daily run calls it with the state read back
from the warehouse and one date; the backfill with the initial state and every date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.allocation.base import AllocationContext, AllocationError, Strategy
from pipelines.allocation.registry import get_strategy_class
from pipelines.config import PortfolioConfig, Universe
from pipelines.portfolio.costs import proportional_rates
from pipelines.portfolio.rebalancing import is_calendar_rebalance
from pipelines.portfolio.trading import rebalance_to_target

NAV_COLUMNS = ["date", "portfolio_id", "nav", "cash", "invested", "costs", "turnover",
               "daily_return", "rebalanced"]
POSITION_COLUMNS = ["date", "portfolio_id", "symbol", "quantity", "price", "market_value", "weight"]
TRADE_COLUMNS = ["trade_date", "portfolio_id", "symbol", "side", "quantity", "price", "notional",
                 "cost", "reason"]
WEIGHT_COLUMNS = ["date", "portfolio_id", "symbol", "weight"]


@dataclass
class PortfolioState:
    """Holdings at the close of `date` (None before inception)."""

    date: pd.Timestamp | None
    cash: float
    quantities: dict[str, float]
    nav_history: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))

    @classmethod
    def initial(cls, cfg: PortfolioConfig) -> "PortfolioState":
        return cls(date=None, cash=float(cfg.initial_capital), quantities={})


@dataclass(frozen=True)
class EngineResult:
    nav: pd.DataFrame
    positions: pd.DataFrame
    trades: pd.DataFrame
    target_weights: pd.DataFrame
    state: PortfolioState

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"nav": self.nav, "positions": self.positions, "trades": self.trades,
                "target_weights": self.target_weights}


def build_strategy(cfg: PortfolioConfig) -> Strategy:
    return get_strategy_class(cfg.strategy)(cfg.params)


def run_portfolio(cfg: PortfolioConfig, universe: Universe, prices: pd.DataFrame,
                  dates: Sequence[pd.Timestamp], state: PortfolioState,
                  strategy: Strategy | None = None) -> EngineResult:
    """Advance `state` through `dates` (ascending trading dates present in `prices`).

    prices: (n_dates, n_assets) closes with the portfolio's symbols and the cash symbol; rows
        before the first date supply the strategy's lookback and the previous trading day.
    """
    strategy = strategy or build_strategy(cfg)
    syms = cfg.symbols
    cash_sym = universe.cash_symbol
    cols = [*syms, cash_sym]
    missing = [c for c in cols if c not in prices.columns]
    if missing:
        raise KeyError(f"{cfg.id}: prices lack columns {missing}")
    index = prices.index
    position = {d: i for i, d in enumerate(index)}
    P = prices[syms].to_numpy(dtype=float)
    C = prices[cash_sym].to_numpy(dtype=float)
    frame = prices[cols]
    rates = proportional_rates(cfg.costs, syms, universe.asset_classes)
    lookback = max(1, strategy.lookback_days)

    q = np.array([state.quantities.get(s, 0.0) for s in syms], dtype=float)
    cash = float(state.cash)
    last_date = state.date
    nav_dates = list(state.nav_history.index)
    nav_values = list(state.nav_history.to_numpy(dtype=float))
    prev_nav = nav_values[-1] if nav_values else float(cfg.initial_capital)

    nav_rows, pos_rows, trade_rows, weight_rows = [], [], [], []
    for date in dates:
        i = position.get(date)
        if i is None:
            raise KeyError(f"{cfg.id}: no prices for {date.date()}")
        if last_date is not None:
            if date <= last_date:
                raise ValueError(f"{cfg.id}: date {date.date()} is not after the state date {last_date.date()}")
            cash *= C[i] / C[position[last_date]]
        p = P[i]
        finite = np.isfinite(p)
        if np.any((q != 0) & ~finite):
            bad = [s for s, held, ok in zip(syms, q != 0, finite) if held and not ok]
            raise ValueError(f"{cfg.id}: held symbols without a price on {date.date()}: {bad}")
        p_safe = np.where(finite, p, 0.0)
        nav_pre = cash + float(q @ p_safe)
        first = last_date is None
        prev_trading = index[i - 1] if i > 0 else None
        traded_cost = traded_notional = 0.0
        rebalanced = first or is_calendar_rebalance(cfg.rebalance, date, prev_trading)
        if rebalanced:
            ctx = AllocationContext(
                date=date, prices=frame.iloc[max(0, i + 1 - lookback): i + 1], symbols=syms,
                cash_symbol=cash_sym, asset_classes=universe.asset_classes,
                nav_history=pd.Series(nav_values, index=pd.DatetimeIndex(nav_dates), dtype=float))
            w = strategy.target_weights(ctx)
            weight_rows.extend((date, cfg.id, s, float(x)) for s, x in w.items())
            wr = w[syms].to_numpy()
            if np.any((wr > 0) & ~finite):
                bad = [s for s, x, ok in zip(syms, wr, finite) if x > 0 and not ok]
                raise AllocationError(f"{cfg.id}: target weight on symbols without a price on {date.date()}: {bad}")
            reb = rebalance_to_target(q, cash, np.where(finite, p, 1.0), wr, rates, cfg.costs,
                                      fractional=cfg.fractional_units, allow_leverage=cfg.allow_leverage,
                                      cash_buffer=cfg.cash_buffer)
            reason = "inception" if first else "calendar"
            order = np.argsort(np.sign(reb.delta), kind="stable")  # sells first
            for k in order:
                d = reb.delta[k]
                if d == 0:
                    continue
                trade_rows.append((date, cfg.id, syms[k], "BUY" if d > 0 else "SELL", abs(d), p[k],
                                   abs(d) * p[k], reb.cost[k], reason))
            traded_cost = float(reb.cost.sum())
            traded_notional = float(np.abs(reb.delta) @ p_safe)
            q, cash = reb.quantities, reb.cash
        mv = q * p_safe
        invested = float(mv.sum())
        nav = cash + invested
        for k in np.flatnonzero(q):
            pos_rows.append((date, cfg.id, syms[k], q[k], p[k], mv[k], mv[k] / nav))
        nav_rows.append((date, cfg.id, nav, cash, invested, traded_cost,
                         traded_notional / nav_pre if nav_pre else 0.0, nav / prev_nav - 1.0, rebalanced))
        nav_dates.append(date)
        nav_values.append(nav)
        prev_nav = nav
        last_date = date

    final = PortfolioState(date=last_date, cash=cash,
                           quantities={s: float(x) for s, x in zip(syms, q) if x != 0},
                           nav_history=pd.Series(nav_values, index=pd.DatetimeIndex(nav_dates), dtype=float))
    return EngineResult(
        nav=pd.DataFrame(nav_rows, columns=NAV_COLUMNS),
        positions=pd.DataFrame(pos_rows, columns=POSITION_COLUMNS),
        trades=pd.DataFrame(trade_rows, columns=TRADE_COLUMNS),
        target_weights=pd.DataFrame(weight_rows, columns=WEIGHT_COLUMNS),
        state=final)
