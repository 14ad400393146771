"""Command line: `python -m pipelines --help`."""

from pipelines.cli import main

raise SystemExit(main())
