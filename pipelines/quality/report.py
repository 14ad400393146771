"""A self-contained HTML summary per validation run (no external CSS/JS: readable offline).

Great Expectations' Data Docs load Bootstrap and fonts from CDNs; this page does not, and it
links to the Data Docs for the full detail. `quality/index.html` lists every run, newest first.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from pipelines.config import Settings
from pipelines.quality.results import quality_dir
from pipelines.secrets import mask
from pipelines.warehouse.staging import safe_name

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3} .error{background:#fde2e1} .warning{background:#fff4d6}
.ok{color:#1a7f37} .bad{color:#b42318;font-weight:bold} code{font-size:.85em;white-space:pre-wrap}
"""


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return ""
    return html.escape(str(v))


def _sample(text) -> str:
    if not isinstance(text, str):
        return ""
    try:
        rows = json.loads(text)
    except ValueError:
        return _cell(text)
    return "<code>" + html.escape(json.dumps(rows, indent=None)[:600]) + "</code>"


def write_run_report(settings: Settings, frame: pd.DataFrame, *, run_id: str, as_of: str,
                     status: str, message: str, quarantine: str | None,
                     data_docs: Path | None) -> Path:
    """Write `quality/reports/<as_of>__<run_id>.html` and refresh the index page."""
    failed = frame[~frame["success"]]
    rows = []
    for _, r in pd.concat([failed, frame[frame["success"]]]).iterrows():
        cls = "" if r["success"] else r["severity"]
        rows.append(
            f"<tr class='{cls}'><td>{'pass' if r['success'] else 'FAIL'}</td><td>{_cell(r['severity'])}</td>"
            f"<td>{_cell(r['dataset'])}</td><td>{_cell(r['suite'])}</td><td>{_cell(r['check_name'])}</td>"
            f"<td>{_cell(r['column_name'])}</td><td>{_cell(r['expectation'])}</td>"
            f"<td>{_cell(r['unexpected_count'])}</td><td>{_cell(r['observed_value'])[:200]}</td>"
            f"<td>{_sample(r['unexpected_sample'])}</td></tr>")
    n_err = int(((~frame["success"]) & (frame["severity"] == "error")).sum())
    n_warn = int(((~frame["success"]) & (frame["severity"] == "warning")).sum())
    docs = (f"<p>Full detail: <a href='{html.escape(data_docs.as_uri())}'>Great Expectations Data Docs</a>"
            " (needs internet for its styles).</p>") if data_docs else ""
    quarantine_html = f"<p>Batch quarantined in <code>{html.escape(quarantine)}</code></p>" if quarantine else ""
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>Data quality {html.escape(as_of)} {html.escape(status)}</title><style>{STYLE}</style></head><body>
<h1>Data quality gate: {html.escape(as_of)} —
<span class="{'ok' if status == 'passed' else 'bad'}">{html.escape(status)}</span></h1>
<p>Run <code>{html.escape(run_id)}</code>: {len(frame)} expectations, {n_err} error(s), {n_warn} warning(s).</p>
<p><code>{html.escape(mask(message))}</code></p>{quarantine_html}{docs}
<table><tr><th>result</th><th>severity</th><th>dataset</th><th>suite</th><th>check</th><th>column</th>
<th>expectation</th><th>unexpected</th><th>observed</th><th>sample rows</th></tr>
{''.join(rows)}</table></body></html>"""
    out = quality_dir(settings) / "reports" / f"{as_of}__{safe_name(run_id)}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(page)
    tmp.replace(out)
    _write_index(settings, data_docs)
    return out


def _write_index(settings: Settings, data_docs: Path | None) -> Path:
    reports = sorted((quality_dir(settings) / "reports").glob("*.html"), reverse=True)
    items = "".join(f"<li><a href='reports/{html.escape(p.name)}'>{html.escape(p.stem)}</a></li>"
                    for p in reports[:500])
    docs = f"<p><a href='{html.escape(data_docs.as_uri())}'>Great Expectations Data Docs</a></p>" if data_docs else ""
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>Data quality runs</title>"
            f"<style>{STYLE}</style></head><body><h1>Data quality runs</h1>{docs}<ul>{items}</ul></body></html>")
    out = quality_dir(settings) / "index.html"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(page)
    tmp.replace(out)
    return out
