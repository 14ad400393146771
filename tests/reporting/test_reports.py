"""The HTML reports on a real backfilled warehouse: every section, self-contained, offline."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re

import duckdb
import pandas as pd
import pytest
from PIL import Image

from pipelines.reporting.build import key_figures, portfolio_page, write_reports
from pipelines.reporting.data import list_portfolios, load_portfolio, regime_probabilities

SECTIONS = ("equity", "drawdown", "weights", "trades", "regimes", "attribution", "metrics")
IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _images(text: str) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(m))) for m in IMG.findall(text)]


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


def test_pages_have_every_section_and_real_plots(reports):
    _, result = reports
    text = result.pages["static_60_40"].read_text()
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in text, sid
    images = _images(text)
    assert len(images) >= 4   # equity, drawdown, weights, trades (+ attribution when present)
    for img in images:
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


def test_key_figures_match_the_warehouse(home):
    con = duckdb.connect(str(home.warehouse_path), read_only=True)
    try:
        info = list_portfolios(con).set_index("portfolio_id").loc["static_60_40"].to_dict()
        info["portfolio_id"] = "static_60_40"
        data = load_portfolio(con, info, {"static_60_40", "equal_weight_stocks"})
        last_nav, capital = con.execute(
            "SELECT arg_max(nav, date), any_value(initial_capital) FROM nav JOIN portfolios USING (portfolio_id) "
            "WHERE portfolio_id = 'static_60_40'").fetchone()
    finally:
        con.close()
    fig = key_figures(data)
    assert fig["nav"] == pytest.approx(last_nav)
    assert fig["total_return"] == pytest.approx(last_nav / capital - 1)
    assert -1 < fig["max_drawdown"] < 0
    assert data.benchmark.index[0] == data.nav.index[0]
    assert data.benchmark.iloc[0] == pytest.approx(data.nav["nav"].iloc[0])
    assert set(data.weights.columns) == {"equity", "government_bonds", "cash"} or \
        {"equity", "government_bonds"} <= set(data.weights.columns)


@pytest.mark.parametrize("form", ["json", "long", "wide"])
def test_regime_probabilities_are_plotted_when_a_regimes_table_exists(home, form):
    dates = pd.bdate_range("2014-01-02", "2016-12-29")
    p = (pd.Series(range(len(dates)), index=dates) % 100) / 100.0
    mem = duckdb.connect()
    if form == "json":  # the shape of migration 004's regimes table
        frame = pd.DataFrame({"date": dates, "model_name": "regime", "regime": "calm", "p_risk_off": 0.3,
                              "probabilities": [json.dumps({"calm": x, "stress": 1 - x}) for x in p]})
    elif form == "long":
        frame = pd.concat([pd.DataFrame({"date": dates, "regime": "calm", "probability": p.to_numpy()}),
                           pd.DataFrame({"date": dates, "regime": "stress", "probability": 1 - p.to_numpy()})])
    else:
        frame = pd.DataFrame({"date": dates, "model_version": "v1", "p_calm": p.to_numpy(),
                              "p_stress": 1 - p.to_numpy()})
    mem.register("frame", frame)
    mem.execute("CREATE TABLE regimes AS SELECT * FROM frame")
    regimes = regime_probabilities(mem)
    assert list(regimes.columns) == ["calm", "stress"]
    assert (regimes.sum(axis=1).round(9) == 1).all()

    con = duckdb.connect(str(home.warehouse_path), read_only=True)
    try:
        info = list_portfolios(con).iloc[0].to_dict()
        data = load_portfolio(con, info, {info["portfolio_id"]}, regimes=regimes)
    finally:
        con.close()
    text = portfolio_page(data, key_figures(data), None)
    regime_section = text.split('<section id="regimes">')[1].split("</section>")[0]
    assert IMG.search(regime_section)
    # Without the table, the section says so instead of failing.
    empty = portfolio_page(dataclasses.replace(data, regimes=pd.DataFrame()), key_figures(data), None)
    assert "No regime model output" in empty.split('<section id="regimes">')[1]


def test_rewriting_is_idempotent_apart_from_the_timestamp(reports):
    settings, first = reports
    before = {p: p.read_text() for p in first.pages.values()}
    second = write_reports(settings, run_id="manual__2016-12-29T00:00:00+00:00")
    assert {p: p.read_text() for p in second.pages.values()} == before


def test_unknown_portfolio_is_a_clear_error(home):
    with pytest.raises(KeyError, match="no_such"):
        write_reports(home, portfolio_ids=["no_such"])
