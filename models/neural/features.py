"""Point-in-time inputs of the neural policy, as windows of daily features.

A row at date D holds what is known at D's close: each asset's return over (D-1, D], its
trailing volatility over the `vol_window` returns ending at D (annualised), and the regime
features of D (given as a frame, already point in time). A window at D stacks the rows of the
`window` trading days ending at D, so it never reads a row after D.

The policy's other input, the weights currently held, is the policy's own state (its previous
target drifted by the day's returns); it is carried by the trainer and by the caller, not by
the window. Its labels are `FeatureSpec.weight_labels` (the risky assets, then cash).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

ANNUAL_DAYS = 252


class FeatureMismatchError(ValueError):
    """The windows given to a model do not carry the feature set or window it was trained on."""


@dataclass(frozen=True)
class FeatureSpec:
    """What a window holds; stored with every model so wrong inputs are refused by name."""

    assets: tuple[str, ...]
    cash: str = "CASH"
    regime: tuple[str, ...] = ()
    window: int = 20
    vol_window: int = 21

    def __post_init__(self) -> None:
        if not self.assets:
            raise ValueError("a feature spec needs at least one risky asset")
        if len(set(self.assets)) != len(self.assets) or self.cash in self.assets:
            raise ValueError(f"assets must be distinct and exclude the cash label {self.cash!r}: "
                             f"{list(self.assets)}")
        if self.window < 1 or self.vol_window < 2:
            raise ValueError(f"window must be >= 1 and vol_window >= 2, got {self.window} and "
                             f"{self.vol_window}")

    @property
    def names(self) -> tuple[str, ...]:
        """Feature columns in order: every asset's return, then its volatility, then regime."""
        return (tuple(f"ret:{a}" for a in self.assets) + tuple(f"vol:{a}" for a in self.assets)
                + tuple(f"regime:{c}" for c in self.regime))

    @property
    def weight_labels(self) -> tuple[str, ...]:
        """Labels of the policy's weights: the risky assets, then cash (last)."""
        return (*self.assets, self.cash)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> FeatureSpec:
        return cls(assets=tuple(d["assets"]), cash=d["cash"], regime=tuple(d["regime"]),
                   window=int(d["window"]), vol_window=int(d["vol_window"]))


@dataclass(frozen=True)
class DailyInputs:
    """Daily returns known at each close: `returns` (dates x risky assets, simple returns over
    the previous close), `cash` (the cash return over the same day), optional `regime`
    (dates x regime features, NaN allowed only in the leading warm-up)."""

    returns: pd.DataFrame
    cash: pd.Series
    regime: pd.DataFrame | None = None

    def truncated(self, last: pd.Timestamp) -> DailyInputs:
        """The same inputs as known at the close of `last`."""
        last = pd.Timestamp(last)
        return DailyInputs(self.returns.loc[:last], self.cash.loc[:last],
                           None if self.regime is None else self.regime.loc[:last])

    def next_returns(self, labels: Sequence[str], dates: pd.DatetimeIndex) -> np.ndarray:
        """(len(dates), len(labels)) returns over (D, next trading day] for each D; NaN for the
        last date, whose next return is not known yet. Cash is the last label."""
        full = self.returns.assign(**{labels[-1]: self.cash})[list(labels)]
        ahead = full.shift(-1).reindex(pd.DatetimeIndex(dates))
        return ahead.to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class FeatureWindows:
    """values (n_samples, window, n_features), the date each window ends on, and what it holds."""

    values: np.ndarray
    dates: pd.DatetimeIndex
    names: tuple[str, ...]
    window: int

    def __len__(self) -> int:
        return len(self.dates)

    def until(self, last: pd.Timestamp) -> FeatureWindows:
        """Windows ending on or before `last`."""
        n = int(self.dates.searchsorted(pd.Timestamp(last), side="right"))
        return FeatureWindows(self.values[:n], self.dates[:n], self.names, self.window)

    def between(self, first: pd.Timestamp, last: pd.Timestamp) -> FeatureWindows:
        """Windows ending in [first, last]."""
        i = int(self.dates.searchsorted(pd.Timestamp(first), side="left"))
        j = int(self.dates.searchsorted(pd.Timestamp(last), side="right"))
        return FeatureWindows(self.values[i:j], self.dates[i:j], self.names, self.window)


