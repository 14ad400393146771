"""A source that reads Parquet or CSV files dropped in a folder ("drop files here").

`prices*.parquet|csv` hold (date, symbol, close); `macro*.parquet|csv` hold (series, obs_date,
release_date, value). Files are returned as read, so the quality gate judges their columns and
types; only what cannot be read as a table at all (unreadable bytes, empty file, duplicate or
missing header, unparseable dates in a CSV) raises `MalformedInput` here, naming the file.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.config import Universe
from pipelines.ingest.sources import MalformedInput

DATE_COLUMNS = {"prices": ["date"], "macro": ["obs_date", "release_date"]}
WINDOW_COLUMN = {"prices": "date", "macro": "release_date"}


def _read_csv(path: Path, dates: list[str]) -> pd.DataFrame:
    with path.open(newline="") as fh:
        header = next(csv.reader(fh), None)
    if not header or all(not h.strip() for h in header):
        raise MalformedInput(f"{path}: no header row", [path])
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise MalformedInput(f"{path}: duplicate column headers {dupes}", [path])
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise MalformedInput(f"{path}: unreadable CSV: {exc}", [path]) from exc
    for c in dates:
        if c not in df.columns:
            continue
        parsed = pd.to_datetime(df[c], format="ISO8601", errors="coerce")
        bad = df.index[parsed.isna() & df[c].notna()]
        if len(bad):
            rows = [(int(i) + 2, str(df[c].iloc[i])) for i in bad[:5]]
            raise MalformedInput(f"{path}: column {c!r}: not a date (YYYY-MM-DD) in "
                                 f"{len(bad)} rows, e.g. (line, value) {rows}", [path])
        df[c] = parsed
    return df


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, pa.ArrowException, OSError) as exc:
        raise MalformedInput(f"{path}: unreadable Parquet (truncated or not Parquet): {exc}", [path]) from exc
    names = table.column_names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise MalformedInput(f"{path}: duplicate column names {dupes}", [path])
    return table.to_pandas()


def read_table_file(path: Path, dataset: str) -> pd.DataFrame:
    """One file as a frame, or a `MalformedInput` that says what is wrong with it."""
    if path.stat().st_size == 0:
        raise MalformedInput(f"{path}: empty file (0 bytes)", [path])
    if path.suffix == ".parquet":
        return _read_parquet(path)
    if path.suffix == ".csv" or path.name.endswith(".csv.gz"):
        return _read_csv(path, DATE_COLUMNS[dataset])
    raise MalformedInput(f"{path}: unsupported file type (use .parquet or .csv)", [path])


class FilesSource:
    """Reads every `prices*` / `macro*` file in `directory`, filtered to the ingest window."""

    name = "files"

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.source_files: list[Path] = []

    def _files(self, dataset: str) -> list[Path]:
        return sorted(p for p in self.directory.glob(f"{dataset}*")
                      if p.is_file() and not p.name.startswith("."))

    def _read(self, dataset: str, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        if not self.directory.is_dir():
            raise FileNotFoundError(f"files source: folder {self.directory} does not exist (DAA_FILES_DIR)")
        files = self._files(dataset)
        # The batch is every file in the folder: a rejected batch moves out as a whole.
        batch = self._files("prices") + self._files("macro")
        self.source_files += [f for f in batch if f not in self.source_files]
        if not files:
            raise MalformedInput(f"files source: no {dataset}*.parquet or {dataset}*.csv in {self.directory}")
        frames = [read_table_file(f, dataset) for f in files]
        df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        col = WINDOW_COLUMN[dataset]
        if col in df.columns and pd.api.types.is_datetime64_any_dtype(df[col]):
            mask = df[col] <= pd.Timestamp(end)
            if start is not None:
                mask &= df[col] > pd.Timestamp(start)
            df = df[mask | df[col].isna()]  # rows without a date stay: the gate reports them
        return df.reset_index(drop=True)

    def prices(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        return self._read("prices", start, end)

    def macro(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        return self._read("macro", start, end)
