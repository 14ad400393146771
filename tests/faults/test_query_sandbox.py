"""The query command's sandbox: it can read the warehouse and the curated lake, nothing else.

Each hostile statement is refused with one line on stderr, exit 2, no traceback, and leaves the
host, the lake and the warehouse unchanged."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main
from support import REPO


def digest(home: Path) -> dict[str, str]:
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(home.rglob("*")) if p.is_file() and "reports" not in p.parts}


@pytest.fixture
def outside(tmp_path) -> Path:
    folder = tmp_path / "host"   # not "outside": tests/quality look for that name under the session temp
    folder.mkdir()
    (folder / "secret.csv").write_text("user,password\nalice,hunter2\n")
    return folder


HOSTILE = [
    ("COPY nav TO '{out}/nav.parquet'", "read-only"),
    ("COPY (SELECT 1) TO '{lake}/prices/evil.csv'", "read-only"),          # even inside the lake
    ("EXPORT DATABASE '{out}/dump'", "read-only"),
    ("SELECT * FROM read_csv('{out}/secret.csv')", "Cannot access file"),
    ("SELECT * FROM read_csv('/etc/passwd', sep=':')", "Cannot access file"),
    ("SELECT * FROM read_text('/etc/hostname')", "Cannot access file"),
    ("SELECT * FROM read_text('{lake}/{up}/secret.csv')", "Cannot access file"),   # climbing out with ..
    ("SELECT * FROM glob('{out}/*')", "Cannot access file"),
    ("SELECT * FROM glob('/root/*')", "Cannot access file"),
    ("SELECT * FROM 'https://example.invalid/x.csv'", "Cannot access file"),
    ("INSTALL httpfs", "read-only"),
    ("LOAD httpfs", "read-only"),
    ("ATTACH '{out}/other.duckdb' AS o", "read-only"),
    ("SET enable_external_access = true", "read-only"),
    ("SELECT 1; COPY nav TO '{out}/x.csv'", "one statement"),
    ("DELETE FROM nav", "read-only"),
    ("CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", "read-only"),
    ("EXPLAIN ANALYZE COPY nav TO '{out}/x.csv'", "read-only"),
    ("SELECT " + "(" * 5000 + "1" + ")" * 5000, "expression depth"),
    ("SELECT 1 -- " + "x" * 100_000, "limit is 50,000"),
    ("SELECT * FROM no_such_table", "no_such_table"),
]


@pytest.mark.parametrize("template, needle", HOSTILE, ids=[f"{i}-{t[:24]}" for i, (t, _) in enumerate(HOSTILE)])
def test_hostile_statements_are_refused_in_one_line(shared_home, outside, capsys, template, needle):
    up = os.path.relpath(outside, shared_home.curated_dir)
    sql = template.format(out=outside, lake=shared_home.curated_dir, up=up)
    before, host_before = digest(shared_home.data_root), sorted(outside.rglob("*"))
    assert main(["query", sql]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.startswith("error: query ") and err.count("\n") == 1, err[:500]
    assert "Traceback" not in err
    assert digest(shared_home.data_root) == before and sorted(outside.rglob("*")) == host_before


def test_the_lake_views_and_tables_still_read(shared_home, capsys):
    assert main(["query", "SELECT count(*) AS n FROM prices", "--format", "csv"]) == 0
    assert int(capsys.readouterr().out.split()[1]) > 0
    assert main(["query", "FROM nav LIMIT 1", "--format", "csv"]) == 0
    assert main(["query", "SELECT count(*) FROM read_parquet($p)", "--param",
                 f"p={shared_home.curated_dir}/prices/*/*.parquet"]) == 0


def test_a_runaway_query_is_stopped_by_its_timeout(shared_home, capsys):
    assert main(["query", "SELECT count(*) FROM range(1000000000000) a, range(1000) b", "--timeout", "1"]) == 2
    assert "still running after 1 s" in capsys.readouterr().err


@pytest.mark.parametrize("arg, needle", [
    ("../../../../etc/passwd", "query refused"),           # a path is SQL (and not valid SQL)
    ("../queries/latest_allocations", "query refused"),
    ("x" * 300, "query refused"),                          # no file-name probe: no OSError
    ("no_such_query", "no query named"),
])
def test_the_argument_names_a_file_only_inside_sql_queries(shared_home, capsys, arg, needle):
    assert main(["query", arg]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


@pytest.mark.parametrize("output, needle", [
    ("{tmp}", "not a regular file"),
    ("/dev/null", "not a regular file"),
    ("{tmp}/nav.txt", "must end in .csv or .parquet"),
    ("/proc/nope/nav.csv", "error: "),
])
def test_a_bad_output_path_is_a_clear_error(shared_home, tmp_path, capsys, output, needle):
    assert main(["query", "SELECT 1 AS x", "--output", output.format(tmp=tmp_path)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_the_command_line_exits_2_without_a_traceback(shared_home):
    """The same through a real process: the exit code and stderr a user sees."""
    res = subprocess.run([sys.executable, "-m", "pipelines", "query", "COPY nav TO '/tmp/nav.csv'"],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert res.returncode == 2 and res.stderr.startswith("error: query refused") and "Traceback" not in res.stderr
