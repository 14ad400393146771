"""`python -m pipelines.quality`: load staged validation results into DuckDB, show the report.

    python -m pipelines.quality record     # the writer step: staged results -> validation_results
    python -m pipelines.quality report     # paths of the offline HTML summary and the Data Docs
"""

from __future__ import annotations

import argparse
import sys

from pipelines.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.quality", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["record", "report"])
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "record":
        from pipelines.quality.results import record_pending

        print(f"{record_pending(settings)} validation results recorded in {settings.warehouse_path}")
        return 0
    from pipelines.quality.results import quality_dir

    index = quality_dir(settings) / "index.html"
    docs = settings.gx_docs_index
    print(f"offline summary: {index if index.exists() else '(none yet)'}")
    print(f"GX Data Docs:    {docs if docs.exists() else '(none yet)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
