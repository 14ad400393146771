"""The source interface and the registry of sources selectable by configuration."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import pandas as pd

from pipelines.config import Universe

PRICE_COLUMNS = ["date", "symbol", "close"]
MACRO_COLUMNS = ["series", "obs_date", "release_date", "value"]


class Source(Protocol):
    """Serves data as it was known: prices by trading date, macro rows by release date."""

    name: str

    def prices(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        """Rows (date, symbol, close) with start < date <= end (start None: from the beginning)."""

    def macro(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        """Rows (series, obs_date, release_date, value) with start < release_date <= end."""


def get_source(name: str) -> Source:
    if name == "bundled":
        from pipelines.ingest.bundled import BundledSource

        return BundledSource()
    raise ValueError(f"unknown data source {name!r}; set DAA_SOURCE to one of: bundled")
