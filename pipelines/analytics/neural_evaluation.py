"""The neural policy's out-of-sample evaluation, from the warehouse's own NAV.

For each `neural_sharpe` portfolio: its out-of-sample period is every date after the first one
a refit served (the `model_version` of its NAV rows; before it the portfolio holds its fallback),
up to the date. On exactly those dates, with each portfolio's own costs already in its NAV, the
table compares it with the baselines of the default set: equal weight, the 60/40, risk parity,
max Sharpe and the regime strategy (each the configured portfolio over the same symbols when
there is one, else the reference portfolio named in `REFERENCE`, flagged `same_universe` false).
Per refit (the dates each model version served) it also compares the Sharpe ratio with equal
weight's on the same dates; the share of refits in which the policy's was higher is on the
policy's row. Statistics are pipelines.analytics.performance's (CAGR, volatility, Sharpe and
Sortino over the cash index, max drawdown, turnover a year).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipelines.analytics.performance import metrics
from pipelines.config import PortfolioConfig

STRATEGY = "neural_sharpe"
# role -> (strategy of the comparison portfolio, the portfolio used when none has the same symbols)
ROLES: dict[str, tuple[str, str]] = {
    "equal_weight": ("equal_weight", "equal_weight_multi_asset"),
    "sixty_forty": ("static_mix", "static_60_40"),
    "risk_parity": ("risk_parity", "risk_parity_conservative"),
    "max_sharpe": ("max_sharpe", "max_sharpe_moderate"),
    "regime_switching": ("regime_switching", "regime_switching_moderate"),
}
REFERENCE = {role: pid for role, (_, pid) in ROLES.items()}
STATS = ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "turnover")


def comparisons(neural: PortfolioConfig, portfolios: Sequence[PortfolioConfig],
                available: set[str]) -> dict[str, tuple[str, bool]]:
    """role -> (portfolio id, same symbols as the policy) for the roles the set can fill."""
    out = {}
    for role, (strategy, reference) in ROLES.items():
        same = [p.id for p in portfolios if p.strategy == strategy and set(p.symbols) == set(neural.symbols)
                and p.id in available and (role != "sixty_forty" or p.id == reference)]
        if same:
            out[role] = (same[0], True)
        elif reference in available:
            out[role] = (reference, False)
    return out


def _sharpe(ex: np.ndarray) -> float | None:
    sd = ex.std(ddof=1) if len(ex) > 1 else 0.0
    return float(ex.mean() / sd * np.sqrt(252)) if sd > 0 else None


def refit_rows(pid: str, nav: pd.DataFrame, earned_by: pd.Series, ew: pd.Series, rf: pd.Series) -> pd.DataFrame:
    """One row per model version (`earned_by`: the version whose weights earned each date's
    return): the dates whose returns it earned, the policy's and equal weight's Sharpe ratios
    there, and whether the policy's was higher."""
    rows = []
    for v, sel in nav.groupby(earned_by.reindex(nav.index), sort=False):
        dates = sel.index.intersection(ew.index)
        if len(dates) < 2:
            continue
        ex_p = (sel.loc[dates, "daily_return"] - rf.reindex(dates).fillna(0.0)).to_numpy()
        ex_e = (ew.loc[dates] - rf.reindex(dates).fillna(0.0)).to_numpy()
        sp, se = _sharpe(ex_p), _sharpe(ex_e)
        rows.append({"portfolio_id": pid, "model_version": v, "start_date": dates[0].date(),
                     "end_date": dates[-1].date(), "observations": len(dates), "sharpe": sp,
                     "equal_weight_sharpe": se,
                     "beat_equal_weight": None if sp is None or se is None else bool(sp > se)})
    return pd.DataFrame(rows)


def evaluation_frames(portfolios: Sequence[PortfolioConfig], navs: Mapping[str, pd.DataFrame],
                      rf: pd.Series, as_of: dt.date, run_id: str) -> dict[str, pd.DataFrame]:
    """`neural_evaluation` and `neural_refit_evaluation` rows of every neural portfolio with NAV."""
    table, refits = [], []
    for cfg in portfolios:
        nav = navs.get(cfg.id)
        if cfg.strategy != STRATEGY or nav is None or nav["model_version"].isna().all():
            continue
        first = nav.index[nav["model_version"].notna().to_numpy()][0]
        oos = nav[nav.index > first]
        if len(oos) < 2:
            continue
        roles = comparisons(cfg, portfolios, set(navs))
        ew_id = roles.get("equal_weight", (None, False))[0]
        earned_by = nav["model_version"].shift(1)  # the return on t: the weights set at t-1
        per_refit = (refit_rows(cfg.id, oos, earned_by, navs[ew_id]["daily_return"], rf) if ew_id
                     else pd.DataFrame())
        beat = per_refit["beat_equal_weight"].dropna() if len(per_refit) else pd.Series(dtype=bool)
        for role, (pid, same) in {"neural_sharpe": (cfg.id, True), **roles}.items():
            other = navs[pid]
            dates = oos.index.intersection(other.index)
            sel = other.loc[dates]
            m = metrics(sel["daily_return"], rf, turnover=sel["turnover"])
            row = {"portfolio_id": cfg.id, "role": role, "compared_id": pid, "same_universe": same,
                   "as_of": as_of, "start_date": dates[0].date(), "end_date": dates[-1].date(),
                   "observations": len(dates), **{k: m[k] for k in STATS},
                   "refits": None, "refits_beating_equal_weight": None,
                   "share_refits_beating_equal_weight": None, "run_id": run_id}
            if role == "neural_sharpe" and len(beat):
                row.update(refits=len(beat), refits_beating_equal_weight=int(beat.sum()),
                           share_refits_beating_equal_weight=float(beat.mean()))
            table.append(row)
        if len(per_refit):
            refits.append(per_refit.assign(as_of=as_of, run_id=run_id))
    return {"neural_evaluation": pd.DataFrame(table),
            "neural_refit_evaluation": pd.concat(refits, ignore_index=True) if refits else pd.DataFrame()}
