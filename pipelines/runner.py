"""The pipeline without a scheduler: the steps of `pipelines.steps`, in order, in one process.

`run_daily` is what a scheduled market_data + portfolio_rebalance + account_rebalance run does
for one date; `backfill` the same steps over a date range (everything ingested by the end date,
every portfolio and account recomputed from the start date); `run_accounts` the account steps
alone. Both are built from the one step list, so the CLI
and the DAGs cannot drift apart. Progress: one log record per step and per portfolio.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pipelines import faults, steps
from pipelines.allocation import catalog
from pipelines.config import Settings
from pipelines.run_steps import RunContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    as_of: str
    outputs: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ingest(self) -> dict[str, Any]:
        return self.outputs.get("ingest", {})

    @property
    def rows(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name in ("load", "analytics"):
            out.update(self.outputs.get(name) or {})
        return out


Progress = Callable[[str, int, int], None]
"""progress(step name, done, total): (step, 0, items) when a step starts, (step, i, items) as a
mapped step's items finish, ("steps", k, n) when the k-th step is done."""


RECORDED = "recorded in pipeline_runs"


def run_steps(ctx: RunContext, pipeline: Iterable[steps.Step], *,
              skip: Iterable[str] = (), progress: Progress | None = None, workers: int = 1) -> RunSummary:
    """Run `pipeline` in order for `ctx`, the whole run recorded in `pipeline_runs` as the step
    `<dag>.run`: `running` from the start (a killed run stays so, never `success`), then
    `success`, or `failed` with the masked reason."""
    from pipelines.warehouse.loader import record_run

    started = dt.datetime.now(dt.UTC)
    step = f"{ctx.dag}.run"
    record_run(ctx.settings, ctx.run_id, step, "running", as_of=ctx.as_of, started_at=started)
    try:
        summary = _run_steps(ctx, pipeline, skip=skip, progress=progress, workers=workers)
    except Exception as exc:
        record_failure(ctx.settings, ctx.run_id, step, exc, as_of=ctx.as_of, started_at=started)
        raise
    faults.checkpoint("run.finished")
    record_run(ctx.settings, ctx.run_id, step, "success", as_of=ctx.as_of, started_at=started,
               message=", ".join(f"{k} {v:.1f} s" for k, v in summary.seconds.items()))
    return summary


def record_failure(settings: Settings, run_id: str, step: str, exc: BaseException, *,
                   as_of: dt.date | None = None, started_at: dt.datetime | None = None) -> None:
    """A `failed` row with the reason (masked), best effort and bounded: the original error is
    what the caller reports; the exception is marked so the CLI does not record it twice."""
    from pipelines.warehouse.db import LOCK_WAIT_SECONDS
    from pipelines.warehouse.loader import record_run

    exc.add_note(RECORDED)   # tried once, whatever happens next
    try:
        record_run(settings, run_id, step, "failed", as_of=as_of, started_at=started_at,
                   message=f"{type(exc).__name__}: {exc}"[:2000], wait=min(10.0, LOCK_WAIT_SECONDS))
    except Exception as problem:  # noqa: BLE001 - never hide the run's own error
        log.warning("could not record the failure of %s in pipeline_runs: %s", step, problem)


def _run_steps(ctx: RunContext, pipeline: Iterable[steps.Step], *,
               skip: Iterable[str] = (), progress: Progress | None = None, workers: int = 1) -> RunSummary:
    """Run `pipeline` in order for `ctx`. A gate step without new prices ends the run with its
    own DAG's steps, as the asset that would start the next DAG is not published. A step name
    that several chained DAGs share (the report) runs once, at its last place. `workers` > 1
    runs a mapped step's items in that many processes."""
    outputs: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    pipeline = [s for s in pipeline if s.name not in set(skip)]
    last = {s.name: i for i, s in enumerate(pipeline)}
    pipeline = [s for i, s in enumerate(pipeline) if last[s.name] == i]
    run = ctx.to_dict()
    closed: str | None = None   # the DAG whose gate closed: later DAGs do not run
    for k, step in enumerate(pipeline, 1):
        if closed is not None and step.dag != closed:
            break
        t0 = time.perf_counter()
        inputs = {name: outputs.get(name) for name in step.inputs}
        if progress and not step.mapped:
            progress(step.name, 0, 1)
        if step.mapped:
            outputs[step.name] = _mapped(step, run, inputs, progress, workers)
        else:
            outputs[step.name] = steps.call(step, run, **inputs)
        seconds[step.name] = round(time.perf_counter() - t0, 3)
        log.info("step %s done in %.1f s", step.name, seconds[step.name])
        if progress:
            progress("steps", k, len(pipeline))
        if step.name == "ingest":
            run = ctx.with_snapshot(outputs["ingest"]["snapshot_id"]).to_dict()
        if step.gate and not outputs[step.name].get("proceed", True):
            log.info("no new prices for %s: %s", ctx.as_of, outputs[step.name].get("note", ""))
            closed = step.dag
    return RunSummary(ctx.run_id, ctx.as_of.isoformat(), outputs, seconds)


