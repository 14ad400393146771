"""Factor exposures, factor risk decomposition and factor return attribution of the managed
portfolios, monthly, from the warehouse's holdings and the point-in-time factor model.

Dates: each portfolio's last NAV date of every calendar month (its latest date included).
At such a date D the holdings give weights w_i = quantity_i x close_i / NAV; the factor model
as estimated at the close of D (models.factor_model, 60 months, all ten factors) gives the
exposures B, so the portfolio's exposures are x = B'w and its variance splits into factor and
residual shares (the Euler split of `factor_model.risk_decomposition`, in numpy). Those are
the `factor_exposures` rows (entity_type 'portfolio'; the 'residual' row carries the specific
share, w'alpha, w'Dw and R^2 = 1 - specific share).

Attribution of month m (from the month end D0 before it to the month end D1 that closes it):
the portfolio's return r_p = NAV(D1)/NAV(D0) - 1 is split into
    risk_free  r_c (the cash index over the month; exposure 1),
    factor k   x_k(D0) f_k,m (exposure fixed at the start of the month),
    specific   r_p - r_c - sum_k x_k f_k,m (alpha, residuals, intra-month trading and costs,
               and the return of holdings the model does not cover),
so the rows of a period sum to the portfolio's return. A month enters only when every factor
value f_k,m is known at `as_of` (Fama-French months wait for their release).

Coverage: the model covers an asset only when it has a return in every month of the window.
Holdings outside it get zero exposure (their return falls into 'specific', their risk is left
out of the decomposition); `coverage` records the covered share of the gross risky weight, and
dates covered below MIN_COVERAGE get no rows. The cash symbol and cash carry no factor risk.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.factor_model import ols_fit
from models.factors import FACTORS, FactorPanel, build_panel
from pipelines.allocation import catalog
from pipelines.config import Settings
from pipelines.features.inputs import MarketInputs, load_inputs
from pipelines.warehouse.db import connect
from pipelines.warehouse.sql_files import load_sql

log = logging.getLogger(__name__)

WINDOW, MIN_MONTHS = 60, 36
MIN_COVERAGE = 0.5
TABLES = ("factor_exposures", "factor_attribution")


@dataclass(frozen=True)
class MonthFit:
    """The factor model at one date as arrays over a fixed asset list: `idx` positions of the
    fitted assets in that list, B (n_fit, K), F (K, K), alpha and residual variance (n_fit,)."""

    idx: np.ndarray
    B: np.ndarray
    F: np.ndarray
    alpha: np.ndarray
    resid: np.ndarray
    last_month: pd.Period

    @property
    def version(self) -> str:
        return f"factor_model@{self.last_month}-w{WINDOW}"


def month_fits(panel: FactorPanel, dates: list[pd.Timestamp], assets: list[str]
               ) -> dict[pd.Timestamp, MonthFit | None]:
    """`fit_factor_model(panel, d, assets, FACTORS, WINDOW, MIN_MONTHS)` at every date, in
    numpy (the same rule: months over before d, factor values known at d, the last WINDOW
    complete months, assets with a return in each); pandas per date would dominate the step."""
    R = panel.returns[list(FACTORS)].to_numpy(dtype=float)
    known = panel.known[list(FACTORS)].apply(pd.to_datetime).to_numpy(dtype="datetime64[ns]")
    A = panel.asset_returns.reindex(columns=assets).to_numpy(dtype=float)
    months = panel.returns.index
    out: dict[pd.Timestamp, MonthFit | None] = {}
    for d in dates:
        over = np.asarray(months < d.to_period("M"))
        with np.errstate(invalid="ignore"):
            ok_f = (known[over] <= np.datetime64(d, "ns")) & np.isfinite(R[over])
        rows = np.flatnonzero(over)[ok_f.all(axis=1)][-WINDOW:]
        if len(rows) < MIN_MONTHS:
            out[d] = None
            continue
        y_all = A[rows]
        idx = np.flatnonzero(np.isfinite(y_all).all(axis=0))
        if not len(idx):
            out[d] = None
            continue
        X = R[rows]
        alpha, beta, resid, _ = ols_fit(y_all[:, idx], X)
        F = np.cov(X, rowvar=False, ddof=1).reshape(len(FACTORS), len(FACTORS))
        out[d] = MonthFit(idx, beta, F, alpha, resid, months[rows[-1]])
    return out


def _month_end_weights(nav: pd.DataFrame, pos: pd.DataFrame, prices: pd.DataFrame,
                       assets: list[str]) -> np.ndarray:
    """(dates, assets) weights of one portfolio at its month-end dates (cash symbol excluded)."""
    q = pos.pivot(index="date", columns="symbol", values="quantity")
    q = q.reindex(index=nav.index, columns=assets).fillna(0.0)
    px = prices.reindex(index=nav.index, columns=assets)
    return (q * px).fillna(0.0).div(nav["nav"], axis=0).to_numpy()


def _frame(keys: dict[str, list], labels: list[str], values: dict[str, list]) -> pd.DataFrame:
    """Long rows: each key row repeated once per label, value columns stacked (n, len(labels))."""
    n, k = len(next(iter(keys.values()))), len(labels)
    if n == 0:
        return pd.DataFrame()
    cols = {c: np.repeat(np.asarray(v, dtype=object if c != "coverage" else float), k)
            for c, v in keys.items()}
    cols["factor"] = np.tile(np.asarray(labels, dtype=object), n)
    cols.update({c: np.asarray(v, dtype=float).reshape(-1) for c, v in values.items()})
    return pd.DataFrame(cols)


def portfolio_factor_rows(pid: str, weights: np.ndarray, dates: list[pd.Timestamp],
                          nav: np.ndarray, cash_ret: np.ndarray,
                          fits: dict[pd.Timestamp, MonthFit | None], f_known: pd.DataFrame,
                          run_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exposure and attribution frames of one portfolio (see module doc). weights (n_dates,
    n_assets) at `dates`; nav and cash_ret (the cash index return since the previous date)
    aligned with them; f_known: factor returns by month, NaN where not known at as_of."""
    names = list(FACTORS)
    K = len(names)
    f_rows = {m: r for m, r in zip(f_known.index, f_known.to_numpy(dtype=float), strict=True)}
    nan_k = [np.nan] * K
    ek = {"date": [], "model_version": [], "coverage": []}
    ev = {"exposure": [], "risk_contribution": [], "alpha": [], "residual_variance": [],
          "r_squared": []}
    ak = {"period_start": [], "period_end": [], "model_version": [], "coverage": []}
    av = {"exposure": [], "factor_return": [], "contribution": []}
    for i, d in enumerate(dates):
        fit = fits.get(d)
        if fit is None:
            continue
        w = weights[i]
        gross = float(np.abs(w).sum())
        wc = w[fit.idx]
        coverage = float(np.abs(wc).sum()) / gross if gross > 0 else 1.0
        if coverage < MIN_COVERAGE:
            continue
        x = fit.B.T @ wc
        fac = x * (fit.F @ x)
        spec = float(wc ** 2 @ fit.resid)
        total = float(fac.sum()) + spec
        share = np.append(fac, spec) / total if total > 0 else np.zeros(K + 1)
        for c, v in (("date", d.date()), ("model_version", fit.version), ("coverage", coverage)):
            ek[c].append(v)
        ev["exposure"].append([*x, np.nan])
        ev["risk_contribution"].append(share)
        ev["alpha"].append([*nan_k, float(wc @ fit.alpha)])
        ev["residual_variance"].append([*nan_k, spec])
        ev["r_squared"].append([*nan_k, 1.0 - share[-1]])
        if i + 1 >= len(dates):
            continue
        d1 = dates[i + 1]
        m = d1.to_period("M")
        f = f_rows.get(m)
        if m != d.to_period("M") + 1 or f is None or not np.isfinite(f).all() \
                or not np.isfinite(cash_ret[i + 1]):
            continue
        r_p, r_c = float(nav[i + 1] / nav[i] - 1.0), float(cash_ret[i + 1])
        contrib = x * f
        for c, v in (("period_start", d.date()), ("period_end", d1.date()),
                     ("model_version", fit.version), ("coverage", coverage)):
            ak[c].append(v)
        av["exposure"].append([*x, 1.0, np.nan])
        av["factor_return"].append([*f, r_c, np.nan])
        av["contribution"].append([*contrib, r_c, r_p - r_c - float(contrib.sum())])
    exp = _frame(ek, [*names, "residual"], ev)
    attr = _frame(ak, [*names, "risk_free", "specific"], av)
    if len(exp):
        exp = exp.assign(entity_type="portfolio", entity=pid, run_id=run_id)
    if len(attr):
        attr = attr.assign(portfolio_id=pid, run_id=run_id)
    return exp, attr


