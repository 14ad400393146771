"""Atomic file writes: a reader never sees half a file, a crash leaves the previous file intact."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)


def write_parquet_atomic(table: pa.Table | pd.DataFrame, path: Path) -> Path:
    """Write to a temp file beside `path`, fsync, then rename over it."""
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def stage_parquet(table: pa.Table, path: Path) -> tuple[Path, bytes]:
    """Write `table` to a temp file beside `path` (fsynced) and return it with its bytes, so the
    caller can hash exactly what will be renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            data = fh.read()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, data


STALE_SECONDS = 24 * 3600


def remove_stale(folder: Path, keep: str | None = None, older_than: float = STALE_SECONDS) -> list[Path]:
    """Remove the sub-folders of `folder` untouched for `older_than` seconds (left by killed
    runs; a live run touches its own folder), except `keep`; return what was removed."""
    import shutil
    import time

    if not folder.is_dir():
        return []
    cutoff = time.time() - older_than
    gone = []
    for sub in folder.iterdir():
        if sub.is_dir() and sub.name != keep and sub.stat().st_mtime < cutoff:
            shutil.rmtree(sub, ignore_errors=True)
            gone.append(sub)
    if gone:
        log.info("removed %d stale folder(s) under %s", len(gone), folder)
    return gone


@contextlib.contextmanager
def file_lock(path: Path, what: str, timeout: float = 300.0) -> Iterator[None]:
    """An exclusive advisory lock on `path` (created if needed) for one writer of `what`; a
    wait is logged with what it waits for, and gives up after `timeout` seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")  # noqa: SIM115 - held for the block
    try:
        deadline = time.monotonic() + timeout
        warned = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"gave up after {timeout:.0f}s waiting for the lock on {what} "
                                       f"({path}), held by another process") from None
                if not warned:
                    log.warning("waiting for the lock on %s (%s), held by another process; up to %.0fs",
                                what, path, timeout)
                    warned = True
                time.sleep(0.1)
        yield
    finally:
        fh.close()
