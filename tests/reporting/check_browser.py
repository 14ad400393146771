"""The reports in a real headless browser (Debian's chromium, over the DevTools protocol), run
by `make stack-test` (which installs chromium; `.ci/run` runs it): at 1280 px nothing needs a
horizontal scroll and no table is clipped, every section of a page is there with its plots
loaded, the regime chart has no holes (the warehouse holds refits whose JSON lacks a regime),
the accounts section shows the client book, and the index flags the survivorship bias. Each
check is also run on a doctored copy of a page (a section removed, a table widened, a chart
with a hole) to show it would catch that. Screenshots go to $DAA_SCREENSHOT_DIR (default: a
temp dir)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from PIL import Image, ImageStat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "stack"))
sys.path.insert(0, str(HERE))
from browser import Browser  # noqa: E402
from pixels import white_gaps  # noqa: E402

from support import BASE_END, TEST_PORTFOLIOS, make_config_dir  # noqa: E402

WIDTH, HEIGHT = 1280, 900
START = dt.date(1997, 1, 2)   # spans the 1998-2007 refits whose mixture has two regimes
PORTFOLIOS = TEST_PORTFOLIOS.replace("inception: 2014-01-02", f"inception: {START}")


@pytest.fixture(scope="module")
def reports():
    """The test portfolios incepted in 1997 with a small client book, backfilled (the accounts
    rebalanced), the regime models trained walk-forward, and their reports."""
    from pipelines.accounts.book import import_book
    from pipelines.accounts.generate import generate_book
    from pipelines.config import Settings
    from pipelines.reporting.build import write_reports
    from pipelines.runner import backfill, train

    tmp = Path(tempfile.mkdtemp(prefix="daa-browser-"))
    settings = Settings(data_root=tmp / "home", config_dir=make_config_dir(tmp / "config", PORTFOLIOS))
    book = generate_book(settings, 60, 7, dt.date(2014, 1, 2), BASE_END, tmp / "book")
    import_book(settings, book.accounts_path, book.flows_path, replace=True)
    backfill(settings, START, BASE_END, run_id="browser-backfill")
    # The test set has no model-driven portfolio, so the daily train step skips; the weekly
    # model_training pipeline trains the regime models whose chart every page shows.
    train(settings, BASE_END, run_id="browser-models")
    result = write_reports(settings)
    yield tmp, settings, result
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(reports):
    tmp = reports[0]
    with Browser(tmp / "profile", tmp / "chromium.log", size=(WIDTH, HEIGHT)) as b:
        yield b


def _open(b: Browser, url: str) -> None:
    b.goto(url)
    b.wait_for(url, "document.readyState === 'complete' && [...document.images].every(i => i.complete)",
               settle=0.3)


def _shot(b: Browser, name: str, clip: dict | None = None) -> Image.Image:
    """A screenshot (of the viewport, or of `clip` in page coordinates) saved for a person."""
    params = {"format": "png"}
    if clip:
        params |= {"clip": {**clip, "scale": 1}, "captureBeyondViewport": True}
    data = b.call("Page.captureScreenshot", session=True, timeout=90, **params)["data"]
    out = Path(os.environ.get("DAA_SCREENSHOT_DIR") or tempfile.gettempdir()) / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(data))
    print(f"\nscreenshot: {out}")
    return Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")


def _rect(b: Browser, selector: str) -> dict:
    return b.evaluate(f"(() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();"
                      " return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}; })()")


def _not_blank(img: Image.Image) -> None:
    stat = ImageStat.Stat(img)
    assert max(stat.stddev) > 20, f"page looks blank (pixel stddev {stat.stddev})"
    colors = img.getcolors(maxcolors=10_000_000)
    assert colors is not None and len(colors) > 200, "too few colours: nothing rendered"
    header = ImageStat.Stat(img.crop((0, 0, img.width, 40))).mean
    assert sum(header) / 3 < 100, f"header missing (mean colour {header})"


CLIPPED = """(() => {
  const out = [];
  if (document.documentElement.scrollWidth > innerWidth)
    out.push('page ' + document.documentElement.scrollWidth + ' > ' + innerWidth);
  for (const s of document.querySelectorAll('.scroll'))
    if (s.scrollWidth > s.clientWidth + 1)
      out.push((s.querySelector('table').id || 'table in #' + s.closest('section').id) + ' '
               + s.scrollWidth + ' > ' + s.clientWidth);
  for (const t of document.querySelectorAll('table, img')) {
    const sec = t.closest('section'); if (!sec) continue;
    const r = t.getBoundingClientRect(), p = sec.getBoundingClientRect();
    if (r.right > p.right + 1) out.push((t.id || t.alt || t.tagName) + ' overflows its section');
  }
  return out;
})()"""


SECTION = """(id => { const e = document.getElementById(id);
  if (!e) return null;
  const imgs = [...e.querySelectorAll('img')];
  return {height: e.getBoundingClientRect().height, text: e.innerText, images: imgs.length,
          loaded: imgs.every(i => i.complete && i.naturalWidth > 400)}; })"""


def section_problems(b: Browser, ids: list[str]) -> list[str]:
    """What is wrong with the page's sections: missing, (nearly) empty, a plot not loaded, or
    a placeholder saying there is no data yet."""
    out = []
    for sid in ids:
        info = b.evaluate(f"{SECTION}({sid!r})")
        if info is None:
            out.append(f"section {sid} missing")
        elif info["height"] <= 60 or not info["loaded"]:
            out.append(f"section {sid} empty or a plot not loaded: {info['height']:.0f} px, {info['images']} images")
        elif "yet" in info["text"]:
            out.append(f"section {sid} has no data: {info['text'][:120]}")
    return out


def _applicable(pid: str) -> list[str]:
    """The ids of the sections a test portfolio's page has (the neural section is for neural ones)."""
    from pipelines.reporting.sections import PORTFOLIO_SECTIONS

    strategy = {"static_60_40": "static_mix", "equal_weight_stocks": "equal_weight"}[pid]
    return [s.id for s in PORTFOLIO_SECTIONS if s.applies(SimpleNamespace(info={"strategy": strategy}))]


