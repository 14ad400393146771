"""Errors the quality gate raises: they name the file, column, expectation and sample rows."""

from __future__ import annotations

from pathlib import Path


class ValidationFailed(RuntimeError):
    """A batch failed an error-severity check; it was quarantined and nothing downstream changed."""

    def __init__(self, message: str, *, as_of: str, run_id: str, quarantine: Path | None,
                 failures: list | None = None):
        super().__init__(message)
        self.as_of = as_of
        self.run_id = run_id
        self.quarantine = quarantine
        self.failures = failures or []


class MalformedInput(ValueError):
    """An input file or response cannot be read as a table; names the file and the problem."""

    def __init__(self, message: str, paths: list[Path] | None = None):
        super().__init__(message)
        self.paths = list(paths or [])


class HistorySuspect(ValidationFailed):
    """The stored curated history failed its checksums: the new batch was not judged against it,
    not quarantined, and stays where it came from; the message names the suspect partitions."""