def prices_to_inputs(prices: pd.DataFrame, assets: Sequence[str], cash: str,
                     regime: pd.DataFrame | None = None) -> DailyInputs:
    """Daily returns from closes (dates x symbols); the first date has no return and is dropped."""
    missing = [s for s in (*assets, cash) if s not in prices.columns]
    if missing:
        raise KeyError(f"prices have no column for {missing}")
    r = prices[[*assets, cash]].pct_change(fill_method=None).iloc[1:]
    return DailyInputs(r[list(assets)], r[cash],
                       None if regime is None else regime.reindex(r.index))


def daily_features(inputs: DailyInputs, spec: FeatureSpec) -> pd.DataFrame:
    """(n_dates, len(spec.names)) feature rows from the first date where all are known."""
    missing = [a for a in spec.assets if a not in inputs.returns.columns]
    if missing:
        raise FeatureMismatchError(f"returns have no column for assets {missing}")
    r = inputs.returns[list(spec.assets)].astype(float)
    vol = r.rolling(spec.vol_window).std() * np.sqrt(ANNUAL_DAYS)
    parts = [r.set_axis([f"ret:{a}" for a in spec.assets], axis=1),
             vol.set_axis([f"vol:{a}" for a in spec.assets], axis=1)]
    if spec.regime:
        if inputs.regime is None:
            raise FeatureMismatchError(f"the spec needs regime features {list(spec.regime)} "
                                       "but none were given")
        absent = [c for c in spec.regime if c not in inputs.regime.columns]
        if absent:
            raise FeatureMismatchError(f"regime frame has no column for {absent}")
        reg = inputs.regime[list(spec.regime)].reindex(r.index).astype(float)
        parts.append(reg.set_axis([f"regime:{c}" for c in spec.regime], axis=1))
    frame = pd.concat(parts, axis=1)
    finite = np.isfinite(frame.to_numpy())
    ok_rows = finite.all(axis=1)
    if not ok_rows.any():
        raise ValueError("no date has every feature known (too little history?)")
    first = int(np.argmax(ok_rows))
    bad = ~finite[first:]
    if bad.any():
        rows, cols = np.nonzero(bad)
        col = frame.columns[cols[0]]
        dates = frame.index[first + rows[cols == cols[0]]]
        raise ValueError(f"non-finite value in feature {col!r} after its warm-up on "
                         f"{[str(d.date()) for d in dates[:5]]} ({int(bad.sum())} cells in all)")
    return frame.iloc[first:]


def make_windows(features: pd.DataFrame, window: int) -> FeatureWindows:
    """Every `window`-row window of `features`, ending on each date from the window-th on."""
    if len(features) < window:
        raise ValueError(f"{len(features)} feature rows cannot fill a window of {window}")
    arr = np.ascontiguousarray(features.to_numpy(dtype=np.float32))
    # (n - window + 1, n_features, window) view -> (n, window, n_features) copy
    view = np.lib.stride_tricks.sliding_window_view(arr, window, axis=0)
    values = np.ascontiguousarray(np.swapaxes(view, 1, 2))
    return FeatureWindows(values, pd.DatetimeIndex(features.index[window - 1:]),
                          tuple(features.columns), window)


def build_windows(inputs: DailyInputs, spec: FeatureSpec) -> FeatureWindows:
    """The windows a model with `spec` reads, on every date with a full window."""
    return make_windows(daily_features(inputs, spec), spec.window)


def check_windows(windows: FeatureWindows, spec: FeatureSpec) -> None:
    """Refuse windows whose features or window length differ from the model's spec."""
    if tuple(windows.names) != spec.names:
        want, got = list(spec.names), list(windows.names)
        missing = [n for n in want if n not in got]
        extra = [n for n in got if n not in want]
        detail = (f"missing {missing}, unexpected {extra}" if missing or extra
                  else "same names in a different order")
        raise FeatureMismatchError(f"the model was trained on features {want}; got {got} "
                                   f"({detail})")
    if windows.window != spec.window or windows.values.shape[1:] != (spec.window, len(spec.names)):
        raise FeatureMismatchError(f"the model reads windows of {spec.window} days x "
                                   f"{len(spec.names)} features; got {windows.values.shape[1:]} "
                                   f"(window {windows.window})")
