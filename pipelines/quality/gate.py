"""The data quality gate between fetching a batch and merging it into the curated lake.

    fetch -> pending batch (as received) -> schema -> raw -> curated (merged over history)
          -> pass: promote to raw, upsert curated        fail: quarantine + ValidationFailed

A batch waits under `lake/incoming/<run>/` while it is checked, so a rejected batch never
replaces the last good raw batch of its date, and the curated lake is written only after every
error-severity check passed. Results are staged for the warehouse (see `results`), and a
self-contained HTML summary is written under `$DAA_HOME/quality/`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pandas as pd
import pyarrow as pa

from pipelines import lake
from pipelines.config import Settings
from pipelines.quality import derive
from pipelines.quality.config import quality_config
from pipelines.quality.errors import HistorySuspect, MalformedInput, ValidationFailed
from pipelines.quality.quarantine import quarantine_batch
from pipelines.quality.report import write_run_report
from pipelines.quality.results import results_frame, stage_results
from pipelines.quality.validate import Outcome, SuiteResult, runner
from pipelines.secrets import mask
from pipelines.warehouse.staging import safe_name

log = logging.getLogger(__name__)

DATASETS = ("prices", "macro")


@dataclass
class GateSummary:
    run_id: str
    status: str
    errors: int
    warnings: int
    expectations: int
    staged_results: str | None
    report: str | None
    quarantine: str | None
    seconds: float
    warning_checks: list[str] = field(default_factory=list)


def _empty(dataset: str) -> pd.DataFrame:
    return lake.DATASETS[dataset].schema.empty_table().to_pandas()


class QualityGate:
    """One validation run for one as-of date; collects outcomes across its suites."""

    def __init__(self, settings: Settings, as_of: dt.date, source: str, run_id: str | None = None):
        self.settings = settings
        self.as_of = as_of
        self.source = source
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        self.run_id = run_id or f"ingest__{as_of.isoformat()}__{stamp}"
        self.cfg = quality_config(settings)
        self.universe = settings.universe
        self.outcomes: list[Outcome] = []
        self.results: list[SuiteResult] = []
        self.pending: Path | None = None
        self.pending_files: dict[str, Path] = {}
        self.source_files: list[Path] = []
        self.seconds = 0.0
        self._runner = None

    # ------------------------------------------------------------------ staging

    def stage_batch(self, frames: dict[str, pd.DataFrame]) -> Path:
        """Write the batch exactly as received under `lake/incoming/<run>/`."""
        self.pending = self.settings.incoming_dir / safe_name(self.run_id)
        lake.remove_stale(self.settings.incoming_dir, keep=self.pending.name)  # batches of killed ingests
        self.pending.mkdir(parents=True, exist_ok=True)
        for name, df in frames.items():
            try:
                path = lake.write_parquet_atomic(pa.Table.from_pandas(df, preserve_index=False),
                                                 self.pending / f"{name}.parquet")
            except (pa.ArrowException, TypeError, ValueError):  # mixed types: keep it as text
                path = self.pending / f"{name}.csv"
                df.to_csv(path, index=False)
            self.pending_files[name] = path
        return self.pending

    def discard_pending(self) -> None:
        if self.pending is not None:
            shutil.rmtree(self.pending, ignore_errors=True)

    # ------------------------------------------------------------------ checks

    def _run(self, suite: str, frame: pd.DataFrame) -> SuiteResult:
        t0 = time.perf_counter()
        if self._runner is None:
            self._runner = runner(self.settings, self.cfg, self.universe)
        result = self._runner.run(suite, frame, run_name=self.run_id)
        self.results.append(result)
        self.outcomes += result.outcomes
        self.seconds += time.perf_counter() - t0
        for o in result.errors + result.warnings:
            log.warning("%s %s: %s [%s] column %s: %s unexpected, sample %s", o.severity, suite,
                        o.check, o.expectation, o.column, o.unexpected_count, o.unexpected_sample)
        return result

    def _errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.is_error]

    def check_raw(self, prices: pd.DataFrame, macro: pd.DataFrame) -> None:
        """Schema first (both datasets), then content; raise after quarantining on any error."""
        self._run("prices_schema", derive.schema_view(prices))
        self._run("macro_schema", derive.schema_view(macro))
        if self._errors():
            self.fail()
        self._run("raw_prices", derive.raw_prices_view(prices))
        self._run("raw_macro", derive.raw_macro_view(macro, self.cfg.macro))
        if self._errors():
            self.fail()

    def check_curated(self, prices: pd.DataFrame, macro: pd.DataFrame) -> None:
        """Validate the batch as it would land, merged over recent curated history."""
        t0 = time.perf_counter()
        hist_prices, hist_macro = _empty("prices"), _empty("macro")
        if len(prices):
            first = pd.to_datetime(prices["date"]).min().date()
            since = first - dt.timedelta(days=self.cfg.prices.history_days)
            hist_prices = self._history(lake.PRICES, since)
        if len(macro):
            hist_macro = self._history(lake.MACRO, None)
        p_view = derive.curated_prices_view(hist_prices, prices, self.universe, self.cfg.prices)
        m_view = derive.curated_macro_view(hist_macro, macro)
        self.seconds += time.perf_counter() - t0
        self._run("curated_prices", p_view)
        self._run("curated_macro", m_view)
        if self._errors():
            self.fail()

    def _history(self, dataset: lake.Dataset, since: dt.date | None) -> pd.DataFrame:
        """Stored curated rows the batch is judged against, verified against their manifest."""
        try:
            return lake.read_curated(self.settings, dataset, self.as_of, start=since)
        except FileNotFoundError:
            return _empty(dataset.name)
        except lake.CuratedIntegrityError as exc:
            self.history_suspect(dataset.name, exc)

    # ------------------------------------------------------------------ outcomes

    def history_suspect(self, dataset: str, exc: lake.CuratedIntegrityError) -> NoReturn:
        """Stored history failed its checksums: say so, judge nothing, move nothing."""
        self.discard_pending()
        self.outcomes.append(Outcome(
            suite="curated_history", dataset=dataset, expectation="curated_history_matches_manifest",
            check="stored curated history verifies against its manifest", column=None, success=False,
            severity="error", observed_value=json.dumps(mask(str(exc))), element_count=None,
            unexpected_count=len(exc.partitions), unexpected_sample=json.dumps(exc.partitions[:5])))
        files = ", ".join(str(f) for f in self.source_files) or f"with the {self.source} source"
        message = (f"data quality gate stopped for {self.as_of} (source {self.source}, run {self.run_id}): "
                   f"{mask(exc)}\nThe stored {dataset} history is suspect, not the new batch: the batch was not "
                   f"judged against it and is left where it was ({files}). Check the lake with "
                   "`python -m pipelines lake verify`, restore the partition, then ingest again.")
        _, report = self._publish("history_suspect", message, None, None)
        log.error("%s\nreport: %s", message, report)
        raise HistorySuspect(message + f"\nreport: {report}", as_of=self.as_of.isoformat(), run_id=self.run_id,
                             quarantine=None, failures=[self.outcomes[-1]])

    def _message(self, errors: list[Outcome], quarantine: Path | None) -> str:
        lines = [f"data quality gate failed for {self.as_of} (source {self.source}, run {self.run_id}): "
                 f"{len(errors)} error(s)"]
        for o in errors:
            where = self.pending_files.get(o.dataset)
            if quarantine is not None and where is not None:
                where = quarantine / where.name
            origin = [str(f) for f in self.source_files if f.name.startswith(o.dataset)]
            file_text = f"file {where}" + (f" (from {', '.join(origin)})" if origin else "")
            count = "" if o.unexpected_count is None else f"{o.unexpected_count} of {o.element_count} rows unexpected; "
            observed = "" if o.observed_value in (None, "null") else f"observed {o.observed_value}; "
            sample = f"sample rows: {o.unexpected_sample}" if o.unexpected_sample else ""
            lines.append(f"  - {file_text}: column {o.column!r}: {o.expectation} [{o.check}] "
                         f"({o.suite}): {count}{observed}{sample}".rstrip("; "))
        if quarantine is not None:
            lines.append(f"batch quarantined in {quarantine} (see reason.txt); "
                         "curated data and the warehouse are unchanged")
        return "\n".join(lines)

    def _publish(self, status: str, message: str, batch_path: str | None,
                 quarantine: Path | None) -> tuple[Path, Path]:
        frame = results_frame(self.run_id, self.as_of, self.source, self.outcomes, batch_path,
                              dt.datetime.now(dt.UTC))
        staged = stage_results(self.settings, frame)
        docs = None
        if self._runner is not None:
            t0 = time.perf_counter()
            docs = self._runner.build_docs([i for r in self.results for i in r.identifiers])
            self.seconds += time.perf_counter() - t0
        report = write_run_report(self.settings, frame, run_id=self.run_id, as_of=self.as_of.isoformat(),
                                  status=status, message=message,
                                  quarantine=str(quarantine) if quarantine else None, data_docs=docs)
        return staged, report

    def fail(self, extra: list[Outcome] | None = None) -> NoReturn:
        """Quarantine the batch, stage results and the report, raise `ValidationFailed`."""
        self.outcomes += extra or []
        errors = self._errors()
        from pipelines.quality.quarantine import quarantine_dir

        target = quarantine_dir(self.settings, self.as_of, self.run_id)
        message = self._message(errors, target)
        reason = {"as_of": self.as_of.isoformat(), "run_id": self.run_id, "source": self.source,
                  "source_files": [str(f) for f in self.source_files],
                  "errors": [o.__dict__ for o in errors],
                  "warnings": [o.__dict__ for o in self.outcomes if o.is_warning]}
        quarantine_batch(self.settings, self.as_of, self.run_id, pending=self.pending,
                         source_files=self.source_files, reason=reason, message=message)
        staged, report = self._publish("rejected", message, str(target), target)
        log.error("%s\nreport: %s", message, report)
        raise ValidationFailed(message + f"\nreport: {report}", as_of=self.as_of.isoformat(),
                               run_id=self.run_id, quarantine=target, failures=errors)

    def reject_malformed(self, exc: MalformedInput) -> NoReturn:
        """A file that cannot be read as a table: record it as a failed check and quarantine it."""
        for p in exc.paths:
            if p not in self.source_files:
                self.source_files.append(p)
        dataset = next((d for d in DATASETS if any(p.name.startswith(d) for p in exc.paths)), "prices")
        outcome = Outcome(suite="files", dataset=dataset, expectation="file_is_readable_table",
                          check="input file readable as a table", column=None, success=False,
                          severity="error", observed_value=json.dumps(mask(str(exc))), element_count=None,
                          unexpected_count=None, unexpected_sample=None)
        self.fail([outcome])

    def passed(self, raw_paths: list[Path]) -> GateSummary:
        """Stage the results of a passing run (warnings included) and write its report."""
        warnings = [o for o in self.outcomes if o.is_warning]
        message = (f"passed for {self.as_of}: {len(self.outcomes)} expectations, "
                   f"{len(warnings)} warning(s)")
        staged, report = self._publish("passed", message, ",".join(str(p) for p in raw_paths), None)
        return GateSummary(self.run_id, "passed", 0, len(warnings), len(self.outcomes), str(staged),
                           str(report), None, round(self.seconds, 3),
                           sorted({f"{o.suite}: {o.check}" for o in warnings}))
