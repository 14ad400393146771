"""Screenshots of the Airflow 3 UI after the stack test's DAG runs, taken as a person would.

Chromium opens the UI, is sent to the simple auth manager's login page, types the admin's
credentials into the form (the page then stores the JWT in the `_token` cookie the API reads),
and visits the home page, the DAG list and the portfolio_rebalance / market_data runs in the
grid and graph views. Each page is checked on its rendered text before its PNG is kept, and the
PNG itself is checked for not being blank.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from browser import Browser
from PIL import Image, ImageStat

# Text a page shows when it is not the page we asked for.
WRONG_PAGE = ("Sign in", "Unauthorized", "Forbidden", "Something went wrong", "Page Not Found",
              "Internal Server Error")


@dataclass(frozen=True)
class Shot:
    name: str
    path: Path
    text: str


def _js_has_all(words: list[str]) -> str:
    return " && ".join(f"document.body.innerText.includes({json.dumps(w)})" for w in words)


def log_in(b: Browser, api_url: str, password: str, user: str = "admin") -> None:
    """Open a protected page, get redirected to the login form, sign in, land on the DAG list."""
    b.goto(f"{api_url}/dags")
    b.wait_for("the simple auth manager's login form", "!!document.querySelector('input[name=password]')",
               timeout=60, settle=0.3)
    b.type_into("input[name=username]", user)
    b.type_into("input[name=password]", password)
    b.evaluate("document.querySelector('button[type=submit]').click()")
    b.wait_for("the DAG list after signing in", "location.pathname === '/dags' && "
               + _js_has_all(["market_data", "portfolio_rebalance"]), timeout=90, settle=0.5)


def _shot(b: Browser, out: Path, name: str, words: list[str], settle: float = 3.0) -> Shot:
    b.wait_for(f"{name} to show {words}", _js_has_all(words), timeout=90, settle=settle)
    text = b.text()
    wrong = [w for w in WRONG_PAGE if w in text]
    assert not wrong, f"{name}: page shows {wrong}: {text[:400]!r}"
    path = b.screenshot(out / f"{name}.png")
    check_not_blank(path, b.size)
    return Shot(name, path, text)


def _view(b: Browser, view: str) -> None:
    """The DAG page's grid/graph choice is a per-browser setting in localStorage."""
    b.evaluate(f"localStorage.setItem('default_dag_view', {json.dumps(json.dumps(view))})")


def capture_ui(api_url: str, password: str, runs: dict[str, str], out: Path, profile: Path,
               log: Path) -> list[Shot]:
    """`runs` maps dag_id -> dag_run_id of the successful runs to show."""
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Shot] = []
    with Browser(profile, log) as b:
        log_in(b, api_url, password)
        shots.append(_shot(b, out, "ui_dags", ["market_data", "portfolio_rebalance", "curated_market_data"]))
        b.goto(f"{api_url}/")
        shots.append(_shot(b, out, "ui_home", ["Health", "Scheduler", "Dag Processor", "curated_market_data"]))
        rebalance = f"{api_url}/dags/portfolio_rebalance/runs/{quote(runs['portfolio_rebalance'], safe='')}"
        _view(b, "grid")
        b.goto(rebalance)
        shots.append(_shot(b, out, "ui_portfolio_rebalance_grid",
                           ["portfolio_rebalance", "allocate", "static_60_40", "equal_weight_stocks",
                            "Success"]))
        _view(b, "graph")
        b.goto(rebalance)
        # the DAG is flat (the mapped allocate task shows its count): nothing to expand
        shots.append(_shot(b, out, "ui_portfolio_rebalance_graph",
                           ["resolve_date", "list_portfolios", "allocate", "load", "report", "success"]))
        _view(b, "grid")
        b.goto(f"{api_url}/dags/market_data/runs/{quote(runs['market_data'], safe='')}")
        shots.append(_shot(b, out, "ui_market_data_grid", ["market_data", "Success"]))
    return shots


def check_not_blank(path: Path, size: tuple[int, int]) -> None:
    img = Image.open(path).convert("RGB")
    assert img.size == size, f"{path.name}: size {img.size}, expected {size}"
    stat = ImageStat.Stat(img)
    assert max(stat.stddev) > 15, f"{path.name} looks blank (pixel stddev {stat.stddev})"
    colors = img.getcolors(maxcolors=1 << 24)
    assert colors is not None and len(colors) > 100, f"{path.name}: too few colours, nothing rendered"
    # The Airflow navigation bar on the left is drawn in every authenticated page.
    nav = ImageStat.Stat(img.crop((0, 0, 60, size[1]))).stddev
    assert max(nav) > 5, f"{path.name}: the navigation bar is missing"
