"""The model registry: every trained model is a versioned artifact with its metadata.

Layout under the registry root (`$DAA_HOME/models`), <name>/<version>/: `model.joblib` (the fitted object) and
`meta.json` (training window, features, hyper-parameters, CV and out-of-sample metrics, data
snapshot, code version, training time). Files are written atomically, and a version id is a
hash of what defines the fit (name, data known-through date, training data, spec), so
re-training the same thing is a no-op and parallel writers cannot disagree. The DuckDB
`model_versions` table mirrors the metadata; the single writer loads it (pipelines.modeling).

Point-in-time rule: a prediction for date D may use only a model whose training data was
known before D (`trained_through < D`); `load` and `latest` refuse anything else.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parent.parent


class LookAheadError(ValueError):
    """A model trained on data not yet known at the prediction date was requested."""


class NoModelError(LookupError):
    """No registered model was trained before the requested date."""


@dataclass(frozen=True)
class ModelRecord:
    name: str
    version: str
    trained_through: dt.date
    path: Path
    meta: dict[str, Any]

    @property
    def artifact(self) -> Path:
        return self.path / "model.joblib"


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The git commit of the code (with '+dirty' when models/ has local changes), or 'unknown'."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "models", "pipelines/features"],
                               cwd=REPO_ROOT, capture_output=True, text=True, timeout=5).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def version_id(name: str, trained_through: dt.date, fingerprint: str) -> str:
    return f"{name}@{trained_through:%Y%m%d}-{hashlib.sha256(fingerprint.encode()).hexdigest()[:10]}"


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class Registry:
    """The models stored under one directory. Reads are cached per process (artifacts are
    immutable)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _dir(self, name: str, version: str) -> Path:
        return self.root / name / version

    def exists(self, name: str, version: str) -> bool:
        return (self._dir(name, version) / "meta.json").exists()

    def save(self, name: str, version: str, trained_through: dt.date, obj: Any,
             meta: dict[str, Any]) -> ModelRecord:
        """Store artifact then metadata (the metadata file marks the version complete)."""
        folder = self._dir(name, version)
        folder.mkdir(parents=True, exist_ok=True)
        full = {**meta, "name": name, "version": version,
                "trained_through": trained_through.isoformat(), "code_version": code_version()}
        _write_atomic(folder / "model.joblib", lambda p: joblib.dump(obj, p))
        _write_atomic(folder / "meta.json",
                      lambda p: p.write_text(json.dumps(full, indent=2, sort_keys=True, default=str)))
        return ModelRecord(name, version, trained_through, folder, full)

    def names(self) -> list[str]:
        """Every model name with at least one complete version."""
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and any(p.glob("*/meta.json")))

    def records(self, name: str) -> list[ModelRecord]:
        """Every complete version of `name`, oldest training date first."""
        folder = self.root / name
        metas = tuple(sorted(str(p) for p in folder.glob("*/meta.json")))
        return list(_records(name, metas))

    def latest(self, name: str, before: dt.date) -> ModelRecord:
        """The most recently trained version whose data was known before `before`."""
        before = pd.Timestamp(before).date()
        ok = [r for r in self.records(name) if r.trained_through < before]
        if not ok:
            raise NoModelError(f"no {name} model trained on data known before {before} "
                               f"under {self.root / name}")
        return ok[-1]

    def load(self, record: ModelRecord, for_date: dt.date) -> Any:
        """The fitted object, refused when its training data reaches `for_date` or later."""
        for_date = pd.Timestamp(for_date).date()
        if record.trained_through >= for_date:
            raise LookAheadError(f"{record.version} was trained on data through "
                                 f"{record.trained_through}; it cannot predict {for_date}")
        return _load(str(record.artifact))


@functools.lru_cache(maxsize=64)
def _records(name: str, metas: tuple[str, ...]) -> tuple[ModelRecord, ...]:
    out = []
    for p in metas:
        meta_path = Path(p)
        meta = json.loads(meta_path.read_text())
        out.append(ModelRecord(name, meta["version"], dt.date.fromisoformat(meta["trained_through"]),
                               meta_path.parent, meta))
    return tuple(sorted(out, key=lambda r: (r.trained_through, r.meta.get("created_at", ""), r.version)))


@functools.lru_cache(maxsize=256)
def _load(path: str) -> Any:
    return joblib.load(path)
