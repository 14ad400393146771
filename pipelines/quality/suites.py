"""The expectation suites, defined in code from `config/quality.yaml` and the universe.

Four datasets are checked in three stages each:
- `*_schema`: columns present, dtypes, batch not empty. A failure here stops before any content
  check (those would only fail again on the missing column).
- `raw_*`: the batch as received: keys not null and unique, prices positive, every asset present
  and no symbol or series outside the universe (they name curated partitions and would be
  expected on every later date), macro values in range, release date not before observation date.
- `curated_*`: the batch merged over recent curated history (see `derive`): daily returns within
  the asset-class bound, no stale series, trading days only, no calendar gaps, every started
  symbol of the universe present on every date (a failure names the missing symbols).

Severity: `error` (GX `critical`) stops the date; `warning` is recorded and shown.
GX is imported lazily: importing it costs seconds.
"""

from __future__ import annotations

from typing import Any

from pipelines.config import Universe
from pipelines.quality.config import QualityConfig

ERROR, WARNING = "error", "warning"
MAX_PRICE = 1e12  # above any real close; catches inf and unit blunders that are not jumps

FLOAT_TYPES = ["float64", "float32", "Float64", "int64", "Int64"]
DATE_TYPES = ["datetime64", "datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"]
STRING_TYPES = ["str", "string", "object", "StringDtype"]

PRICE_SCHEMA = {"date": DATE_TYPES, "symbol": STRING_TYPES, "close": FLOAT_TYPES}
MACRO_SCHEMA = {"series": STRING_TYPES, "obs_date": DATE_TYPES, "release_date": DATE_TYPES,
                "value": FLOAT_TYPES}

# Key columns GX reports for each unexpected row, so a failure names the rows.
INDEX_COLUMNS = {"prices": ["date", "symbol"], "macro": ["series", "obs_date", "release_date"]}


def _exp(cls_name: str, severity: str, check: str, **kwargs: Any):
    import great_expectations.expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity

    gx_sev = FailureSeverity.CRITICAL if severity == ERROR else FailureSeverity.WARNING
    return getattr(gxe, cls_name)(severity=gx_sev, meta={"severity": severity, "check": check},
                                  description=check, **kwargs)


def _schema(columns: dict[str, list[str]], min_rows: int) -> list:
    out = [_exp("ExpectColumnToExist", ERROR, f"column {c!r} is present", column=c) for c in columns]
    out += [_exp("ExpectColumnValuesToBeInTypeList", ERROR, f"column {c!r} has type {types[0]}",
                 column=c, type_list=types) for c, types in columns.items()]
    out.append(_exp("ExpectTableRowCountToBeBetween", ERROR, f"batch has at least {min_rows} rows",
                    min_value=min_rows))
    return out


def prices_schema_suite(cfg: QualityConfig) -> list:
    return _schema(PRICE_SCHEMA, cfg.prices.min_rows)


def macro_schema_suite(cfg: QualityConfig) -> list:
    return _schema(MACRO_SCHEMA, cfg.macro.min_rows)


def raw_prices_suite(cfg: QualityConfig, universe: Universe) -> list:
    symbols = sorted(universe.symbols)
    return [
        *[_exp("ExpectColumnValuesToNotBeNull", ERROR, f"no missing {c}", column=c)
          for c in ("date", "symbol", "close")],
        _exp("ExpectCompoundColumnsToBeUnique", ERROR, "one row per (date, symbol)",
             column_list=["date", "symbol"]),
        _exp("ExpectColumnValuesToBeBetween", ERROR, "prices strictly positive",
             column="close", min_value=0, strict_min=True),
        _exp("ExpectColumnValuesToBeBetween", ERROR, f"prices finite (at most {MAX_PRICE:.0e})",
             column="close", max_value=MAX_PRICE),
        _exp("ExpectColumnDistinctValuesToContainSet", ERROR, "every asset of the universe present",
             column="symbol", value_set=symbols),
        _exp("ExpectColumnValuesToBeInSet", ERROR, "no symbol outside the universe",
             column="symbol", value_set=symbols),
        _exp("ExpectColumnValuesToBeBetween", ERROR, "dates strictly increasing per symbol",
             column="date_step_days", min_value=0, strict_min=True),
    ]


def curated_prices_suite(cfg: QualityConfig) -> list:
    gap = cfg.prices.max_business_day_gap
    return [
        _exp("ExpectColumnPairValuesAToBeGreaterThanB", ERROR, "daily move within the error bound",
             column_A="error_abs_log_return", column_B="abs_log_return", or_equal=True,
             ignore_row_if="either_value_is_missing"),
        _exp("ExpectColumnPairValuesAToBeGreaterThanB", WARNING, "daily move within the warning bound",
             column_A="warn_abs_log_return", column_B="abs_log_return", or_equal=True,
             ignore_row_if="either_value_is_missing"),
        _exp("ExpectColumnPairValuesAToBeGreaterThanB", ERROR, "series not stale",
             column_A="stale_after", column_B="run_length", or_equal=False,
             ignore_row_if="either_value_is_missing"),
        _exp("ExpectColumnValuesToBeBetween", ERROR, "dates are weekdays",
             column="weekday", min_value=0, max_value=4),
        _exp("ExpectColumnValuesToBeBetween", ERROR, f"no gap over {gap} business days",
             column="business_day_gap", min_value=1, max_value=gap),
        _exp("ExpectColumnValuesToBeInSet", ERROR, "every started symbol present on every date",
             column="symbols_missing", value_set=[""]),
        _exp("ExpectCompoundColumnsToBeUnique", ERROR, "one row per (date, symbol) after merge",
             column_list=["date", "symbol"]),
    ]


def raw_macro_suite(cfg: QualityConfig, universe: Universe) -> list:
    series = sorted(m.series for m in universe.macro_series)
    return [
        *[_exp("ExpectColumnValuesToNotBeNull", ERROR, f"no missing {c}", column=c)
          for c in ("series", "obs_date", "release_date", "value")],
        _exp("ExpectCompoundColumnsToBeUnique", ERROR, "one row per (series, obs_date, release_date)",
             column_list=["series", "obs_date", "release_date"]),
        _exp("ExpectColumnValuesToBeBetween", ERROR, "release date not before observation date",
             column="release_lag_days", min_value=0),
        _exp("ExpectColumnPairValuesAToBeGreaterThanB", ERROR, "value above the series' plausible minimum",
             column_A="value", column_B="range_min", or_equal=True, ignore_row_if="either_value_is_missing"),
        _exp("ExpectColumnPairValuesAToBeGreaterThanB", ERROR, "value below the series' plausible maximum",
             column_A="range_max", column_B="value", or_equal=True, ignore_row_if="either_value_is_missing"),
        _exp("ExpectColumnValuesToBeInSet", ERROR, "no series outside the universe",
             column="series", value_set=series),
    ]


def curated_macro_suite(cfg: QualityConfig) -> list:
    return [
        _exp("ExpectCompoundColumnsToBeUnique", ERROR, "one row per vintage after merge",
             column_list=["series", "obs_date", "release_date"]),
        _exp("ExpectColumnValuesToBeBetween", ERROR, "release date not before observation date",
             column="release_lag_days", min_value=0),
    ]