def compute_factor_rows(settings: Settings, as_of: dt.date, run_id: str,
                        data: MarketInputs | None = None) -> dict[str, pd.DataFrame]:
    """`factor_exposures` (portfolio rows) and `factor_attribution` frames of every configured
    portfolio with NAV rows, as known at the close of `as_of` (`data`: the lake read at
    `as_of`, when the caller has it)."""
    ids = [p.id for p in catalog.portfolios(settings)]
    with connect(settings, read_only=True) as con:
        navs = con.execute(load_sql("app/factor_month_end_nav.sql"), {"ids": ids}).df()
        pos = con.execute(load_sql("app/factor_month_end_positions.sql"), {"ids": ids}).df()
    empty = {t: pd.DataFrame() for t in TABLES}
    if navs.empty:
        return empty
    navs["date"] = pd.to_datetime(navs["date"])
    pos["date"] = pd.to_datetime(pos["date"])
    universe = settings.universe
    data = data if data is not None else load_inputs(settings, as_of)
    panel = build_panel(data, settings.universe.stocks)
    cash = universe.cash_symbol
    assets = [s for s in universe.symbols if s != cash]
    fits = month_fits(panel, [pd.Timestamp(d) for d in sorted(navs["date"].unique())], assets)
    f_known = panel.returns[list(FACTORS)].where(panel.known[list(FACTORS)] <= pd.Timestamp(as_of))
    px = data.prices
    exp, attr = [], []
    for pid, nav in navs.groupby("portfolio_id", sort=False):
        nav = nav.set_index("date").sort_index()
        w = _month_end_weights(nav, pos[pos["portfolio_id"] == pid], px, assets)
        cash_px = px[cash].reindex(nav.index).to_numpy(dtype=float)
        cash_ret = np.append(np.nan, cash_px[1:] / cash_px[:-1] - 1.0)
        e, a = portfolio_factor_rows(pid, w, list(nav.index), nav["nav"].to_numpy(dtype=float),
                                     cash_ret, fits, f_known, run_id)
        exp.append(e)
        attr.append(a)
    out = {"factor_exposures": pd.concat(exp, ignore_index=True),
           "factor_attribution": pd.concat(attr, ignore_index=True)}
    log.info("factor rows: %s", {k: len(v) for k, v in out.items()})
    return out
