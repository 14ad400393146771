"""The `evidence` table: for every managed portfolio, against its benchmark and against the
reference portfolio (the 60/40 of config/evidence.yaml), whether its edge could be luck.

Per row (portfolio, comparison), over the daily returns both have (in excess of the cash index):
- the probabilistic Sharpe ratio against 0 and against the compared series' Sharpe ratio, and
  the minimum track record length for the latter at the configured confidence;
- the deflated Sharpe ratio with the trials counted: the portfolios in the set plus every
  distinct hyper-parameter configuration the model registry recorded (pipelines.modeling.trials);
  the trials' Sharpe variance is that of the set's portfolios (the only trials with returns);
- the stationary-bootstrap interval of the Sharpe difference (one block length and one set of
  resamples for all pairs on the same dates: `sharpe_difference_cis`);
- on the reference rows of the dynamic portfolios (weights that depend on more than the day's
  prices), White's reality check and Hansen's SPA over that family against the reference,
  computed once, on volatility-matched excess returns (a Sharpe comparison, like the rest);
- for learned strategies, the CPCV paths and PBO of `pipelines.analytics.learned`;
- the plain verdict (pipelines.analytics.evidence.verdict).
Everything is seeded: a rerun on the same warehouse gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.allocation.catalog import build_strategy
from pipelines.analytics.evidence import (
    FamilyTest,
    SharpeStats,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    min_track_record_length,
    probabilistic_sharpe_ratio,
    reality_check_and_spa,
    verdict,
)
from pipelines.analytics.evidence.bootstrap import SharpeDifference, block_length, sharpe_difference_cis
from pipelines.analytics.evidence.learned import LearnedEvidence
from pipelines.config import EvidenceConfig, PortfolioConfig

log = logging.getLogger(__name__)
DAYS = 252


@dataclass(frozen=True)
class Pair:
    """One row to compute: the portfolio, the comparison's role and what it is compared with,
    and the excess returns of both on their common dates."""

    portfolio_id: str
    comparison: str
    compared_with: str
    own: pd.Series
    other: pd.Series


@dataclass(frozen=True)
class Trials:
    portfolios: int
    models: int
    sharpe_variance: float      # per-period Sharpe ratios of the set's portfolios

    @property
    def total(self) -> int:
        return self.portfolios + self.models


def daily_returns(navs: Mapping[str, pd.DataFrame], prices: pd.DataFrame) -> dict[str, pd.Series]:
    """Daily returns by name: every portfolio's NAV return (its first day, the funding, left out)
    and every price column's close-to-close return."""
    out = {pid: n["daily_return"].iloc[1:].astype(float) for pid, n in navs.items() if len(n) > 2}
    for sym in prices.columns:
        if sym not in out:
            out[sym] = prices[sym].pct_change(fill_method=None).iloc[1:]
    return out


def pairs(portfolios: list[PortfolioConfig], returns: Mapping[str, pd.Series], cash: str,
          reference: str) -> list[Pair]:
    """The rows to compute: (portfolio, benchmark) and (portfolio, reference), excess of cash."""
    rf = returns[cash]
    out = []
    for cfg in portfolios:
        if cfg.id not in returns:
            continue
        roles = [("benchmark", cfg.benchmark), ("reference", reference if cfg.id != reference else None)]
        for role, other in roles:
            if other is None or other not in returns:
                continue
            both = pd.concat([returns[cfg.id], returns[other], rf], axis=1, join="inner").dropna()
            if len(both) < 3:
                continue
            ex = both.iloc[:, :2].sub(both.iloc[:, 2], axis=0)
            out.append(Pair(cfg.id, role, other, ex.iloc[:, 0], ex.iloc[:, 1]))
    return out


def count_trials(portfolios: list[PortfolioConfig], returns: Mapping[str, pd.Series], cash: str,
                 model_trials: Mapping[str, int]) -> Trials:
    rf = returns[cash]
    sharpes = []
    for cfg in portfolios:
        if cfg.id in returns:
            ex = pd.concat([returns[cfg.id], rf], axis=1, join="inner").dropna()
            if len(ex) > 2 and np.ptp(ex.iloc[:, 0] - ex.iloc[:, 1]) > 0:
                sharpes.append(SharpeStats.from_returns(ex.iloc[:, 0].to_numpy(), ex.iloc[:, 1].to_numpy()).sharpe)
    var = float(np.var(sharpes, ddof=1)) if len(sharpes) > 1 else 0.0
    return Trials(len(portfolios), int(sum(model_trials.values())), var)


def bootstrap_intervals(rows: list[Pair], cfg: EvidenceConfig) -> dict[int, SharpeDifference]:
    """The Sharpe-difference interval of every row; rows on the same dates share resamples."""
    groups: dict[bytes, list[int]] = {}
    for i, p in enumerate(rows):
        groups.setdefault(p.own.index.asi8.tobytes(), []).append(i)
    out: dict[int, SharpeDifference] = {}
    for members in groups.values():
        names: dict[str, pd.Series] = {}
        for i in members:
            names.setdefault(rows[i].portfolio_id, rows[i].own)
            names.setdefault(rows[i].compared_with, rows[i].other)
        cols = list(names)
        panel = np.column_stack([names[c].to_numpy() for c in cols])
        block = block_length(*panel.T)
        at = {c: k for k, c in enumerate(cols)}
        cis = sharpe_difference_cis(panel, [(at[rows[i].portfolio_id], at[rows[i].compared_with]) for i in members],
                                    block=block, confidence=cfg.level, reps=cfg.bootstrap_reps, seed=cfg.seed,
                                    periods_per_year=DAYS)
        out.update(zip(members, cis, strict=True))
    return out


