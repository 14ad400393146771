"""The HTML reports on a real backfilled warehouse: every tearsheet section, self-contained,
figures that agree with the warehouse, the regime chart without holes, the caveats a quant
needs, and formatting that does not mislead (no -0.00%, YTD not annualised, no sign colour on
turnover)."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from pipelines.reporting import data as D
from pipelines.reporting import html as H
from pipelines.reporting import plots
from pipelines.reporting import tearsheet as T
from pipelines.reporting.build import index_page, write_reports
from pipelines.reporting.sections import PORTFOLIO_SECTIONS, PageContext, key_figures
from pipelines.warehouse.db import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pixels import white_gaps  # noqa: E402

# the sections of every page (the neural section is only on neural_sharpe pages)
SECTIONS = [s.id for s in PORTFOLIO_SECTIONS if s.id != "neural"]
IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _images(text: str) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(m))) for m in IMG.findall(text)]


def _section(text: str, sid: str) -> str:
    return text.split(f'<section id="{sid}">')[1].split("</section>")[0]


def _read(settings, ids=None) -> D.ReportData:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return D.load(con, ids)
    finally:
        con.close()


@pytest.fixture
def reports(home):
    return home, write_reports(home, run_id="manual__2016-12-29T00:00:00+00:00")


def test_index_and_one_page_per_portfolio(reports):
    settings, result = reports
    assert result.index == settings.reports_dir / "index.html"
    assert set(result.pages) == {"static_60_40", "equal_weight_stocks"}
    index = result.index.read_text()
    for pid in result.pages:
        assert f'href="{pid}.html"' in index
        assert (settings.reports_dir / f"{pid}.html").exists()       # latest
        assert result.pages[pid].parent == result.run_dir              # and the run's copy
    assert 'id="portfolios"' in index and "2016-12-29" in index
    assert 'id="evidence-verdicts"' in index and 'href="equal_weight_stocks.html"' in index


def test_pages_have_every_tearsheet_section_with_content(reports):
    _, result = reports
    assert {"equity", "drawdowns", "monthly", "yearly", "distribution", "rolling", "weights", "trades",
            "regimes", "attribution", "factor-exposures", "factor-attribution", "metrics"} <= set(SECTIONS)
    text = result.pages["static_60_40"].read_text()
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in text, sid
        assert f'href="#{sid}"' in text, f"{sid} missing from the table of contents"
    # with a backfilled warehouse every section has its content, not a "no rows yet" note
    for sid, marker in {"drawdowns": 'id="drawdowns-table"', "monthly": 'id="monthly-returns"',
                        "distribution": 'id="distribution-table"', "weights": 'id="holdings-table"',
                        "factor-exposures": 'id="factor-exposures-table"',
                        "factor-attribution": 'id="factor-attribution-table"', "metrics": 'id="metrics-table"',
                        "evidence": 'id="evidence-table"'}.items():
        assert marker in _section(text, sid), sid
    for sid in ("equity", "yearly", "distribution", "rolling", "weights", "trades", "factor-exposures"):
        assert IMG.search(_section(text, sid)), f"no plot in {sid}"
    for img in _images(text):
        assert img.format == "PNG" and img.width > 400 and img.height > 150
        colors = img.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colors is not None and len(colors) > 20, "a plot came out blank"


def test_self_contained_no_external_assets(reports):
    _, result = reports
    for path in [result.index, *result.pages.values()]:
        text = path.read_text()
        assert "<script" not in text
        assert not re.search(r'(src|href)="(https?:)?//', text), path
        assert "<link" not in text


def test_key_figures_come_from_the_performance_table(home):
    report = _read(home)
    data = report.portfolio("static_60_40")
    con = duckdb.connect(str(home.warehouse_path), read_only=True)
    try:
        perf = con.execute("SELECT horizon, total_return, cagr, sharpe, max_drawdown FROM performance "
                           "WHERE portfolio_id = 'static_60_40'").df().set_index("horizon")
        last_nav = con.execute("SELECT arg_max(nav, date) FROM nav WHERE portfolio_id = 'static_60_40'").fetchone()[0]
    finally:
        con.close()
    fig = key_figures(data)
    assert fig["nav"] == pytest.approx(last_nav)
    for k in ("total_return", "cagr", "sharpe", "max_drawdown"):
        assert fig[k] == pytest.approx(perf.loc["inception", k])
    assert fig["ytd"] == pytest.approx(perf.loc["ytd", "total_return"])   # a plain return
    assert data.benchmark.index[0] == data.nav.index[0]
    assert data.benchmark.iloc[0] == pytest.approx(data.nav["nav"].iloc[0])


def test_ytd_is_not_annualised_and_has_no_calmar(reports):
    _, result = reports
    metrics = _section(result.pages["static_60_40"].read_text(), "metrics")
    head = re.findall(r"<th>([^<]*)</th>", metrics)
    ytd = head.index("YTD")
    for label in ("CAGR (annualised)", "Calmar"):
        row = re.search(rf"<tr><td>{re.escape(label)}</td>(.*?)</tr>", metrics).group(1)
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
        assert cells[ytd - 1] == "–", (label, cells)
        assert cells[0] != "–"   # since inception it is there
    summary = _section(result.pages["static_60_40"].read_text(), "summary")
    assert "YTD (not annualised)" in summary


def test_no_negative_zero_and_turnover_is_not_coloured(reports):
    _, result = reports
    assert H.fmt_pct(-1e-9) == "0.00%" and H.fmt_pct(-0.00004) == "0.00%" and H.fmt_num(-0.001) == "0.00"
    assert H.signed_class(-1e-9) == ""
    for path in [result.index, *result.pages.values()]:
        text = path.read_text()
        assert "-0.00%" not in text and "-0.0%" not in text, path
    metrics = _section(result.pages["static_60_40"].read_text(), "metrics")
    turnover = re.search(r"<tr><td>turnover \(annualised\)</td>(.*?)</tr>", metrics).group(1)
    assert "pos" not in turnover and "neg" not in turnover


def test_money_axes_have_no_scientific_offset():
    assert plots.money(6_711_589) == "6.71M" and plots.money(250_000) == "250k"
    assert plots.money(1.2e9) == "1.2bn" and plots.money(950) == "950"


def test_weights_by_symbol_when_a_portfolio_holds_one_asset_class(home):
    report = _read(home)
    stocks, mix = report.portfolio("equal_weight_stocks"), report.portfolio("static_60_40")
    assert stocks.weights_by_symbol and not mix.weights_by_symbol
    assert {"AAPL", "MSFT", "cash"} <= set(stocks.weights.columns)
    assert {"equity", "government_bonds", "cash"} == set(mix.weights.columns)
    for d in (stocks, mix):  # cash included: every date sums to 1
        assert np.allclose(d.weights.sum(axis=1), 1.0, atol=1e-9)
    holdings = mix.current_holdings
    assert holdings["weight"].sum() == pytest.approx(1.0) and "CASH" in set(holdings["symbol"])


def test_caveats_flag_survivor_stocks_and_the_price_index(reports):
    _, result = reports
    stocks = result.pages["equal_weight_stocks"].read_text()
    mix = result.pages["static_60_40"].read_text()
    index = result.index.read_text()
    assert "survivorship bias" in _section(stocks, "summary")
    assert "survivorship bias" not in mix
    for page in (stocks, mix):   # both are compared with SPX
        assert "price index" in _section(page, "summary") and "dividends" in _section(page, "equity")
    best = re.search(r"Best since inception</div><div class=\"v [a-z]*\">([a-z_0-9]+) ", index).group(1)
    assert best == "equal_weight_stocks"
    assert "survivorship bias: 20 present-day S&amp;P 500 stocks" in index
    assert 'id="caveats"' in index


def test_factor_attribution_sums_the_monthly_contributions(home):
    report = _read(home)
    fa = report.portfolio("static_60_40").factor_attribution.set_index("factor")
    con = duckdb.connect(str(home.warehouse_path), read_only=True)
    try:
        total = dict(con.execute("SELECT factor, sum(contribution) FROM factor_attribution "
                                 "WHERE portfolio_id = 'static_60_40' GROUP BY 1").fetchall())
        months = con.execute("SELECT count(DISTINCT period_start) FROM factor_attribution "
                             "WHERE portfolio_id = 'static_60_40'").fetchone()[0]
    finally:
        con.close()
    assert len(fa) == len(total) > 3 and (fa["months"] == months).all()
    for f, v in total.items():
        assert fa.loc[f, "since_start"] == pytest.approx(v)
    assert (fa["last_12m"].abs() <= fa["since_start"].abs() + 1).all()


def _regime_rows(dates: pd.DatetimeIndex, missing_normal: slice) -> pd.DataFrame:
    """Rows shaped like migration 004's regimes: JSON by name; some refits lack 'normal'."""
    rng = np.random.default_rng(0)
    rows = []
    for i, d in enumerate(dates):
        p = rng.dirichlet([1, 1, 1])
        probs = {"calm": p[0], "normal": p[1], "stress": p[2]}
        if missing_normal.start <= i < missing_normal.stop:
            probs = {"calm": p[0] + p[1], "stress": p[2]}   # a two-component mixture
        rows.append({"date": d.date(), "regime": max(probs, key=probs.get), "p_risk_off": 0.4,
                     "probabilities": json.dumps(probs)})
    return pd.DataFrame(rows)


