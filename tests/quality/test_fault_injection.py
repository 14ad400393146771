"""Fault injection on real files: each bad batch fails at validation, is quarantined, and leaves
the curated lake, the raw lake and the DuckDB warehouse byte-for-byte unchanged."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from pipelines.ingest.run import ingest
from pipelines.quality.errors import ValidationFailed
from qhelpers import AS_OF, fingerprint, warehouse_tables


def drop(settings, prices: pd.DataFrame | None, macro: pd.DataFrame | None, fmt: str = "parquet") -> None:
    inbox = settings.data_root / "inbox"
    for name, df in (("prices", prices), ("macro", macro)):
        if df is None:
            continue
        if fmt == "csv":
            out = df.copy()
            for c in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[c]):
                    out[c] = out[c].dt.strftime("%Y-%m-%d")
            out.to_csv(inbox / f"{name}.csv", index=False)
        else:
            df.to_parquet(inbox / f"{name}.parquet", index=False)


def on(df: pd.DataFrame, symbol: str, date: dt.date = AS_OF) -> pd.Series:
    return (df["symbol"] == symbol) & (df["date"] == pd.Timestamp(date))


def expect_rejected(settings, *needles: str, since: dt.date | None = None) -> ValidationFailed:
    """Run the ingest, assert it fails naming every needle, and that nothing good changed."""
    before_files = fingerprint(settings.data_root)
    before_tables = warehouse_tables(settings.data_root)
    with pytest.raises(ValidationFailed) as info:
        ingest(settings, AS_OF, since=since)
    message = str(info.value)
    for needle in needles:
        assert needle in message, f"{needle!r} not in:\n{message}"
    assert fingerprint(settings.data_root) == before_files
    assert warehouse_tables(settings.data_root) == before_tables
    q = info.value.quarantine
    assert q is not None and (q / "reason.txt").read_text().strip() == message.split("\nreport:")[0]
    reason = json.loads((q / "reason.json").read_text())
    assert reason["errors"], reason
    assert any(q.rglob("prices*")), list(q.iterdir())
    assert not list((settings.data_root / "inbox").iterdir()), "rejected files leave the inbox"
    assert not (settings.raw_dir / "source=files").exists(), "no raw batch for a rejected date"
    staged = list((settings.data_root / "quality" / "staged").glob("*.parquet"))
    results = pd.concat([pd.read_parquet(p) for p in staged])
    assert (~results["success"] & (results["severity"] == "error")).any()
    report = Path(message.split("\nreport: ")[1])
    assert "rejected" in report.read_text() and "http" not in report.read_text().split("Data Docs")[0]
    return info.value


def test_clean_batch_passes(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices, macro)
    curated_before = fingerprint(files_settings.data_root)
    summary = ingest(files_settings, AS_OF)
    assert summary.validation["status"] == "passed" and summary.validation["errors"] == 0
    assert summary.prices_on_as_of == len(files_settings.universe.symbols)
    assert fingerprint(files_settings.data_root) != curated_before  # curated and raw moved on
    assert (files_settings.raw_dir / "source=files" / "dataset=prices"
            / f"ingest_date={AS_OF}" / "data.parquet").exists()
    assert not any((files_settings.data_root / "lake" / "incoming").glob("*/*"))


def test_nan_price(files_settings, clean_batch):
    prices, macro = clean_batch
    prices = prices.assign(close=prices["close"].mask(on(prices, "AAPL")))
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "prices.parquet", "'close'", "expect_column_values_to_not_be_null",
                    '"symbol": "AAPL"', str(AS_OF))


def test_negative_price(files_settings, clean_batch):
    prices, macro = clean_batch
    prices = prices.assign(close=prices["close"].where(~on(prices, "MSFT"), -prices["close"]))
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "prices strictly positive", "expect_column_values_to_be_between",
                    "'close'", '"symbol": "MSFT"')


def test_duplicate_rows(files_settings, clean_batch):
    prices, macro = clean_batch
    prices = pd.concat([prices, prices[on(prices, "KO")]], ignore_index=True)
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "one row per (date, symbol)", "expect_compound_columns_to_be_unique",
                    "'date,symbol'", '"symbol": "KO"')


def test_ten_x_jump(files_settings, clean_batch):
    prices, macro = clean_batch
    prices = prices.assign(close=prices["close"].where(~on(prices, "JNJ"), prices["close"] * 10))
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "daily move within the error bound", "curated_prices",
                    "abs_log_return", '"symbol": "JNJ"', str(AS_OF))


def test_stale_series(files_settings, clean_batch):
    prices, macro = clean_batch
    since = AS_OF - dt.timedelta(days=25)
    mask = (prices["symbol"] == "PG") & (prices["date"] > pd.Timestamp(since))
    frozen = prices.loc[mask, "close"].iloc[0]
    prices = prices.assign(close=prices["close"].where(~mask, frozen))
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "series not stale", "run_length", '"symbol": "PG"', since=since)


def test_missing_asset(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices[prices["symbol"] != "XOM"], macro)
    expect_rejected(files_settings, "every asset of the universe present",
                    "expect_column_distinct_values_to_contain_set", '"missing": "XOM"')


def test_asset_missing_on_one_day(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices[~on(prices, "WMT")], macro)
    expect_rejected(files_settings, "every started symbol present on every date", str(AS_OF),
                    '"symbols_missing": "WMT"')


def test_missing_column(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices.drop(columns="close"), macro)
    expect_rejected(files_settings, "column 'close' is present", "expect_column_to_exist", "prices.parquet")


def test_wrong_dtype(files_settings, clean_batch):
    prices, macro = clean_batch
    prices = prices.assign(close=prices["close"].map(lambda x: f"{x:.2f} USD"))
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "column 'close' has type float64",
                    "expect_column_values_to_be_in_type_list", "USD")


def test_wrong_dtype_csv(files_settings, clean_batch):
    prices, macro = clean_batch
    prices = prices.astype({"close": object})
    prices.loc[on(prices, "GE"), "close"] = "12,5"
    drop(files_settings, prices, macro, fmt="csv")
    expect_rejected(files_settings, "prices.csv", "column 'close' has type float64")


def test_empty_file(files_settings, clean_batch):
    _, macro = clean_batch
    drop(files_settings, None, macro)
    (files_settings.data_root / "inbox" / "prices.parquet").write_bytes(b"")
    expect_rejected(files_settings, "prices.parquet: empty file (0 bytes)", "file_is_readable_table")


def test_empty_table(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices.iloc[:0], macro, fmt="csv")
    expect_rejected(files_settings, "batch has at least 1 rows", "expect_table_row_count_to_be_between")


def test_truncated_parquet(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices, macro)
    path = files_settings.data_root / "inbox" / "prices.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    expect_rejected(files_settings, "prices.parquet: unreadable Parquet")


def test_duplicate_csv_headers(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, None, macro)
    text = prices.assign(close2=prices["close"]).rename(columns={"close2": "close"})
    text["date"] = text["date"].dt.strftime("%Y-%m-%d")
    text.to_csv(files_settings.data_root / "inbox" / "prices.csv", index=False)
    expect_rejected(files_settings, "prices.csv: duplicate column headers ['close']")


def test_unparseable_csv_dates(files_settings, clean_batch):
    prices, macro = clean_batch
    out = prices.copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    out.loc[3, "date"] = "yesterday"
    out.to_csv(files_settings.data_root / "inbox" / "prices.csv", index=False)
    drop(files_settings, None, macro)
    expect_rejected(files_settings, "prices.csv: column 'date': not a date", "yesterday")


def test_macro_released_before_observed(files_settings, clean_batch):
    prices, macro = clean_batch
    macro = macro.copy()
    row = macro.index[(macro["series"] == "DGS10") & (macro["release_date"] == pd.Timestamp(AS_OF))][0]
    macro.loc[row, "obs_date"] = pd.Timestamp(AS_OF) + pd.Timedelta(days=3)
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "release date not before observation date", "macro.parquet",
                    "'release_lag_days'", '"series": "DGS10"')


def test_macro_out_of_range(files_settings, clean_batch):
    prices, macro = clean_batch
    macro = macro.assign(value=macro["value"].where(macro["series"] != "DGS2", 2.5))  # percent, not decimal
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "below the series' plausible maximum", '"series": "DGS2"')


def test_warning_is_recorded_and_does_not_stop(files_settings, clean_batch):
    from pipelines.quality.results import record_pending

    prices, macro = clean_batch
    prices = prices.assign(close=prices["close"].where(~on(prices, "PEP"), prices["close"] * 1.25))
    drop(files_settings, prices, macro)
    summary = ingest(files_settings, AS_OF)
    assert summary.validation["status"] == "passed"
    assert "curated_prices: daily move within the warning bound" in summary.validation["warning_checks"]
    assert record_pending(files_settings) > 0
    rows = warehouse_tables(files_settings.data_root)["validation_results"]
    import duckdb

    con = duckdb.connect(str(files_settings.warehouse_path), read_only=True)
    try:
        warn = con.execute(
            "SELECT severity, check_name, unexpected_count, unexpected_sample FROM validation_results "
            "WHERE run_id = ? AND NOT success", [summary.validation["run_id"]]).fetchall()
    finally:
        con.close()
    assert len(rows) >= 40
    assert [(w[0], w[1], w[2]) for w in warn] == [("warning", "daily move within the warning bound", 1)]
    assert "PEP" in warn[0][3]


# --------------------------------------------------------------------------- hostile batches (issue 16)


@pytest.mark.parametrize("value, needle", [
    (float("inf"), "prices finite"),
    (0.0, "prices strictly positive"),
    (-0.0, "prices strictly positive"),
])
def test_non_finite_and_zero_prices(files_settings, clean_batch, value, needle):
    prices, macro = clean_batch
    prices = prices.assign(close=prices["close"].where(~on(prices, "AAPL"), value))
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, needle, "'close'", '"symbol": "AAPL"')


def test_duplicate_date_with_another_close(files_settings, clean_batch):
    prices, macro = clean_batch
    again = prices[on(prices, "HD")].assign(close=lambda d: d["close"] * 1.01)
    drop(files_settings, pd.concat([prices, again], ignore_index=True), macro)
    expect_rejected(files_settings, "one row per (date, symbol)", '"symbol": "HD"', str(AS_OF))


def test_weekend_date(files_settings, clean_batch):
    prices, macro = clean_batch
    saturday = pd.Timestamp("2016-06-25")  # inside the ingest window
    weekend = prices[prices["date"] == pd.Timestamp("2016-06-24")].assign(date=saturday)
    batch = pd.concat([prices, weekend], ignore_index=True).sort_values(["date", "symbol"], ignore_index=True)
    drop(files_settings, batch, macro)
    expect_rejected(files_settings, "dates are weekdays", "'weekday'", str(saturday.date()))


def test_unknown_symbol_is_an_error_and_named(files_settings, clean_batch):
    prices, macro = clean_batch
    stray = prices[on(prices, "KO")].assign(symbol="ZZZ")
    drop(files_settings, pd.concat([prices, stray], ignore_index=True), macro)
    expect_rejected(files_settings, "no symbol outside the universe", "ZZZ")


def test_a_stray_symbol_already_in_history_does_not_block_later_days(files_settings, clean_batch):
    """A lake written before unknown symbols were errors may hold one; completeness is judged
    on the universe, so the next good batch still passes."""
    from pipelines import lake

    prices, macro = clean_batch
    history = prices[prices["date"] < pd.Timestamp(AS_OF)]
    lake.upsert_curated(files_settings, lake.PRICES, history[history["symbol"] == "KO"].assign(symbol="ZZZ"))
    drop(files_settings, prices, macro)
    assert ingest(files_settings, AS_OF).validation["status"] == "passed"


def test_unknown_series_is_an_error_and_named(files_settings, clean_batch):
    prices, macro = clean_batch
    stray = macro[macro["series"] == "DGS10"].assign(series="NOSUCH")
    drop(files_settings, prices, pd.concat([macro, stray], ignore_index=True))
    expect_rejected(files_settings, "no series outside the universe", "NOSUCH")


@pytest.mark.parametrize("column, value", [
    ("series", "x/../../../../../../outside"),
    ("symbol", "../../../../outside"),
])
def test_a_path_in_an_identifier_writes_nothing_anywhere(files_settings, clean_batch, tmp_path, column, value):
    prices, macro = clean_batch
    if column == "series":
        macro = pd.concat([macro, macro.iloc[:3].assign(series=value)], ignore_index=True)
    else:
        prices = pd.concat([prices, prices[on(prices, "KO")].assign(symbol=value)], ignore_index=True)
    drop(files_settings, prices, macro)
    outside = {p for p in tmp_path.parent.rglob("*outside*")}
    expect_rejected(files_settings, "outside the universe", value)
    assert {p for p in tmp_path.parent.rglob("*outside*")} == outside == set()


def test_a_path_in_an_identifier_is_refused_by_the_lake_itself(files_settings, clean_batch, tmp_path):
    """Defence in depth: even an ungated write cannot turn a series into a path."""
    from pipelines import lake
    from pipelines.identifiers import InvalidIdentifier

    _, macro = clean_batch
    before = fingerprint(files_settings.data_root)
    with pytest.raises(InvalidIdentifier, match="invalid series"):
        lake.upsert_curated(files_settings, lake.MACRO, macro.assign(series="x/../../../../outside"))
    assert fingerprint(files_settings.data_root) == before
    assert not list(tmp_path.parent.rglob("*outside*"))


def test_macro_file_in_the_price_inbox(files_settings, clean_batch):
    _, macro = clean_batch
    drop(files_settings, macro, macro)  # prices.parquet holds macro columns
    expect_rejected(files_settings, "column 'date' is present", "column 'symbol' is present", "prices.parquet")


def test_macro_shaped_file_beside_a_good_price_file(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices, macro)
    macro.to_parquet(files_settings.data_root / "inbox" / "prices_extra.parquet", index=False)
    expect_rejected(files_settings, "no missing symbol", "prices_extra.parquet")


def test_curated_writes_keep_the_partition_schema(files_settings, clean_batch):
    from pipelines import lake

    _, macro = clean_batch
    before = fingerprint(files_settings.data_root)
    with pytest.raises(ValueError, match="missing columns"):
        lake.upsert_curated(files_settings, lake.PRICES, macro)
    assert fingerprint(files_settings.data_root) == before
    for path in (files_settings.curated_dir / "prices").glob("year=*/data.parquet"):
        assert pq_schema(path).equals(lake.PRICES.schema)


def pq_schema(path: Path):
    import pyarrow.parquet as pq

    return pq.read_schema(path)


# --------------------------------------------------------------------------- altered curated history


def _partition(settings, year: int = 2016) -> Path:
    return settings.curated_dir / "prices" / f"year={year}" / "data.parquet"


def _rewrite(path: Path, change) -> None:
    """Change a curated file the way a hand edit would: still valid Parquet, same schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    pq.write_table(pa.Table.from_pandas(change(table.to_pandas()), schema=table.schema, preserve_index=False), path)


