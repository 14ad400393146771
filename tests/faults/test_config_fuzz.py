"""Config fuzzing: wrong types, NaN, inf, huge numbers, negative capital, unknown keys, a YAML
anchor bomb, deep nesting, empty, binary and non-UTF-8 files, impossible dates. Each one is a
clear `error:` line naming the file (exit 2), never a traceback; the shipped config still loads.

(`tests/test_config.py` and `tests/test_identifiers.py` cover bad portfolio fields, duplicate ids
and identifier patterns; this file fuzzes every configuration file through the CLI.)"""

from __future__ import annotations

import pytest

from pipelines.cli import main
from support import TEST_PORTFOLIOS, make_config_dir

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, n in zip("abcdefgh", "bcdefghi", strict=True))


def portfolios(old: str, new: str) -> tuple[str, str]:
    assert old in TEST_PORTFOLIOS
    return "portfolios.yaml", TEST_PORTFOLIOS.replace(old, new, 1)


def edit(name: str, old: str, new: str) -> tuple[str, str]:
    from support import REPO

    text = (REPO / "config" / name).read_text()
    assert old in text, (name, old)
    return name, text.replace(old, new, 1)


CASES = {
    "capital inf": (portfolios("initial_capital: 1000000", "initial_capital: .inf"), "initial_capital"),
    "capital nan": (portfolios("initial_capital: 1000000", "initial_capital: .nan"), "initial_capital"),
    "capital huge": (portfolios("initial_capital: 1000000", "initial_capital: 1e308"), "initial_capital"),
    "capital negative": (portfolios("initial_capital: 1000000", "initial_capital: -1000000"), "initial_capital"),
    "capital zero": (portfolios("initial_capital: 1000000", "initial_capital: 0"), "initial_capital"),
    "capital a string": (portfolios("initial_capital: 1000000", "initial_capital: lots"), "initial_capital"),
    "capital a list": (portfolios("initial_capital: 1000000", "initial_capital: [1, 2]"), "initial_capital"),
    "commission inf": (portfolios("commission_bps: 1.0", "commission_bps: .inf"), "commission_bps"),
    "commission nan": (portfolios("commission_bps: 1.0", "commission_bps: .nan"), "commission_bps"),
    "min commission inf": (portfolios("commission_bps: 1.0", "commission_bps: 1.0, min_commission: .inf"),
                           "min_commission"),
    "spread inf": (portfolios("equity: 1.0,", "equity: .inf,"), "half_spread_bps"),
    "spread negative": (portfolios("equity: 1.0,", "equity: -1.0,"), "half_spread_bps"),
    "weight nan": (portfolios("SPX: 0.6, UST10Y: 0.4", "SPX: .nan, UST10Y: 0.4"), "weights"),
    "weight inf": (portfolios("SPX: 0.6, UST10Y: 0.4", "SPX: .inf, UST10Y: 0.4"), "weights"),
    "weight huge": (portfolios("SPX: 0.6, UST10Y: 0.4", "SPX: 1e308, UST10Y: 0.4"), "weights"),
    "weight a string": (portfolios("SPX: 0.6, UST10Y: 0.4", "SPX: sixty, UST10Y: 0.4"), "weights"),
    "unknown key": (portfolios("  initial_capital: 1000000", "  initial_capitol: 1000000"), "initial_capitol"),
    "unknown portfolio key": (portfolios("    benchmark: SPX\n", "    benchmark: SPX\n    colour: red\n"), "colour"),
    "portfolios not a list": (("portfolios.yaml", "portfolios: 12\n"), "portfolios"),
    "inception 2017-02-30": (portfolios("inception: 2014-01-02", "inception: 2017-02-30"), "2017-02-30"),
    "inception 1800": (portfolios("inception: 2014-01-02", "inception: 1800-01-01"), "1800-01-01"),
    "inception far future": (portfolios("inception: 2014-01-02", "inception: 9999-12-31"), "9999-12-31"),
    "inception not a date": (portfolios("inception: 2014-01-02", "inception: soon"), "inception"),
    "id with a path": (portfolios("id: static_60_40", "id: ../../outside"), "../../outside"),
    "leverage inf": (portfolios("    benchmark: SPX\n", "    benchmark: SPX\n    max_leverage: .inf\n"),
                     "max_leverage"),
    "quality threshold inf": (edit("quality.yaml", "error_abs_log_return: 1.00", "error_abs_log_return: .inf"),
                              "error_abs_log_return"),
    "quality threshold nan": (edit("quality.yaml", "error_abs_log_return: 1.00", "error_abs_log_return: .nan"),
                              "error_abs_log_return"),
    "quality threshold negative": (edit("quality.yaml", "error_abs_log_return: 1.00",
                                        "error_abs_log_return: -1"), "error_abs_log_return"),
    "quality history huge": (edit("quality.yaml", "history_days: 40", "history_days: 1e308"), "history_days"),
    "quality unknown key": (edit("quality.yaml", "history_days: 40", "history_days: 40\n  histroy: 1"), "histroy"),
    "evidence level nan": (edit("evidence.yaml", "level: 0.95", "level: .nan"), "level"),
    "evidence reps huge": (edit("evidence.yaml", "bootstrap_reps: 1000", "bootstrap_reps: 1e308"),
                           "bootstrap_reps"),
    "accounts tolerance inf": (edit("accounts.yaml", "drift_tolerance: 0.03", "drift_tolerance: .inf"),
                               "drift_tolerance"),
    "accounts shard negative": (edit("accounts.yaml", "shard_size: 10000", "shard_size: -5"), "shard_size"),
    "universe cash symbol path": (edit("universe.yaml", "cash_symbol: CASH", "cash_symbol: ../CASH"), "cash_symbol"),
    "anchor bomb": (("portfolios.yaml", BOMB), "portfolios.yaml"),
    "deep nesting": (("portfolios.yaml", "portfolios: " + "[" * 5000 + "]" * 5000 + "\n"), "portfolios.yaml"),
    "deep mapping nesting": (("quality.yaml", "prices: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"), "quality.yaml"),
    "empty portfolios": (("portfolios.yaml", ""), "portfolios.yaml"),
    "binary portfolios": (("portfolios.yaml", bytes(range(256)) * 4), "portfolios.yaml"),
    "binary universe": (("universe.yaml", b"\x89PNG\r\n\x1a\n\x00\x00"), "universe.yaml"),
    "not utf-8": (("quality.yaml", "prices:\n  history_days: 40 # caf\xe9\n".encode("latin-1")), "quality.yaml"),
    "a YAML tag": (("portfolios.yaml", "portfolios: !!python/object/apply:os.system ['true']\n"),
                   "portfolios.yaml"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_config_is_one_clear_line(tmp_path, monkeypatch, capsys, case):
    (name, text), needle = CASES[case]
    config = make_config_dir(tmp_path / "config")
    path = config / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    monkeypatch.setenv("DAA_CONFIG_DIR", str(config))
    monkeypatch.setenv("DAA_HOME", str(tmp_path / "home"))
    assert main(["validate", "--config-only"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err, err[:2000]
    assert name in err and needle in err, err[:2000]
    assert len(err) < 4000, f"{len(err)} characters of error"


def test_the_shipped_and_test_configs_pass(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAA_CONFIG_DIR", str(make_config_dir(tmp_path / "config")))
    assert main(["validate", "--config-only"]) == 0
