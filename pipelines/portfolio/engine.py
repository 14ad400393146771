"""The portfolio engine: one entry point, `advance`, for the daily run and the backfill.

`advance` moves a portfolio from a state (holdings and cash at the close of the last processed
date, or nothing before inception) through every trading date of the prices it is given up to
a date. It owns inception (the first date on or after the configured one where every symbol has
a price), resume and the choice of kernel:
- a portfolio that `is_vectorisable` (calendar rule, a price-only strategy, fractional units,
  proportional costs, no leverage) is a pure function of prices: it is always computed from
  inception with the vectorised kernel (a 27-year history costs milliseconds) and a daily run
  keeps only its new dates, so daily and backfill rows are identical; when that path no longer
  ends in the stored holdings (the configuration changed) it trades on from the stored state;
- everything else resumes from the stored state with the stepping kernel, whose arithmetic for a
  date is the same whether the date is the first of a run or the thousandth.
What a run must read is `history_need`: a number of trading rows before the resume point that
covers the strategy's declared lookback and the stale-price limit, or everything since inception.
Each date: cash accrues the cash index (unless `accrue_cash` is off), the rebalance rule is
checked, the strategy allocates on data known at the close, trades fill at the close, and
positions and NAV are marked. A price missing for a held asset is carried forward for marking
for at most `max_stale_days` trading rows and never traded on; beyond that the run stops with
an error naming the portfolio, the symbol and the date.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.allocation.base import (
    AllocationContext,
    AllocationError,
    ModelView,
    PortfolioView,
    PriceOnlyStrategy,
    Strategy,
    checked,
)
from pipelines.allocation.catalog import build_strategy
from pipelines.config import PortfolioConfig, Universe
from pipelines.portfolio import simulate, tables
from pipelines.portfolio.costs import CostArrays
from pipelines.portfolio.rebalancing import calendar_mask, rebalance_events
from pipelines.portfolio.trading import TradeSpec, bound_weights

log = logging.getLogger(__name__)


class ModelSource:
    """What the engine asks for model outputs: `at(date)` gives the point-in-time view."""

    def at(self, date: pd.Timestamp) -> ModelView:  # pragma: no cover - a protocol
        raise NotImplementedError


@dataclass
class PortfolioState:
    """Holdings and NAV at the close of `date` (None before inception); `targets` are the risky
    weights in force (drift and signal rules compare against them) and `targets_version` the
    model version that produced them; `nav_history` the NAV path up to `date` (read only for
    path-dependent strategies)."""

    date: pd.Timestamp | None
    cash: float
    quantities: dict[str, float]
    nav: float | None = None
    nav_history: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    targets: dict[str, float] | None = None
    targets_version: str | None = None

    @classmethod
    def initial(cls, cfg: PortfolioConfig) -> PortfolioState:
        return cls(date=None, cash=float(cfg.initial_capital), quantities={})


@dataclass(frozen=True)
class EngineResult:
    """The four fact tables of the dates advanced (each row with its model version) and the
    state at the close of the last one."""

    nav: pd.DataFrame
    positions: pd.DataFrame
    trades: pd.DataFrame
    target_weights: pd.DataFrame
    state: PortfolioState

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"nav": self.nav, "positions": self.positions, "trades": self.trades,
                "target_weights": self.target_weights}

    def after(self, date: pd.Timestamp | None) -> EngineResult:
        """Only the rows strictly after `date` (all rows when None)."""
        if date is None:
            return self

        def keep(df: pd.DataFrame, col: str) -> pd.DataFrame:
            return df[pd.to_datetime(df[col]) > date].reset_index(drop=True)

        return EngineResult(keep(self.nav, "date"), keep(self.positions, "date"),
                            keep(self.trades, "trade_date"), keep(self.target_weights, "date"), self.state)


@dataclass(frozen=True)
class HistoryNeed:
    """The prices `advance` needs: the last `rows` trading rows up to and including `anchor`
    (the resume point; the day before inception for a new portfolio or a recompute from
    inception) and every row after it."""

    anchor: dt.date
    rows: int


def is_vectorisable(cfg: PortfolioConfig, strategy: Strategy | None = None) -> bool:
    """Scale-free portfolios: computed from inception by the vectorised kernel."""
    strategy = strategy or build_strategy(cfg)
    r = cfg.rebalance
    return (isinstance(strategy, PriceOnlyStrategy) and cfg.fractional_units and r.frequency != "never"
            and not r.has_drift and r.signal_threshold is None and r.min_trade_value == 0
            and r.min_trade_weight == 0 and cfg.costs.min_commission == 0 and not cfg.allow_leverage)


def history_need(cfg: PortfolioConfig, state: PortfolioState, strategy: Strategy | None = None) -> HistoryNeed:
    """What prices a run from `state` must read (see `HistoryNeed`)."""
    strategy = strategy or build_strategy(cfg)
    rows = max(strategy.needs.lookback, cfg.max_stale_days + 1, 2)
    before_inception = cfg.inception - dt.timedelta(days=1)
    if is_vectorisable(cfg, strategy):
        return HistoryNeed(anchor=before_inception, rows=rows)
    anchor = state.date.date() if state.date is not None else before_inception
    return HistoryNeed(anchor=anchor, rows=rows)


def advance(cfg: PortfolioConfig, universe: Universe, prices: pd.DataFrame, state: PortfolioState,
            through: dt.date | pd.Timestamp, *, strategy: Strategy | None = None,
            models: ModelSource | None = None, kernel: str = "auto") -> EngineResult:
    """Advance `state` through every date of `prices` after `state.date` up to `through`.

    prices: closes of the portfolio's symbols and the cash symbol (see `history_need` for
        which rows); rows before the first run date supply lookback and stale marks.
    models: the point-in-time model outputs, for strategies whose `needs.models` is set.
    kernel: "auto" (the engine's choice) or "stepping" (the general kernel for every
        portfolio: how the tests check the vectorised kernel against it).
    """
    if kernel not in ("auto", "stepping"):
        raise ValueError(f"kernel must be 'auto' or 'stepping', got {kernel!r}")
    strategy = strategy or build_strategy(cfg)
    _check_columns(cfg, universe, prices)
    through = pd.Timestamp(through)
    if strategy.needs.models and models is None:
        raise AllocationError(f"{cfg.id}: strategy {cfg.strategy} reads models; pass `models`")
    vector = kernel == "auto" and is_vectorisable(cfg, strategy)
    raw = symbol_prices(prices, cfg.symbols)
    if state.date is not None and vector:
        full = _run(cfg, universe, prices, raw, _run_dates(cfg, prices.index, raw, None, through),
                    PortfolioState.initial(cfg), strategy, models, vector)
        if _reproduces(full, state):
            return full.after(state.date)
        log.warning("%s: recomputing from inception does not reproduce the stored holdings of %s; "
                    "continuing from the stored state", cfg.id, state.date.date())
    return _run(cfg, universe, prices, raw, _run_dates(cfg, prices.index, raw, state.date, through), state,
                strategy, models, vector)


def _check_columns(cfg: PortfolioConfig, universe: Universe, prices: pd.DataFrame) -> None:
    missing = [c for c in [*cfg.symbols, universe.cash_symbol] if c not in prices.columns]
    if missing:
        raise KeyError(f"{cfg.id}: prices lack columns {missing}")
    if not prices.index.is_monotonic_increasing or prices.index.has_duplicates:
        raise ValueError(f"{cfg.id}: price dates must be unique and ascending")


def _run_dates(cfg: PortfolioConfig, idx: pd.DatetimeIndex, raw: np.ndarray, after: pd.Timestamp | None,
               through: pd.Timestamp) -> pd.DatetimeIndex:
    """Trading dates to process: after the state date, or from inception (the first date on
    or after `cfg.inception` where every symbol has a price in `raw`, the symbols' closes)."""
    days = idx.values                                   # numpy comparisons: a tenth of the index's
    last = days <= through.to_datetime64()
    if after is not None:
        return idx[(days > pd.Timestamp(after).to_datetime64()) & last]
    ok = (days >= pd.Timestamp(cfg.inception).to_datetime64()) & last
    complete = ok & np.isfinite(raw).all(axis=1)
    if not complete.any():
        return idx[:0]
    return idx[ok & (days >= days[np.argmax(complete)])]


def symbol_prices(prices: pd.DataFrame, symbols: Sequence[str]) -> np.ndarray:
    """(n_rows, n_symbols) closes of `symbols` in their order, NaN where there is none (a
    KeyError names a symbol `prices` lacks). No frame is built: a sixth of the time of
    `prices[symbols].to_numpy()` for three symbols, two thirds for twenty."""
    if not symbols:
        return np.empty((len(prices), 0))
    position = {c: i for i, c in enumerate(prices.columns.tolist())}  # a dict: pandas' indexer costs more
    return np.ascontiguousarray(prices.to_numpy(dtype=float)[:, [position[s] for s in symbols]])


def _rows(where: np.ndarray) -> np.ndarray | slice:
    """`where` as a slice when it is a run of consecutive rows (the usual case): gathers
    become views."""
    if len(where) and where[-1] - where[0] == len(where) - 1 and np.all(np.diff(where) == 1):
        return slice(int(where[0]), int(where[-1]) + 1)
    return where


def _reproduces(result: EngineResult, stored: PortfolioState, rtol: float = 1e-9) -> bool:
    """Whether a recomputed path holds, at the stored date, the cash and units stored there."""
    nav = result.nav[pd.to_datetime(result.nav["date"]) == stored.date]
    if len(nav) != 1 or not np.isclose(nav["cash"].iloc[0], stored.cash, rtol=rtol, atol=1e-6):
        return False
    pos = result.positions[pd.to_datetime(result.positions["date"]) == stored.date]
    units = dict(zip(pos["symbol"], pos["quantity"], strict=True))
    symbols = set(units) | set(stored.quantities)
    return all(np.isclose(units.get(s, 0.0), stored.quantities.get(s, 0.0), rtol=rtol, atol=1e-9)
               for s in symbols)


@dataclass(frozen=True)
class _Market:
    """The run's price arrays: marks (stale prices carried forward within the limit), where a
    price is fresh, the cash index ratios and the calendar-rule days, at the run dates."""

    dates: pd.DatetimeIndex
    where: np.ndarray
    marks: np.ndarray
    fresh: np.ndarray
    ratio: np.ndarray
    calendar: np.ndarray

    @classmethod
    def build(cls, cfg: PortfolioConfig, universe: Universe, prices: pd.DataFrame, raw: np.ndarray,
              dates: pd.DatetimeIndex, state: PortfolioState) -> _Market:
        """raw: the symbols' closes at every row of `prices` (`symbol_prices`)."""
        index = prices.index
        where = index.get_indexer(dates)
        rows = _rows(where)
        fresh = np.isfinite(raw)
        marks = raw if fresh[rows].all() else _carry_forward(raw, cfg.max_stale_days)
        C = prices[universe.cash_symbol].to_numpy(dtype=float)
        prev = None if state.date is None else int(index.get_loc(state.date))
        if cfg.accrue_cash:
            before = np.concatenate([[where[0] if prev is None else prev], where[:-1]])
            ratio = C[where] / C[before]
            if not np.all(np.isfinite(ratio)):
                bad = dates[~np.isfinite(ratio)][0]
                raise ValueError(f"{cfg.id}: no {universe.cash_symbol} price to accrue cash on {bad.date()}")
        else:
            ratio = np.ones(len(where))
        return cls(dates, where, marks[rows], fresh[rows], ratio, calendar_mask(cfg.rebalance, index)[rows])


def _carry_forward(P: np.ndarray, limit: int) -> np.ndarray:
    """Each column's last finite price carried forward for at most `limit` rows."""
    if limit == 0:
        return P
    return pd.DataFrame(P).ffill(limit=limit).to_numpy()


def _run(cfg: PortfolioConfig, universe: Universe, prices: pd.DataFrame, raw: np.ndarray, dates: pd.DatetimeIndex,
         state: PortfolioState, strategy: Strategy, models: ModelSource | None, vector: bool) -> EngineResult:
    if not len(dates):
        return tables.empty(state)
    if state.date is not None and dates[0] <= state.date:
        raise ValueError(f"{cfg.id}: date {dates[0].date()} is not after the state date {state.date.date()}")
    market = _Market.build(cfg, universe, prices, raw, dates, state)
    q0 = np.array([[state.quantities.get(s, 0.0) for s in cfg.symbols]], dtype=float)
    unpriced = (q0[0] != 0) & ~np.isfinite(market.marks[0])
    if unpriced.any():
        bad = [s for s, b in zip(cfg.symbols, unpriced, strict=True) if b]
        raise simulate.MissingPriceError(
            f"{cfg.id}: held symbols {bad} have no price on {dates[0].date()} nor in the "
            f"{cfg.max_stale_days} trading days before")
    costs = CostArrays.build([cfg.costs], cfg.symbols, universe.asset_classes)
    try:
        if state.date is None and vector and market.fresh.all():
            out = _vectorised(cfg, strategy, market, costs)
            return tables.from_vectorised(cfg, universe, market.dates, market.marks, out, state)
        out = _stepping(cfg, universe, strategy, prices, market, q0, state, costs, models)
    except simulate.MissingPriceError as exc:
        raise simulate.MissingPriceError(f"{cfg.id}: {_name_position(exc, cfg, market)}") from exc
    return tables.from_stepping(cfg, universe, market.dates, market.marks, out, state)


def _name_position(exc: Exception, cfg: PortfolioConfig, market: _Market) -> str:
    """The kernel's message with run positions and asset numbers turned into dates and symbols."""
    import re

    text = str(exc)
    m = re.match(r"run position (\d+): held asset #(\d+)(.*)", text)
    if m:
        date = market.dates[int(m.group(1))].date()
        return (f"held symbol {cfg.symbols[int(m.group(2))]} has no price on {date} nor in the "
                f"{cfg.max_stale_days} trading days before (max_stale_days); the portfolio stops here")
    m = re.match(r"run position (\d+): (.*)", text)
    if m:
        return f"{market.dates[int(m.group(1))].date()}: {m.group(2)}"
    return text


def _vectorised(cfg: PortfolioConfig, strategy: PriceOnlyStrategy, market: _Market,
                costs: CostArrays) -> simulate.VectorOutput:
    events = rebalance_events(market.calendar)
    W = bound_weights(strategy.price_weights(cfg.symbols, market.marks[events]), *cfg.weight_bounds)[None]
    return simulate.vectorised(market.marks, market.ratio, events, W, np.array([cfg.initial_capital]),
                               costs, np.array([cfg.cash_buffer]), cfg.fill_convention)


def trade_spec(cfgs: Sequence[PortfolioConfig]) -> TradeSpec:
    """The trading limits of a batch of portfolios (one row each)."""
    col = lambda xs, t=float: np.array(list(xs), dtype=t)  # noqa: E731
    return TradeSpec(col((c.fractional_units for c in cfgs), bool), col((c.allow_leverage for c in cfgs), bool),
                     col(c.cash_buffer for c in cfgs), col(c.rebalance.min_trade_value for c in cfgs),
                     col(c.rebalance.min_trade_weight for c in cfgs), cfgs[0].fill_convention,
                     col(c.max_leverage for c in cfgs))


def _stepping(cfg: PortfolioConfig, universe: Universe, strategy: Strategy, prices: pd.DataFrame,
              market: _Market, q0: np.ndarray, state: PortfolioState, costs: CostArrays,
              models: ModelSource | None) -> simulate.SimOutput:
    targets = _TargetSource(cfg, universe, strategy, prices, market, state, models)
    w_force = None
    if state.targets is not None:
        w_force = np.array([[state.targets.get(s, 0.0) for s in cfg.symbols]], dtype=float)
    return simulate.step(cfg.rebalance, cfg.symbols, market.marks, market.ratio, market.calendar, q0,
                         np.array([float(state.cash)]), state.date is not None, targets, costs,
                         trade_spec([cfg]), w_force, market.fresh)


class _TargetSource:
    """The stepping kernel's targets: the strategy called on the context of each decision date
    (prices up to that close, the portfolio's own NAV when asked for, the model view)."""

    def __init__(self, cfg: PortfolioConfig, universe: Universe, strategy: Strategy, prices: pd.DataFrame,
                 market: _Market, state: PortfolioState, models: ModelSource | None) -> None:
        self.cfg, self.universe, self.strategy, self.market, self.models = cfg, universe, strategy, market, models
        self.frame = prices[[*cfg.symbols, universe.cash_symbol]]
        self.lookback = max(1, strategy.needs.lookback)
        self.hist = state.nav_history.to_numpy(dtype=float)
        self.nav_index = pd.DatetimeIndex(state.nav_history.index).append(market.dates)
        self.price_only = isinstance(strategy, PriceOnlyStrategy)

    def __call__(self, e: int, nav: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cfg, m = self.cfg, self.market
        if self.price_only:
            w = self.strategy.price_weights(cfg.symbols, m.marks[e][None])
            return bound_weights(w, *cfg.weight_bounds), np.array([None], dtype=object)
        i = int(m.where[e])
        date = m.dates[e]
        ctx = AllocationContext(date=date, prices=self.frame.iloc[max(0, i + 1 - self.lookback): i + 1],
                                symbols=cfg.symbols, cash_symbol=self.universe.cash_symbol,
                                asset_classes=self.universe.asset_classes,
                                portfolio=self._portfolio(e, nav), models=self._models(date))
        alloc = self.strategy.allocate(ctx)
        full = checked(self.strategy.name, ctx, alloc, self.strategy.needs.borrowing)
        w = full[:len(cfg.symbols)][None]
        return bound_weights(w, *cfg.weight_bounds), np.array([alloc.model_version], dtype=object)

    def _portfolio(self, e: int, nav: np.ndarray) -> PortfolioView | None:
        if not self.strategy.needs.portfolio:  # only path-dependent strategies pay for the series
            return None
        values = np.concatenate([self.hist, nav[0, :e]])
        history = pd.Series(values, index=self.nav_index[:len(values)], dtype=float)
        return PortfolioView(nav_history=history, nav=float(nav[0, e]))

    def _models(self, date: pd.Timestamp) -> ModelView | None:
        return self.models.at(date) if self.strategy.needs.models and self.models is not None else None