def test_regimes_without_a_key_are_zero_not_holes():
    dates = pd.bdate_range("2014-01-02", "2016-12-29")
    wide = D.regime_probabilities(_regime_rows(dates, slice(200, 400)))
    assert list(wide.columns) == ["calm", "normal", "stress", "p_risk_off"]
    probs = wide.drop(columns="p_risk_off")
    assert not probs.isna().any().any()
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert (probs["normal"].iloc[200:400] == 0).all()


def test_the_hole_detector_sees_a_gap_in_the_regime_chart():
    """The pixel check the browser test runs: no gap in the fixed chart, a wide one when
    the dates without a key are left as NaN (what the report drew before)."""
    dates = pd.bdate_range("2014-01-02", "2016-12-29")
    fixed = D.regime_probabilities(_regime_rows(dates, slice(200, 400)))
    holed = fixed.copy()
    holed.iloc[200:400, holed.columns.get_loc("normal")] = np.nan
    img = lambda r: Image.open(io.BytesIO(base64.b64decode(  # noqa: E731
        plots.regime_chart(r, dates[0], dates[-1]).split(",", 1)[1])))
    assert white_gaps(img(fixed)) <= 2
    assert white_gaps(img(holed)) > 50


def test_regime_section_plots_the_warehouse_rows(home):
    dates = pd.bdate_range("2014-01-02", "2016-12-29")
    frame = _regime_rows(dates, slice(100, 300)).assign(model_name="risk_off_classifier",
                                                       model_version="v1", run_id="t")
    con = duckdb.connect(str(home.warehouse_path))
    con.register("frame", frame)
    con.execute("INSERT INTO regimes BY NAME SELECT * REPLACE (CAST(date AS DATE) AS date) FROM frame")
    con.close()
    report = _read(home)
    assert not report.regimes.isna().any().any()
    text = _section(write_reports(home).pages["static_60_40"].read_text(), "regimes")
    img = _images(text)[0]
    assert white_gaps(img) <= 2


