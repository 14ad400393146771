"""The source interface and the registry of sources selectable by configuration.

`DAA_SOURCE` (or `Settings.source`) picks one:
- `bundled` (default): real series vendored in the repo, offline.
- `files`: Parquet/CSV files dropped in a folder (`DAA_FILES_DIR`, default `$DAA_HOME/inbox`).
- `live`: Tiingo daily prices (`TIINGO_API_TOKEN`) and FRED macro series (`FRED_API_KEY`, or the
  keyless fredgraph.csv download without one).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from pipelines.config import Universe

if TYPE_CHECKING:
    from pipelines.config import Settings

PRICE_COLUMNS = ["date", "symbol", "close"]
MACRO_COLUMNS = ["series", "obs_date", "release_date", "value"]

SOURCES = ("bundled", "files", "live")


from pipelines.quality.errors import MalformedInput  # noqa: E402,F401 - re-exported for the sources


class Source(Protocol):
    """Serves data as it was known: prices by trading date, macro rows by release date."""

    name: str

    def prices(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        """Rows (date, symbol, close) with start < date <= end (start None: from the beginning)."""

    def macro(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        """Rows (series, obs_date, release_date, value) with start < release_date <= end."""


class CompositeSource:
    """Prices from one source and macro series from another (e.g. Tiingo + FRED)."""

    def __init__(self, name: str, prices_from: Source, macro_from: Source):
        self.name = name
        self._p = prices_from
        self._m = macro_from

    def prices(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        return self._p.prices(universe, start, end)

    def macro(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        return self._m.macro(universe, start, end)


def get_source(name: str, settings: Settings | None = None) -> Source:
    """Build the source named by configuration; credentials come from the environment."""
    if name == "bundled":
        from pipelines.ingest.bundled import BundledSource

        return BundledSource()
    if name == "files":
        from pipelines.ingest.files import FilesSource

        default = settings.inbox_dir if settings is not None else Path("inbox")
        return FilesSource(Path(os.environ.get("DAA_FILES_DIR", default)))
    if name == "live":
        from pipelines.ingest.fred import FredSource
        from pipelines.ingest.tiingo import TiingoSource

        return CompositeSource("live", TiingoSource.from_env(), FredSource.from_env())
    raise ValueError(f"unknown data source {name!r}; set DAA_SOURCE to one of: {', '.join(SOURCES)}")
