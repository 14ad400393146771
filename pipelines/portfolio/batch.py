"""Many vectorisable portfolios in one kernel call (bulk backfills, benchmarks, scale tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.allocation.base import PriceOnlyStrategy
from pipelines.allocation.catalog import build_strategy
from pipelines.config import PortfolioConfig, Universe
from pipelines.portfolio import simulate
from pipelines.portfolio.costs import CostArrays
from pipelines.portfolio.engine import is_vectorisable, symbol_prices
from pipelines.portfolio.rebalancing import calendar_mask, rebalance_events
from pipelines.portfolio.trading import bound_weights


@dataclass(frozen=True)
class BatchResult:
    """NAV of many portfolios over the same dates: (K, L), rows in `ids` order."""

    ids: list[str]
    dates: pd.DatetimeIndex
    nav: np.ndarray
    costs: np.ndarray


def run_batch(cfgs: Sequence[PortfolioConfig], universe: Universe, prices: pd.DataFrame,
              dates: Sequence[pd.Timestamp]) -> BatchResult:
    """Vectorisable portfolios sharing a rule, fill convention and cash switch, all incepted at
    dates[0]: one kernel call for all of them. Every symbol must have a price on every date
    (a batch has one inception); the error names the first gap."""
    first = cfgs[0]
    for c in cfgs:
        if not is_vectorisable(c):
            raise ValueError(f"{c.id}: not vectorisable")
        shared = (c.rebalance, c.fill_convention, c.accrue_cash)
        if shared != (first.rebalance, first.fill_convention, first.accrue_cash):
            raise ValueError(f"{c.id}: batch members must share rule, fill convention and accrue_cash")
    syms = sorted({s for c in cfgs for s in c.symbols})
    index = prices.index
    didx = pd.DatetimeIndex(dates)
    where = index.get_indexer(didx)
    if np.any(where < 0):
        raise KeyError(f"no prices for {didx[where < 0][0].date()}")
    closes = symbol_prices(prices, [*syms, universe.cash_symbol])
    P = closes[where, :-1]
    gaps = ~np.isfinite(P)
    if gaps.any():
        d, n = np.argwhere(gaps)[0]
        raise ValueError(f"run_batch: {syms[n]} has no price on {didx[d].date()}; a batch needs every "
                         "symbol priced on every date (start the batch where all have prices)")
    C = closes[:, -1]
    ratio = np.ones(len(where))
    if first.accrue_cash:
        ratio = C[where] / C[np.concatenate([[where[0]], where[:-1]])]
    events = rebalance_events(calendar_mask(first.rebalance, index)[where])
    W = _targets(cfgs, syms, P[events])
    costs = CostArrays.build([c.costs for c in cfgs], syms, universe.asset_classes)
    out = simulate.vectorised(P, ratio, events, W, np.array([c.initial_capital for c in cfgs]), costs,
                              np.array([c.cash_buffer for c in cfgs]), first.fill_convention, nav_only=True)
    return BatchResult([c.id for c in cfgs], didx, out.nav, out.costs)


def _targets(cfgs: Sequence[PortfolioConfig], syms: list[str], Pe: np.ndarray) -> np.ndarray:
    """(K, m, N) bounded risky targets; a strategy with constant weights (a static mix) is one
    row broadcast over the dates."""
    col = {s: i for i, s in enumerate(syms)}
    W = np.zeros((len(cfgs), *Pe.shape))
    for k, c in enumerate(cfgs):
        strategy = build_strategy(c)
        assert isinstance(strategy, PriceOnlyStrategy)
        own = [col[s] for s in c.symbols]
        row = strategy.constant_weights(c.symbols)
        if row is not None:
            W[k][:, own] = row[None]
        else:
            W[k][:, own] = strategy.price_weights(c.symbols, Pe[:, own])
        W[k] = bound_weights(W[k], *c.weight_bounds)
    return W
