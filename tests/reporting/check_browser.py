"""The report in a real headless browser (Debian's chromium), run by `make stack-test`:
the page renders at the expected size, is not blank, and its DOM has every section and plot.
Screenshots are kept under $DAA_SCREENSHOT_DIR (default: a temp dir) for a person to look at."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageStat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import BASE_END, make_config_dir  # noqa: E402

SECTIONS = ("equity", "drawdown", "weights", "trades", "regimes", "attribution", "metrics")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SIZE = (1400, 2000)


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "chromium not installed: apt-get install -y chromium"
    return path


def browse(url: str, tmp: Path, *mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp / 'profile'}", *mode, url],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def reports():
    from pipelines.config import Settings
    from pipelines.reporting.build import write_reports
    from pipelines.runner import backfill

    tmp = Path(tempfile.mkdtemp(prefix="daa-browser-"))
    settings = Settings(data_root=tmp / "home", config_dir=make_config_dir(tmp / "config"))
    backfill(settings, dt.date(2014, 1, 2), BASE_END, run_id="browser-backfill")
    result = write_reports(settings)
    yield tmp, result
    shutil.rmtree(tmp, ignore_errors=True)


def _screenshot(url: str, tmp: Path, name: str) -> Image.Image:
    out = Path(os.environ.get("DAA_SCREENSHOT_DIR", tmp)) / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    res = browse(url, tmp, f"--screenshot={out}", f"--window-size={SIZE[0]},{SIZE[1]}")
    assert out.exists(), res.stderr[-2000:]
    print(f"\nscreenshot: {out}")
    return Image.open(out).convert("RGB")


def _not_blank(img: Image.Image) -> None:
    assert img.size == SIZE
    stat = ImageStat.Stat(img)
    assert max(stat.stddev) > 20, f"page looks blank (pixel stddev {stat.stddev})"
    colors = img.getcolors(maxcolors=10_000_000)
    assert colors is not None and len(colors) > 200, "too few colours: plots did not render"
    # The header band is dark blue, the plots below it are mostly light with lines.
    header = ImageStat.Stat(img.crop((0, 0, SIZE[0], 40))).mean
    assert sum(header) / 3 < 100, f"header missing (mean colour {header})"


def test_portfolio_page_renders(reports):
    tmp, result = reports
    url = result.pages["static_60_40"].as_uri()
    _not_blank(_screenshot(url, tmp, "report_static_60_40"))
    dom = browse(url, tmp, "--dump-dom").stdout
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in dom, f"section {sid} missing from the rendered DOM"
    assert len(re.findall(r'<img src="data:image/png;base64,', dom)) >= 4


def test_index_page_renders_and_links_every_portfolio(reports):
    tmp, result = reports
    url = result.index.as_uri()
    img = _screenshot(url, tmp, "report_index")
    assert img.size == SIZE and max(ImageStat.Stat(img).stddev) > 20
    dom = browse(url, tmp, "--dump-dom").stdout
    assert 'id="portfolios"' in dom
    for pid in result.pages:
        assert f'href="{pid}.html"' in dom
