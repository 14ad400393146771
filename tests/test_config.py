"""Configuration fails fast, naming the file, the portfolio and the field."""

from __future__ import annotations

import pytest

from pipelines.allocation import catalog
from pipelines.allocation.catalog import load_portfolios
from pipelines.config import ConfigError, Settings, load_universe
from support import REPO, make_config_dir


def _load(tmp_path, yaml_text):
    cfg = make_config_dir(tmp_path / "cfg", yaml_text)
    settings = Settings(data_root=tmp_path / "home", config_dir=cfg)
    return catalog.portfolios(settings)


def test_shipped_configuration_loads():
    universe = load_universe(REPO / "config" / "universe.yaml")
    portfolios = load_portfolios(REPO / "config" / "portfolios.yaml", universe)
    assert len({p.id for p in portfolios}) == len(portfolios) >= 2


@pytest.mark.parametrize("entry, expected", [
    ("{id: p1, name: x, risk_profile: moderate, strategy: no_such}",
     "portfolio 'p1': field 'strategy': unknown strategy 'no_such'"),
    ("{id: p2, name: x, risk_profile: moderate, strategy: static_mix, params: {weights: {SPX: 0.7}}}",
     "portfolio 'p2': field 'params.weights'"),
    ("{id: p3, name: x, risk_profile: moderate, strategy: static_mix, params: {weights: {SPX: 1.0}, typo: 1}}",
     "portfolio 'p3': field 'params.typo'"),
    ("{id: p4, name: x, risk_profile: reckless, strategy: equal_weight}",
     "portfolio 'p4': field 'risk_profile'"),
    ("{id: p5, name: x, risk_profile: moderate, strategy: equal_weight, universe: [SPX, NOPE]}",
     "portfolio 'p5': field 'universe': unknown symbols ['NOPE']"),
    ("{id: p6, name: x, risk_profile: moderate, strategy: equal_weight, initial_capital: -5}",
     "portfolio 'p6': field 'initial_capital'"),
    ("{id: p7, name: x, risk_profile: moderate, strategy: equal_weight, benchmark: NOPE}",
     "portfolio 'p7': field 'benchmark'"),
    ("{id: p8, name: x, risk_profile: moderate, strategy: regime_switching, params: {risk_on: {SPX: 1.0}, "
     "risk_off: {CASH: 1.0}, model: viterbi}}",
     "portfolio 'p8': field 'params.model'"),
])
def test_bad_portfolio_names_portfolio_and_field(tmp_path, entry, expected):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, f"portfolios:\n  - {entry}\n")
    assert expected in str(err.value)
    assert "portfolios.yaml" in str(err.value)


def test_duplicate_ids_are_refused(tmp_path):
    entry = "{id: dup, name: x, risk_profile: moderate, strategy: equal_weight, universe: [SPX]}"
    with pytest.raises(ConfigError, match="portfolio 'dup': field 'id': duplicate"):
        _load(tmp_path, f"portfolios:\n  - {entry}\n  - {entry}\n")


def test_bad_universe_names_the_field(tmp_path):
    path = tmp_path / "universe.yaml"
    text = (REPO / "config" / "universe.yaml").read_text()
    path.write_text(text.replace("asset_class: commodity", "asset_class: crypto"))
    with pytest.raises(ConfigError, match=r"universe.yaml: field 'assets\.\d+\.asset_class'"):
        load_universe(path)


def test_each_regime_portfolio_selects_its_regime_model(tmp_path):
    from pipelines.modeling.training import causal_kinds

    entry = ("{{id: {id}, name: x, risk_profile: moderate, strategy: regime_switching, inception: {inc}, "
             "params: {{risk_on: {{SPX: 1.0}}, risk_off: {{CASH: 1.0}}{model}}}}}")
    text = "portfolios:\n" + "".join(f"  - {entry.format(id=i, inc=inc, model=m)}\n" for i, inc, m in (
        ("a", "2001-01-02", ", model: jump"), ("b", "1995-01-03", ", model: jump"),
        ("c", "2003-01-02", ", model: hmm"), ("d", "1990-01-02", "")))
    portfolios = _load(tmp_path, text)
    assert [p.params.model for p in portfolios] == ["jump", "jump", "hmm", "classifier"]
    settings = Settings(data_root=tmp_path / "home", config_dir=tmp_path / "cfg")
    assert {k: str(v) for k, v in causal_kinds(settings).items()} == {"jump": "1995-01-03", "hmm": "2003-01-02"}
