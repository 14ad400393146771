"""Command line: `python -m models train --date YYYY-MM-DD`.

Trains what is missing up to the date (walk-forward refits, a refit at the date, factor
exposures), then loads the staged rows through the single writer: the `model_training` DAG's
two tasks, in-process. The date defaults to the lake's latest price date; the lake must hold it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys

EXIT_OK, EXIT_ERROR = 0, 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train and publish the models up to a date, then load them")
    train.add_argument("--date", type=_date, default=None,
                       help="training date (default: the lake's latest price date)")
    train.add_argument("--run-id", default=None, help="run id recorded in the rows")
    return parser


def train(as_of: dt.date | None, run_id: str | None) -> dict:
    """train_and_publish then load_models; returns a JSON-able summary."""
    from models.training import train_and_publish
    from models.warehouse import load_models
    from pipelines import lake
    from pipelines.config import Settings

    settings = Settings.from_env()
    latest = lake.curated_max_date(settings, lake.PRICES)
    if latest is None:
        raise FileNotFoundError(f"the lake under {settings.curated_dir} holds no prices; ingest first")
    as_of = as_of or latest
    if as_of > latest:
        raise ValueError(f"--date {as_of} is after the lake's latest price date {latest}")
    try:
        snapshot = lake.snapshot_id(settings, as_of)
    except FileNotFoundError:
        snapshot = f"lake@{as_of}"   # the date lies inside a batch ingested for a later date
    run_id = run_id or f"cli__models_train__{as_of}__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    staged = train_and_publish(settings, as_of, run_id, snapshot)
    rows = load_models(settings, staged)
    return {"as_of": staged["as_of"], "run_id": run_id, "rows": rows, "refits": staged["refits"],
            "trained": staged["trained"], "published": staged["published"],
            "oos": staged["oos"], "seconds": round(staged["seconds"], 2)}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        summary = train(args.date, args.run_id)
    except (FileNotFoundError, KeyError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(summary, indent=2, default=str))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