def _spx_times_ten(df: pd.DataFrame) -> pd.DataFrame:
    hit = (df["symbol"] == "SPX") & (pd.to_datetime(df["date"]) == pd.Timestamp("2016-06-24"))
    return df.assign(close=df["close"].where(~hit, df["close"] * 10))


def _five_days_deleted(df: pd.DataFrame) -> pd.DataFrame:
    days = sorted(pd.to_datetime(df["date"]).unique())[100:105]
    return df[~pd.to_datetime(df["date"]).isin(days)]



@pytest.mark.parametrize("alter", ["times_ten_next_to_the_batch", "five_days_deleted", "partition_deleted",
                                   "macro_schema_written_over_prices"])
def test_altered_history_is_named_and_the_good_batch_is_left_alone(files_settings, clean_batch, alter):
    """The new batch is good; the stored history was changed outside the pipeline. The gate
    names the history as suspect, quarantines nothing, and the user's files stay in the inbox."""
    from pipelines.quality.errors import HistorySuspect

    prices, macro = clean_batch
    drop(files_settings, prices, macro)
    path = _partition(files_settings)
    if alter == "times_ten_next_to_the_batch":
        _rewrite(path, _spx_times_ten)
    elif alter == "five_days_deleted":
        _rewrite(path, _five_days_deleted)
    elif alter == "partition_deleted":
        _partition(files_settings, 2015).unlink()
    else:
        macro.to_parquet(path, index=False)
    inbox = sorted(p.name for p in (files_settings.data_root / "inbox").iterdir())
    before = fingerprint(files_settings.data_root)
    with pytest.raises(HistorySuspect) as info:
        ingest(files_settings, AS_OF)
    message = str(info.value)
    assert "history is suspect, not the new batch" in message
    assert "year=2015" in message if alter == "partition_deleted" else str(path) in message
    assert fingerprint(files_settings.data_root) == before
    assert sorted(p.name for p in (files_settings.data_root / "inbox").iterdir()) == inbox
    assert not files_settings.quarantine_dir.exists() or not any(files_settings.quarantine_dir.rglob("reason.txt"))
    assert not any((files_settings.data_root / "lake" / "incoming").glob("*/*"))


