"""Builds a DAG's tasks from the pipeline definition (`pipelines.steps`): one task per step, in
the list's order, wired by each step's inputs; the DAG files only choose schedules and assets.

Besides the steps, a DAG has a little glue that only exists under a scheduler: `resolve_date`
(the business date and data snapshot from the run's parameter, asset event, replay position or
logical date), `list_portfolios` and `list_shards` (what a mapped step fans out over: the
managed portfolios, or the shards the account book was cut into), and for a gate step with
an outlet `has_new_prices` (stop on a day without data) and `publish` (the asset event that
starts the next DAG, with the date and snapshot in its extra).
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Asset, task

from pipelines import orchestration as orch
from pipelines import steps as pipeline

ASSETS = {
    "curated_market_data": Asset(*orch.CURATED_MARKET_DATA),
    "warehouse_portfolios": Asset(*orch.WAREHOUSE_PORTFOLIOS),
    "warehouse_accounts": Asset(*orch.WAREHOUSE_ACCOUNTS),
    "published_models": Asset("published_models", uri="daa://models/published"),
}
GLUE = ("resolve_date", "list_portfolios", "list_shards", "has_new_prices", "publish")


def record_failure(context) -> None:
    """Task failure callback: the failure and its reason go to `pipeline_runs`."""
    from pipelines.callbacks import record_failure as record

    record(context)


def _resolve(dag_id: str, **context) -> dict[str, Any]:
    """The run every step receives: business date, run id, snapshot (from the asset event)."""
    import datetime as dt

    from pipelines.config import Settings
    from pipelines.run_steps import RunContext

    events = context.get("triggering_asset_events") or {}
    extras = [e.extra for evs in events.values() for e in evs]
    params = context.get("params") or {}
    settings = Settings.from_env()
    if dag_id == "market_data" and not params.get("as_of"):
        from pipelines.replay import next_business_date, replay_start

        start = replay_start()
        if start is not None:
            day = next_business_date(settings, start)
            params = {"as_of": (day or context["logical_date"].date()).isoformat()}
    if dag_id == "model_training" and not params.get("as_of"):
        from pipelines import lake

        latest = lake.curated_max_date(settings, lake.PRICES)
        params = {"as_of": latest.isoformat()} if latest else params
    as_of = orch.resolve_as_of(params, extras, context.get("logical_date"))
    snapshot = next((e.get("snapshot_id") for e in extras if e and e.get("snapshot_id")), None)
    run = RunContext(as_of=as_of, run_id=context["run_id"], snapshot_id=snapshot, dag=dag_id)
    if dag_id == "portfolio_rebalance" and snapshot is None:
        from pipelines import lake

        run = run.with_snapshot(lake.snapshot_id(settings, dt.date.fromisoformat(run.to_dict()["as_of"])))
    return run.to_dict()


def build(dag_id: str) -> None:
    """Create the tasks of `dag_id` inside the DAG being defined (call within `@dag`)."""
    steps = pipeline.steps_for(dag_id)

    @task(task_id="resolve_date", doc_md="The business date this run processes (the `as_of` parameter, the "
          "triggering asset event, the replay position or the logical date) and its data snapshot.")
    def resolve_date(**context) -> dict:
        return _resolve(dag_id, **context)

    run = resolve_date()
    outputs: dict[str, Any] = {}
    portfolios = None
    for step in steps:
        inputs = {name: outputs[name] for name in step.inputs if name in outputs}
        if step.mapped and step.over == "shards":
            shards = _list_shards(outputs[step.inputs[0]])
            outputs[step.name] = _step_task(step).partial(run=run, **inputs).expand(shard=shards)
        elif step.mapped:
            if portfolios is None:
                portfolios = _list_portfolios()
            outputs[step.name] = _step_task(step).partial(run=run, **inputs).expand(portfolio_id=portfolios)
        else:
            outputs[step.name] = _step_task(step)(run=run, **inputs)
        if step.gate:
            gate = _has_new_prices(step)(outputs[step.name])
            if step.outlet:
                gate >> _publish(step)(outputs[step.name])


def _step_task(step: pipeline.Step):
    kwargs: dict[str, Any] = {"task_id": step.name, "doc_md": step.doc}
    if step.writer:
        kwargs["pool"] = orch.WRITER_POOL
    if step.outlet and not step.gate:
        kwargs["outlets"] = [ASSETS[step.outlet]]
    if step.mapped:
        kwargs["map_index_template"] = "{{ task.op_kwargs['" + step.map_kwarg + "'] }}"

    wanted = {*step.inputs, step.map_kwarg}
    outlet = ASSETS[step.outlet] if step.outlet and not step.gate else None

    def run_step(run: dict, **kwargs):
        """The step's work: `pipelines.steps.call` with the run and the step's inputs (TaskFlow
        also passes the task context in **kwargs; only the inputs go on). A step that publishes
        an asset puts the date and snapshot in the event's extra, for the DAG it schedules."""
        from pipelines import steps as spec

        result = spec.call(step, run, **{k: v for k, v in kwargs.items() if k in wanted})
        if outlet is not None and kwargs.get("outlet_events") is not None:
            kwargs["outlet_events"][outlet].extra = {"as_of": run["as_of"], "snapshot_id": run.get("snapshot_id")}
        return result

    run_step.__name__ = step.name
    return task(**kwargs)(run_step)


def _list_portfolios():
    @task(task_id="list_portfolios", doc_md="The managed model portfolios in `config/portfolios.yaml` "
          "(validated on load): what the mapped step fans out over.")
    def list_portfolios() -> list[str]:
        from pipelines.allocation import catalog
        from pipelines.config import Settings

        return [p.id for p in catalog.portfolios(Settings.from_env())]

    return list_portfolios()


def _list_shards(prepared):
    @task(task_id="list_shards", doc_md="The shards the account book was cut into (`shard_size` accounts "
          "each, config/accounts.yaml): what the mapped account step fans out over.")
    def list_shards(prepared: dict) -> list[str]:
        return list(prepared["shards"])

    return list_shards(prepared)


def _has_new_prices(step: pipeline.Step):
    @task.short_circuit(task_id="has_new_prices", doc_md=f"Continue after `{step.name}` only when the date "
                        "brought new prices (weekends, holidays and the end of the history stop here, "
                        "with the reason in the ingest's note).")
    def has_new_prices(summary: dict) -> bool:
        return bool(summary.get("proceed"))

    return has_new_prices


def _publish(step: pipeline.Step):
    asset = ASSETS[step.outlet]

    @task(task_id="publish", outlets=[asset], doc_md=f"Publish the `{step.outlet}` asset event (extra: "
          "`as_of`, `snapshot_id`); it schedules the next DAG.")
    def publish(summary: dict, *, outlet_events) -> str:
        outlet_events[asset].extra = {"as_of": summary["as_of"], "snapshot_id": summary["snapshot_id"]}
        return summary["snapshot_id"]

    return publish
