"""Yearly walk-forward refits of the neural policy and its out-of-sample path.

The refit for year Y has cutoff C = the last trading day before Y's first trading day: it
trains on what is known at C's close (validation = the last slice of that data) and serves
from Y's first trading day until the next accepted refit. A rejected refit (`RefitRejected`)
is recorded with its reason and the previous accepted model keeps serving; a year without
enough history is skipped.

The out-of-sample path walks each serving model through its own dates, carrying the weights
held from one model to the next, so a weight on date D depends only on data known at D's close
and on models trained through dates before D.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from models.neural.features import DailyInputs, FeatureSpec, FeatureWindows, build_windows
from models.neural.networks import PolicyConfig
from models.neural.training import InsufficientHistory, NeuralModel, RefitRejected, TrainConfig, fit

Status = Literal["trained", "rejected", "skipped"]


@dataclass(frozen=True)
class Refit:
    """One scheduled refit: its year, cutoff, outcome and (when trained) the model."""

    year: int
    cutoff: pd.Timestamp
    serves_from: pd.Timestamp
    status: Status
    model: NeuralModel | None = None
    reason: str = ""
    seconds: float = 0.0

    @property
    def version(self) -> str | None:
        """`neural_policy@<cutoff>-<fingerprint prefix>` for a trained refit."""
        if self.model is None:
            return None
        return f"neural_policy@{self.cutoff:%Y%m%d}-{self.model.fingerprint[:10]}"


def refit_schedule(dates: pd.DatetimeIndex, first_year: int) -> list[tuple[int, pd.Timestamp,
                                                                          pd.Timestamp]]:
    """(year, cutoff, first trading day) for each year from `first_year` with a day before it."""
    dates = pd.DatetimeIndex(dates)
    out = []
    for year in sorted(set(dates.year)):
        if year < first_year:
            continue
        first = dates[dates.year == year][0]
        before = dates[dates < first]
        if len(before):
            out.append((int(year), before[-1], first))
    return out


def walk_forward(inputs: DailyInputs, spec: FeatureSpec, policy: PolicyConfig,
                 train: TrainConfig, first_year: int, previous: Sequence[Refit] = (),
                 windows: FeatureWindows | None = None) -> list[Refit]:
    """Every yearly refit from `first_year` on; years already in `previous` are kept as they are."""
    windows = build_windows(inputs, spec) if windows is None else windows
    done = {r.year: r for r in previous}
    out: list[Refit] = []
    for year, cutoff, first in refit_schedule(inputs.returns.index, first_year):
        if year in done:
            out.append(done[year])
            continue
        t0 = time.perf_counter()
        try:
            model = fit(windows, inputs, spec, policy, train, cutoff)
        except InsufficientHistory as exc:
            out.append(Refit(year, cutoff, first, "skipped", reason=str(exc),
                             seconds=time.perf_counter() - t0))
        except RefitRejected as exc:
            out.append(Refit(year, cutoff, first, "rejected", reason=str(exc),
                             seconds=time.perf_counter() - t0))
        else:
            out.append(Refit(year, cutoff, first, "trained", model,
                             seconds=time.perf_counter() - t0))
    return out


def serving(refits: Sequence[Refit], date: pd.Timestamp) -> Refit | None:
    """The latest trained refit whose cutoff is before `date` (None before the first one)."""
    date = pd.Timestamp(date)
    ok = [r for r in refits if r.status == "trained" and r.cutoff < date]
    return max(ok, key=lambda r: r.cutoff) if ok else None


@dataclass(frozen=True)
class Path:
    """The out-of-sample path: weights set at each close, the net return earned over the next
    day (indexed by the day it is earned), turnover and the model version serving each date."""

    weights: pd.DataFrame
    returns: pd.Series
    turnover: pd.Series
    version: pd.Series


def oos_path(refits: Sequence[Refit], inputs: DailyInputs, spec: FeatureSpec,
             windows: FeatureWindows | None = None, start_in: str | None = None) -> Path:
    """Walk the serving models through every date from the first trained refit on.

    The portfolio starts in cash (`start_in`, default the cash label) and pays for its first
    trades like any other.
    """
    windows = build_windows(inputs, spec) if windows is None else windows
    labels = spec.weight_labels
    held = np.zeros(len(labels))
    held[labels.index(start_in or spec.cash)] = 1.0
    trained = sorted((r for r in refits if r.status == "trained"), key=lambda r: r.cutoff)
    if not trained:
        raise ValueError("no trained refit to walk forward")
    parts_w, parts_r, parts_t, parts_v = [], [], [], []
    for i, refit in enumerate(trained):
        stop = trained[i + 1].cutoff if i + 1 < len(trained) else windows.dates[-1]
        seg = windows.between(refit.cutoff + pd.Timedelta(days=1), stop)
        if not len(seg):
            continue
        r_next = inputs.next_returns(labels, seg.dates)
        w, net, to, held = refit.model.simulate(seg, r_next, held)
        parts_w.append(pd.DataFrame(w, index=seg.dates, columns=list(labels)))
        earned = _next_dates(inputs.returns.index, seg.dates)
        parts_r.append(pd.Series(net, index=earned).dropna())
        parts_t.append(pd.Series(to, index=seg.dates))
        parts_v.append(pd.Series(refit.version, index=seg.dates))
    return Path(pd.concat(parts_w), pd.concat(parts_r).rename("net_return"),
                pd.concat(parts_t).rename("turnover"), pd.concat(parts_v).rename("version"))


def _next_dates(index: pd.DatetimeIndex, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The trading day after each date (NaT after the last known one)."""
    pos = index.searchsorted(dates, side="right")
    nxt = np.full(len(dates), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = pos < len(index)
    nxt[ok] = index.to_numpy()[pos[ok]]
    return pd.DatetimeIndex(nxt)
