"""Brinson-Fachler attribution by asset class and return contribution per asset.

Daily effects use start-of-day weights (holdings at the previous close) and each segment's
return over the day; trading costs are a segment of their own ('costs', weight zero), so the
daily effects sum exactly to the portfolio's return minus the benchmark's. Days are linked into
months and into the cumulative period with Carino's logarithmic factors, which keep that sum
exact over any period (tests check both).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def carino_factors(R: np.ndarray, B: np.ndarray) -> np.ndarray:
    """k_t = (ln(1+R_t) - ln(1+B_t)) / (R_t - B_t), or 1/(1+R_t) where R_t == B_t."""
    R, B = np.asarray(R, dtype=float), np.asarray(B, dtype=float)
    diff = R - B
    same = np.abs(diff) < 1e-15
    with np.errstate(divide="ignore", invalid="ignore"):
        k = (np.log1p(R) - np.log1p(B)) / np.where(same, 1.0, diff)
    return np.where(same, 1.0 / (1.0 + R), k)


def link(effects: np.ndarray, R: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Carino-link daily effects (T, ...) over the period: they then sum to R_total - B_total."""
    k = carino_factors(R, B)
    Rt, Bt = np.prod(1.0 + R) - 1.0, np.prod(1.0 + B) - 1.0
    K = carino_factors(np.array([Rt]), np.array([Bt]))[0]
    return np.tensordot(k, effects, axes=(0, 0)) / K


def segment_returns(mv_prev: pd.DataFrame, pnl: pd.DataFrame, nav_prev: pd.Series,
                    costs: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Start-of-day weights and returns by segment (columns), a 'costs' segment added."""
    w = mv_prev.div(nav_prev, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = pnl / mv_prev.where(mv_prev != 0)
    w = w.assign(costs=0.0)
    contrib = pnl.div(nav_prev, axis=0).assign(costs=-costs / nav_prev)
    return w, r.assign(costs=np.nan), contrib


def brinson_fachler(wp: pd.DataFrame, rp: pd.DataFrame, cp: pd.DataFrame,
                    wb: pd.DataFrame, rb: pd.DataFrame) -> dict[str, np.ndarray]:
    """Daily allocation, selection, interaction (T, segments) on a common segment set.

    wp, rp, cp: portfolio weights, returns and contributions to return; wb, rb: benchmark
    weights and returns. A class the benchmark lacks is measured with the portfolio's return (a
    pure allocation effect); other gaps take the benchmark total. Both choices
    leaves the identity sum(effects) = R_p - R_b intact because both weight sets sum to one.
    """
    segs = wp.columns.union(wb.columns)
    wp, wb = wp.reindex(columns=segs, fill_value=0.0), wb.reindex(columns=segs, fill_value=0.0)
    cp = cp.reindex(columns=segs, fill_value=0.0)
    rb = rb.reindex(columns=segs)
    Rb = (wb * rb.fillna(0.0)).sum(axis=1).to_numpy()
    Rp = cp.sum(axis=1).to_numpy()
    rbv = rb.to_numpy(dtype=float)
    rpv = rp.reindex(columns=segs).to_numpy(dtype=float)
    # a class the benchmark lacks is an allocation decision: measure it with the portfolio's return
    rbv = np.where(np.isfinite(rbv), rbv, np.where(np.isfinite(rpv), rpv, Rb[:, None]))
    rpv = np.where(np.isfinite(rpv), rpv, rbv)
    wpv, wbv = wp.to_numpy(dtype=float), wb.to_numpy(dtype=float)
    alloc = (wpv - wbv) * (rbv - Rb[:, None])
    select = wbv * (rpv - rbv)
    inter = (wpv - wbv) * (rpv - rbv)
    # costs (and any weightless segment) enter as selection: their contribution, not w * r
    extra = cp.to_numpy(dtype=float) - wpv * rpv
    select = select + extra
    return {"segments": np.array(segs, dtype=object), "Rp": Rp, "Rb": Rb, "wp": wpv, "wb": wbv,
            "allocation": alloc, "selection": select, "interaction": inter, "contribution": cp.to_numpy(dtype=float)}


def linked_table(bf: dict[str, np.ndarray], dates: pd.DatetimeIndex, level: str) -> pd.DataFrame:
    """Monthly and cumulative Carino-linked rows for one segment level."""
    rows = []
    months = dates.to_period("M")
    groups = [("month", np.flatnonzero(months == m)) for m in months.unique()]
    groups.append(("cumulative", np.arange(len(dates))))
    for period, ix in groups:
        if len(ix) == 0:
            continue
        R, B = bf["Rp"][ix], bf["Rb"][ix]
        eff = {k: link(bf[k][ix], R, B) for k in ("allocation", "selection", "interaction")}
        kp = carino_factors(R, np.zeros_like(R))
        Kp = carino_factors(np.array([np.prod(1 + R) - 1]), np.zeros(1))[0]
        contrib = np.tensordot(kp, bf["contribution"][ix], axes=(0, 0)) / Kp
        for j, seg in enumerate(bf["segments"]):
            a, s, i = eff["allocation"][j], eff["selection"][j], eff["interaction"][j]
            rows.append({"period": period, "period_start": dates[ix[0]].date(), "period_end": dates[ix[-1]].date(),
                         "level": level, "segment": seg, "portfolio_weight": float(bf["wp"][ix, j].mean()),
                         "benchmark_weight": float(bf["wb"][ix, j].mean()),
                         "portfolio_return": float(np.prod(1 + R) - 1), "benchmark_return": float(np.prod(1 + B) - 1),
                         "allocation": a, "selection": s, "interaction": i, "total_effect": a + s + i,
                         "contribution": float(contrib[j])})
    return pd.DataFrame(rows)