def _mapped(step: steps.Step, run: dict, inputs: dict, progress: Progress | None, workers: int = 1) -> list[Any]:
    """A mapped step over its items (what the DAG's list task gives), in order."""
    if step.over == "shards":
        items = list(inputs[step.inputs[0]]["shards"])
    else:
        ctx = RunContext.of(run)
        items = list(ctx.portfolios or [p.id for p in catalog.portfolios(ctx.settings)])
    calls = [{step.map_kwarg: item, **inputs} for item in items]
    if progress:
        progress(step.name, 0, len(calls))
    if workers > 1 and len(calls) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawned, not forked: a fork of a process whose threads hold locks (JAX after the neural
        # refits of the train step, BLAS pools) can hang the child forever
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(steps.call, step, run, **kw): i for i, kw in enumerate(calls)}
            out: list[Any] = [None] * len(calls)
            for done, future in enumerate(as_completed(futures), 1):
                out[futures[future]] = future.result()
                if progress:
                    progress(step.name, done, len(calls))
        log.info("%s: %d items in %d processes", step.name, len(out), workers)
        return out
    out = []
    for i, kw in enumerate(calls, 1):
        out.append(steps.call(step, run, **kw))
        log.info("[%d/%d] %s computed", i, len(calls), kw[step.map_kwarg])
        if progress:
            progress(step.name, i, len(calls))
    return out


def _run_id(kind: str, label: str) -> str:
    return f"cli__{kind}__{label}__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"


def run_daily(settings: Settings, as_of: dt.date, run_id: str | None = None, *, report: bool = False,
              progress: Progress | None = None) -> RunSummary:
    """One trading day: ingest and validate, train when due, allocate, load, analytics (and the
    report when asked): the DAGs' work, in-process."""
    ctx = RunContext.for_settings(settings, as_of=as_of, run_id=run_id or _run_id("daily", as_of.isoformat()))
    return run_steps(ctx, [*steps.DAILY, *steps.ACCOUNTS], skip=() if report else ("report",), progress=progress)


def backfill(settings: Settings, start: dt.date, end: dt.date, run_id: str | None = None, *,
             report: bool = False, progress: Progress | None = None,
             portfolio_ids: Iterable[str] | None = None, workers: int = 1,
             skip: Iterable[str] = ()) -> RunSummary:
    """Ingest everything known by `end`, train the refits due by `end`, then recompute every
    portfolio (or only `portfolio_ids`, e.g. one just added to the configuration; the others keep
    their rows) from `start` to `end`, then the analytics and the accounts. Each date still sees only data known
    at its own close: the engine hands a strategy the rows up to that date and nothing after it.
    `workers` > 1 computes the portfolios (and account shards) in that many processes; `skip`
    leaves steps out (`make run` leaves the analytics to the daily run that follows)."""
    if start > end:
        raise ValueError(f"backfill start {start} is after end {end}")
    only = tuple(catalog.portfolio(settings, pid).id for pid in portfolio_ids or ()) or None
    ctx = RunContext.for_settings(settings, as_of=end, run_id=run_id or _run_id("backfill", f"{start}_{end}"),
                                  start=start, full_history=True, portfolios=only)
    return run_steps(ctx, [*steps.DAILY, *steps.ACCOUNTS], skip=(*skip, *(() if report else ("report",))),
                     progress=progress, workers=workers)


def run_accounts(settings: Settings, as_of: dt.date, start: dt.date | None = None, run_id: str | None = None, *,
                 report: bool = False, workers: int = 1) -> RunSummary:
    """The account_rebalance pipeline alone (the model portfolios already loaded for `as_of`):
    every account up to `as_of`, recomputed from `start` when given."""
    ctx = RunContext.for_settings(settings, as_of=as_of, start=start,
                                  run_id=run_id or _run_id("accounts", as_of.isoformat()), dag="account_rebalance")
    return run_steps(ctx, steps.ACCOUNTS, skip=() if report else ("report",), workers=workers)


def train(settings: Settings, as_of: dt.date, run_id: str | None = None) -> RunSummary:
    """The model_training pipeline: train the refits due by `as_of`, load the model tables."""
    ctx = RunContext.for_settings(settings, as_of=as_of, run_id=run_id or _run_id("train", as_of.isoformat()),
                                  dag="model_training")
    return run_steps(ctx, steps.TRAINING)
