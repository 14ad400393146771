"""Bad dates on every CLI command: each date option of each command (found by walking the
parser, so a new command is covered without editing this file) refuses an impossible, too old,
far-future or malformed date with one argparse line (exit 2), before anything runs. Valid dates
without data: `test_cli_dates_without_data.py` (the slow fault suite)."""

from __future__ import annotations

import argparse

import pytest

from pipelines.cli import build_parser
from pipelines.identifiers import cli_date

BAD = {"2017-02-30": "not a date", "1800-01-01": "before 1900-01-01", "9999-12-31": "in the future",
       "2999-01-01": "in the future", "17-02-2017": "not a date", "2017-13-01": "not a date",
       "'; DROP TABLE nav; --": "not a date", "": "not a date"}


def date_options(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """(command path with dummy positionals, option) for every date-typed option."""
    out = []
    dummies = tuple("x" for a in parser._actions if not a.option_strings and a.nargs is None
                    and not isinstance(a, argparse._SubParsersAction))
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += date_options(sub, (*path, name))
        elif action.type is cli_date and action.option_strings:
            out.append(((*path, *dummies), action.option_strings[0]))
    return out


OPTIONS = date_options(build_parser())


def test_every_dated_command_is_found():
    commands = {p[0] for p, _ in OPTIONS}
    assert {"ingest", "validate", "run", "backfill", "train", "accounts"} <= commands, commands


@pytest.mark.parametrize("path, option", OPTIONS, ids=[" ".join((*p, o)) for p, o in OPTIONS])
@pytest.mark.parametrize("bad", sorted(BAD))
def test_a_bad_date_is_one_argparse_line(capsys, path, option, bad):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([*path, option, bad])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and BAD[bad] in err and "Traceback" not in err, err