def test_tearsheet_statistics_on_a_hand_checked_series():
    v = pd.Series([100, 110, 105, 99, 111, 120, 90, 95, 121, 100.0],
                  index=pd.bdate_range("2020-01-01", periods=10))
    dd = T.worst_drawdowns(v, top=2)
    assert dd["depth"].round(6).tolist() == [-0.25, round(100 / 121 - 1, 6)]
    assert dd.loc[0, "peak"] == v.index[5] and dd.loc[0, "trough"] == v.index[6]
    assert dd.loc[0, "recovery"] == v.index[8] and pd.isna(dd.loc[1, "recovery"])
    nav = pd.Series(np.linspace(100, 130, 400), index=pd.bdate_range("2019-01-01", periods=400))
    grid = T.monthly_table(nav, 100.0)
    months = grid[list(T.MONTHS)]
    assert np.allclose((1 + months).prod(axis=1, skipna=True) - 1, grid["Year"])
    assert (1 + grid["Year"]).prod() - 1 == pytest.approx(nav.iloc[-1] / 100 - 1)


def test_one_query_per_table_for_all_portfolios(home):
    """The pages come from a single read: every table's frame holds every portfolio."""
    report = _read(home)
    for name in ("nav", "weights", "performance", "factor_exposures", "trades_daily"):
        assert set(report.tables[name]) == {"static_60_40", "equal_weight_stocks"}, name
    one = _read(home, ["static_60_40"])
    assert one.reported == ("static_60_40",)