def family_test(dynamic: list[str], returns: Mapping[str, pd.Series], cash: str, reference: str,
                cfg: EvidenceConfig) -> FamilyTest | None:
    """Reality check and SPA of the dynamic portfolios against the reference, on their common
    dates, in Sharpe terms: each strategy's daily excess returns rescaled to the reference's
    volatility, so its mean differential is sigma_ref (SR_k - SR_ref) and a strategy does not
    beat the 60/40 merely by taking more risk (the scale is estimated on the whole window and
    held fixed in the bootstrap)."""
    members = [pid for pid in dynamic if pid in returns and pid != reference]
    if not members or reference not in returns:
        return None
    panel = pd.concat([returns[cash], returns[reference], *(returns[m] for m in members)], axis=1,
                      join="inner").dropna()
    if len(panel) < 30:
        return None
    ex = panel.to_numpy()[:, 1:] - panel.to_numpy()[:, :1]
    sd = ex.std(axis=0, ddof=1)
    if not (sd > 0).all():
        return None
    scaled = ex[:, 1:] * (sd[0] / sd[1:])
    return reality_check_and_spa(ex[:, 0], scaled, reps=cfg.spa_reps, seed=cfg.seed)


def _sharpe_block(p: Pair, trials: Trials, level: float) -> tuple[dict, float]:
    own = SharpeStats.from_returns(p.own.to_numpy())
    other = p.other.to_numpy()
    other_sr = float(other.mean() / other.std(ddof=1)) if np.ptp(other) > 0 else 0.0
    trl = min_track_record_length(own, other_sr, level)
    dsr = deflated_sharpe_ratio(own, trials.total, trials.sharpe_variance)
    return {
        "sharpe": own.sharpe * np.sqrt(DAYS), "compared_sharpe": other_sr * np.sqrt(DAYS),
        "skewness": own.skew, "kurtosis": own.kurtosis,
        "psr": probabilistic_sharpe_ratio(own), "psr_vs_compared": probabilistic_sharpe_ratio(own, other_sr),
        "min_track_record_years": trl / DAYS if np.isfinite(trl) else None,
        "n_trials": trials.total, "n_portfolio_trials": trials.portfolios, "n_model_trials": trials.models,
        "trials_sharpe_variance": trials.sharpe_variance * DAYS,
        "expected_max_sharpe": expected_max_sharpe(trials.total, trials.sharpe_variance) * np.sqrt(DAYS),
        "dsr": dsr}, dsr


def _learned_block(learned: LearnedEvidence | None, p: Pair) -> dict:
    if learned is None:
        return {k: None for k in ("cpcv_paths", "cpcv_sharpe_mean", "cpcv_sharpe_min", "cpcv_sharpe_max",
                                  "cpcv_share_above", "pbo", "pbo_trials")}
    return {"cpcv_paths": learned.n_paths, "cpcv_sharpe_mean": learned.path_sharpe_mean,
            "cpcv_sharpe_min": learned.path_sharpe_min, "cpcv_sharpe_max": learned.path_sharpe_max,
            "cpcv_share_above": learned.share_above(p.other), "pbo": learned.pbo,
            "pbo_trials": learned.pbo_trials}


def evidence_frame(portfolios: list[PortfolioConfig], returns: Mapping[str, pd.Series], cash: str,
                   model_trials: Mapping[str, int], cfg: EvidenceConfig, as_of: dt.date, run_id: str,
                   learned: Mapping[str, LearnedEvidence] | None = None) -> pd.DataFrame:
    """The `evidence` rows of the set (see the module docstring)."""
    learned = learned or {}
    rows = pairs(portfolios, returns, cash, cfg.reference)
    if not rows:
        return pd.DataFrame()
    dynamic = {c.id: not build_strategy(c).needs.price_only for c in portfolios}
    trials = count_trials(portfolios, returns, cash, model_trials)
    intervals = bootstrap_intervals(rows, cfg)
    family = family_test([pid for pid, d in dynamic.items() if d], returns, cash, cfg.reference, cfg)
    out = []
    for i, p in enumerate(rows):
        sharpe, dsr = _sharpe_block(p, trials, cfg.level)
        ci = intervals[i]
        on_family = family is not None and p.comparison == "reference" and dynamic[p.portfolio_id]
        lrn = learned.get(p.portfolio_id)
        v = verdict(dsr, trials.total, level=cfg.level, against=p.compared_with, sharpe_difference=ci,
                    spa_pvalue=family.spa_consistent if on_family else None,
                    pbo=lrn.pbo if lrn is not None else None)
        out.append({
            "portfolio_id": p.portfolio_id, "comparison": p.comparison, "compared_with": p.compared_with,
            "as_of": as_of, "start_date": p.own.index[0].date(), "end_date": p.own.index[-1].date(),
            "observations": len(p.own), "dynamic": dynamic[p.portfolio_id], "learned": lrn is not None,
            **sharpe,
            "sharpe_difference": ci.estimate, "sharpe_difference_low": ci.low, "sharpe_difference_high": ci.high,
            "confidence": cfg.level, "block_length": ci.block_length, "bootstrap_reps": ci.reps, "seed": cfg.seed,
            "family_size": family.n_strategies if on_family else None,
            "reality_check_pvalue": family.reality_check if on_family else None,
            "spa_pvalue": family.spa_consistent if on_family else None,
            **_learned_block(lrn, p),
            "outperformance": v.outperformance, "failed_tests": list(v.reasons), "verdict": v.statement,
            "run_id": run_id})
    return pd.DataFrame(out)