def test_lake_verify_names_the_altered_partition_and_passes_once_restored(files_settings, use_home, capsys):
    from pipelines.cli import main

    use_home(files_settings.data_root, files_settings.config_dir)
    path = _partition(files_settings)
    original = path.read_bytes()
    assert main(["lake", "verify"]) == 0
    _rewrite(path, _spx_times_ten)
    assert main(["lake", "verify"]) == 1
    out = capsys.readouterr().out
    assert "changed outside the pipeline" in out and "year=2016" in out and "macro: OK" in out
    path.write_bytes(original)
    assert main(["lake", "verify"]) == 0


def test_altered_history_stops_the_readers_too(files_settings):
    from pipelines import lake

    _rewrite(_partition(files_settings), _spx_times_ten)
    with pytest.raises(lake.CuratedIntegrityError, match="year=2016"):
        lake.read_prices_wide(files_settings, AS_OF)
    with pytest.raises(lake.CuratedIntegrityError, match="year=2016"):
        lake.read_price_window(files_settings, AS_OF, ["SPX"], AS_OF, 20)


def test_a_lake_without_manifest_is_refused_until_adopted(files_settings, use_home):
    from pipelines import lake
    from pipelines.cli import main

    use_home(files_settings.data_root, files_settings.config_dir)
    (files_settings.curated_dir / "prices" / "_manifest.json").unlink()
    with pytest.raises(lake.CuratedIntegrityError, match="no _manifest.json; run `python -m pipelines lake adopt`"):
        lake.read_prices_wide(files_settings, AS_OF)
    assert main(["lake", "adopt"]) == 0
    assert lake.read_prices_wide(files_settings, AS_OF).shape[0] > 0