def test_every_page_lists_the_same_sections_even_without_analytics(home, tmp_path):
    """A warehouse without performance, factor and regime rows still gives every section."""
    con = duckdb.connect(str(home.warehouse_path))
    for table in ("performance", "attribution", "factor_exposures", "factor_attribution", "evidence"):
        con.execute(f"DELETE FROM {table}")
    con.close()
    text = write_reports(home).pages["static_60_40"].read_text()
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in text
    assert "No performance rows" in _section(text, "metrics")
    assert "No factor exposures" in _section(text, "factor-exposures")
    assert "No evidence rows" in _section(text, "evidence")
    assert 'id="neural"' not in text and 'href="#neural"' not in text  # not a neural_sharpe portfolio


def test_rewriting_is_idempotent_apart_from_the_timestamp(reports):
    settings, first = reports
    before = {p: p.read_text() for p in first.pages.values()}
    second = write_reports(settings, run_id="manual__2016-12-29T00:00:00+00:00")
    assert {p: p.read_text() for p in second.pages.values()} == before


def test_unknown_portfolio_is_a_clear_error(home):
    with pytest.raises(KeyError, match="no_such"):
        write_reports(home, portfolio_ids=["no_such"])


def test_a_page_context_is_independent_of_the_other_pages(home):
    report = _read(home)
    shared: dict = {}
    a = PageContext(report.portfolio("static_60_40"), cache=shared)
    alone = PageContext(report.portfolio("static_60_40"))
    PageContext(report.portfolio("equal_weight_stocks"), cache=shared)
    for s in PORTFOLIO_SECTIONS:
        assert s.render(a) == s.render(alone), s.id


def test_evidence_section_states_the_verdicts(reports):
    """Each comparison's verdict as a card and a sentence, with the figures they rest on; the
    survivorship caveat on a stock portfolio's evidence."""
    settings, result = reports
    with connect(settings, read_only=True) as con:
        ev = con.execute("SELECT * FROM evidence WHERE portfolio_id = 'equal_weight_stocks'").df()
    text = _section(result.pages["equal_weight_stocks"].read_text(), "evidence")
    assert len(ev) == 2
    for _, row in ev.iterrows():
        assert f"Evidence vs {row['compared_with']}" in text
        assert html.escape(row["verdict"]) in text
    assert "survivorship bias" in text
    assert "survivorship bias" not in _section(result.pages["static_60_40"].read_text(), "evidence")


def test_index_states_the_family_test():
    family = {"reference": "static_60_40", "size": 3, "reality_check": 0.41, "spa": 0.372, "confidence": 0.95,
              "members": ["a", "b", "c"]}
    rows = [{"portfolio_id": "a", "name": "A", "strategy": "hrp", "risk_profile": "moderate", "nav": 1.0,
             "total_return": 0.1, "cagr": 0.01, "ytd": 0.0, "volatility": 0.1, "sharpe": 0.5, "max_drawdown": -0.1,
             "benchmark": "static_60_40", "benchmark_return": 0.1, "last_date": "2016-12-29",
             "survivor_stocks": False, "price_index": (),
             "evidence": {"benchmark": "no (static_60_40)", "reference": "no (static_60_40)", "dsr": 0.5,
                          "n_trials": 40}}]
    text = index_page(rows, None, [], family)
    section = text.split('<section id="evidence-section">')[1]
    assert "0.410" in section and "0.372" in section and "does not beat it" in section
