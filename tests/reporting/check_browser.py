"""The reports in a real headless browser (Debian's chromium, over the DevTools protocol), run
by `make stack-test` (which installs chromium): at 1280 px nothing needs a horizontal scroll
and no table is clipped, every section of a page is there with its plots loaded, the regime
chart has no holes (the warehouse holds refits whose JSON lacks a regime), and the index
flags the survivorship bias. Screenshots go to $DAA_SCREENSHOT_DIR (default: a temp dir)."""

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
    """The test portfolios incepted in 1997, backfilled, the regime models trained, and their
    reports."""
    from pipelines.config import Settings
    from pipelines.reporting.build import write_reports
    from pipelines.runner import backfill, train

    tmp = Path(tempfile.mkdtemp(prefix="daa-browser-"))
    settings = Settings(data_root=tmp / "home", config_dir=make_config_dir(tmp / "config", PORTFOLIOS))
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
    strategy = {"static_60_40": "static_mix", "equal_weight_stocks": "equal_weight"}[pid]
    for s in PORTFOLIO_SECTIONS:
        if not s.applies(SimpleNamespace(info={"strategy": strategy})):  # e.g. the neural section
            assert browser.evaluate(f"document.getElementById({s.id!r}) === null"), f"section {s.id} on {pid}"
            continue
        info = browser.evaluate(f"""(() => {{ const e = document.getElementById({s.id!r});
            if (!e) return null;
            const imgs = [...e.querySelectorAll('img')];
            return {{height: e.getBoundingClientRect().height, text: e.innerText,
                     images: imgs.length, loaded: imgs.every(i => i.complete && i.naturalWidth > 400)}}; }})()""")
        assert info is not None, f"section {s.id} missing"
        assert info["height"] > 60 and info["loaded"], (s.id, info)
        assert "yet" not in info["text"], f"section {s.id} has no data: {info['text'][:200]}"
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
    img = _shot(browser, "report_static_60_40_regime_chart", _rect(browser, "#regimes img"))
    assert white_gaps(img) <= 2, "the regime chart has a gap"
