"""Checksums of the curated lake: a manifest per dataset, written with every curated write and
checked on every read, so a partition changed, truncated or deleted outside the pipeline is
named instead of read.

`<dataset>/_manifest.json` maps each partition (`year=2016`, `series=DGS10`) to the sha256,
byte size and row count of its `data.parquet`, and records the dataset's schema. A write goes:

    1. new partition files written to temp names and hashed
    2. `_manifest.pending.json`: the new entries (the journal), renamed into place
    3. each temp file renamed over its partition
    4. `_manifest.json` rewritten with the new entries (renamed into place), journal removed

A kill between 2 and 4 leaves each partition either as it was (the committed entry) or as it
was about to become (the pending entry); both verify, and the next write settles the journal.
Anything else (an edited, truncated or deleted partition, or a file no manifest knows) raises
`CuratedIntegrityError` naming the partition, what the manifest expected and what is there.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

MANIFEST = "_manifest.json"
JOURNAL = "_manifest.pending.json"
DATA = "data.parquet"


class CuratedIntegrityError(RuntimeError):
    """A curated partition does not match its manifest: the stored history is suspect."""

    def __init__(self, message: str, partitions: list[str]):
        super().__init__(message)
        self.partitions = partitions


@dataclass(frozen=True)
class Entry:
    sha256: str
    bytes: int
    rows: int


@dataclass
class Manifest:
    """The committed entries of one dataset, the journal of an unfinished write, its schema."""

    root: Path
    schema: str | None = None
    committed: dict[str, Entry] = field(default_factory=dict)
    pending: dict[str, Entry] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return (self.root / MANIFEST).exists()

    def expected(self, partition: str) -> list[Entry]:
        return [e for e in (self.committed.get(partition), self.pending.get(partition)) if e is not None]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _entries(raw: dict) -> dict[str, Entry]:
    return {k: Entry(**v) for k, v in raw.items()}


def load(root: Path) -> Manifest:
    """The dataset's manifest (empty when the dataset has never been written)."""
    out = Manifest(root)
    for name, attr in ((MANIFEST, "committed"), (JOURNAL, "pending")):
        path = root / name
        if not path.exists():
            continue
        try:
            raw = json.loads(path.read_text())
            setattr(out, attr, _entries(raw["partitions"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise CuratedIntegrityError(f"{path}: unreadable manifest ({exc}); the curated history "
                                        "cannot be verified", [name]) from None
        if attr == "committed":
            out.schema = raw.get("schema")
    return out


def _write_json(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w") as fh:
        json.dump(payload, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_journal(manifest: Manifest, entries: dict[str, Entry]) -> None:
    manifest.pending = dict(entries)
    _write_json(manifest.root / JOURNAL, {"partitions": {k: vars(v) for k, v in entries.items()}})


def commit(manifest: Manifest, entries: dict[str, Entry], schema: pa.Schema) -> None:
    """Fold `entries` into the committed manifest and drop the journal."""
    manifest.committed.update(entries)
    manifest.schema = schema.to_string(show_schema_metadata=False)
    manifest.root.mkdir(parents=True, exist_ok=True)
    _write_json(manifest.root / MANIFEST, {"schema": manifest.schema,
                                          "partitions": {k: vars(v) for k, v in sorted(manifest.committed.items())}})
    (manifest.root / JOURNAL).unlink(missing_ok=True)
    manifest.pending = {}


def settle(manifest: Manifest) -> None:
    """Finish an interrupted write: a pending entry whose file is on disk becomes committed."""
    if not manifest.pending:
        return
    done = {}
    for part, entry in manifest.pending.items():
        path = manifest.root / part / DATA
        if path.exists() and sha256(path.read_bytes()) == entry.sha256:
            done[part] = entry
    manifest.committed.update(done)
    manifest.pending = {}
    manifest.root.mkdir(parents=True, exist_ok=True)
    _write_json(manifest.root / MANIFEST, {"schema": manifest.schema,
                                          "partitions": {k: vars(v) for k, v in sorted(manifest.committed.items())}})
    (manifest.root / JOURNAL).unlink(missing_ok=True)


def verify_bytes(manifest: Manifest, partition: str, data: bytes) -> None:
    """Raise unless `data` is the partition's committed (or pending) content."""
    expected = manifest.expected(partition)
    where = manifest.root / partition / DATA
    if not expected:
        raise CuratedIntegrityError(
            f"curated history is suspect: {where} is not in {manifest.root / MANIFEST} (a file the "
            "pipeline did not write)", [partition])
    digest = sha256(data)
    if all(digest != e.sha256 for e in expected):
        e = expected[0]
        raise CuratedIntegrityError(
            f"curated history is suspect: {where} changed outside the pipeline: sha256 {digest[:16]}, "
            f"{len(data)} bytes; the manifest expects sha256 {e.sha256[:16]}, {e.bytes} bytes, {e.rows} rows",
            [partition])


def missing(manifest: Manifest, present: set[str]) -> list[str]:
    """Committed partitions whose file is gone."""
    return sorted(p for p in manifest.committed if p not in present and p not in manifest.pending)


def verify_dataset(manifest: Manifest, partitions: list[Path]) -> list[str]:
    """Every problem of the dataset as lines (empty when everything verifies)."""
    problems = []
    names = {p.parent.name for p in partitions}
    if partitions and not manifest.exists:
        problems.append(f"{manifest.root}: {len(partitions)} partitions but no {MANIFEST}")
        return problems
    for part in missing(manifest, names):
        problems.append(f"{manifest.root / part / DATA}: listed in the manifest but deleted")
    for path in partitions:
        try:
            verify_bytes(manifest, path.parent.name, path.read_bytes())
        except CuratedIntegrityError as exc:
            problems.append(str(exc).removeprefix("curated history is suspect: "))
    return problems