def regime_gap(b: Browser, name: str) -> int:
    """The widest white run inside the page's regime chart, as the browser draws it."""
    return white_gaps(_shot(b, name, _rect(b, "#regimes img")))


def test_index_fits_the_width_and_flags_survivorship(reports, browser):
    _, _, result = reports
    _open(browser, result.index.as_uri())
    _not_blank(_shot(browser, "report_index"))
    assert browser.evaluate(CLIPPED) == []
    text = browser.text()
    assert "survivorship bias" in text and "price index" in text
    hrefs = browser.evaluate("[...document.querySelectorAll('#portfolios a')].map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == sorted(f"{pid}.html" for pid in result.pages)


@pytest.mark.parametrize("pid", ["static_60_40", "equal_weight_stocks"])
def test_portfolio_page_has_every_section_and_nothing_clipped(reports, browser, pid):
    from pipelines.reporting.sections import PORTFOLIO_SECTIONS

    _, _, result = reports
    _open(browser, result.pages[pid].as_uri())
    _not_blank(_shot(browser, f"report_{pid}"))
    assert browser.evaluate(CLIPPED) == []
    applies = _applicable(pid)
    for s in PORTFOLIO_SECTIONS:
        if s.id not in applies:  # e.g. the neural section
            assert browser.evaluate(f"document.getElementById({s.id!r}) === null"), f"section {s.id} on {pid}"
    assert section_problems(browser, applies) == []
    for sid in ("equity", "rolling", "weights", "regimes", "factor-exposures"):
        img = _shot(browser, f"report_{pid}_{sid}", _rect(browser, f"#{sid}"))
        colors = img.getcolors(maxcolors=10_000_000)
        assert colors is not None and len(colors) > 100, f"{sid} rendered blank"


def test_regime_chart_has_no_holes(reports, browser):
    _, settings, result = reports
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:  # the chart's dates hold the case that used to draw holes
        two = con.execute("SELECT count(*) FROM regimes WHERE json_keys(probabilities) = ['calm', 'stress'] "
                          "AND date >= (SELECT min(date) FROM nav WHERE portfolio_id = 'static_60_40')"
                          ).fetchone()[0]
    finally:
        con.close()
    assert two > 100
    _open(browser, result.pages["static_60_40"].as_uri())
    assert regime_gap(browser, "report_static_60_40_regime_chart") <= 2, "the regime chart has a gap"


def test_the_accounts_section_shows_the_client_book(reports, browser):
    _, _, result = reports
    _open(browser, result.pages["static_60_40"].as_uri())
    text = browser.evaluate("document.getElementById('accounts').innerText")
    assert "No client account" not in text
    assert browser.evaluate("document.querySelectorAll('#accounts img').length") >= 1
    _open(browser, result.index.as_uri())
    assert browser.evaluate("!!document.getElementById('accounts-by-model')")


# ----------------------------------------------------------------- the checks catch what they look for


def _doctored(result, name: str, edit) -> Path:
    """A copy of static_60_40's page beside it, changed by `edit(html) -> html`."""
    page = result.pages["static_60_40"]
    out = page.with_name(f"doctored_{name}.html")
    out.write_text(edit(page.read_text(encoding="utf-8")), encoding="utf-8")
    return out


def test_a_missing_section_is_caught(reports, browser):
    import re

    _, _, result = reports
    path = _doctored(result, "no_drawdowns",
                     lambda h: re.sub(r'<section id="drawdowns">.*?</section>', "", h, count=1, flags=re.S))
    _open(browser, path.as_uri())
    assert section_problems(browser, _applicable("static_60_40")) == ["section drawdowns missing"]


def test_a_clipped_table_is_caught(reports, browser):
    _, _, result = reports
    wide = "<style>section#metrics table { min-width: 1900px; }</style></head>"
    _open(browser, _doctored(result, "wide_metrics", lambda h: h.replace("</head>", wide, 1)).as_uri())
    problems = browser.evaluate(CLIPPED)
    assert problems and any("metrics" in p for p in problems), problems


def test_a_hole_in_the_regime_chart_is_caught(reports, browser):
    """The chart as the report drew it before (dates without a key as NaN) swapped into the page."""
    import numpy as np

    from pipelines.reporting import data as D
    from pipelines.reporting import plots
    from pipelines.warehouse.db import connect

    _, settings, result = reports
    with connect(settings, read_only=True) as con:
        regimes = D.load(con, ["static_60_40"]).portfolio("static_60_40").regimes
    holed = regimes.copy()
    col = [c for c in holed.columns if c != "p_risk_off"][0]
    holed.iloc[len(holed) // 3:len(holed) // 2, holed.columns.get_loc(col)] = np.nan
    chart = plots.regime_chart(holed, holed.index[0], holed.index[-1])

    def swap(html: str) -> str:
        head, rest = html.split('<section id="regimes">', 1)
        start = rest.index('<img src="') + len('<img src="')
        return head + '<section id="regimes">' + rest[:start] + chart + rest[rest.index('"', start):]

    _open(browser, _doctored(result, "holed_regimes", swap).as_uri())
    assert regime_gap(browser, "doctored_regime_chart") > 20
