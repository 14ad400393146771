"""HTML for the reports: one self-contained file per page (inline CSS, images as data URIs,
no scripts, no external assets), so a report opens offline and can be mailed as is."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence

import pandas as pd

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #222;
       background: #f6f7f9; }
header { background: #1f3b57; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 24px; }
header p { margin: 0; opacity: 0.85; font-size: 13px; }
header a { color: #cfe3ff; }
main { padding: 16px 32px 40px 32px; max-width: 1200px; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; padding: 12px 18px;
          margin: 14px 0; }
section h2 { font-size: 17px; margin: 4px 0 10px 0; color: #1f3b57; }
img { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eceef1; text-align: right; white-space: nowrap; }
.scroll { overflow-x: auto; }
th { background: #f0f2f5; }
td:first-child, th:first-child { text-align: left; }
.figures { display: flex; flex-wrap: wrap; gap: 10px; }
.figure { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.figure .v { font-size: 20px; font-weight: 600; }
.figure .k { font-size: 11px; color: #666; text-transform: uppercase; }
.neg { color: #b42318; } .pos { color: #067647; }
.note { color: #666; font-size: 13px; font-style: italic; }
"""


def esc(value: object) -> str:
    return html.escape(str(value))


def fmt_pct(value: object, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value) * 100:.{digits}f}%"


def fmt_num(value: object, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}"
    return esc(value)


def signed_class(value: object) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return "neg" if v < 0 else "pos" if v > 0 else ""


def page(title: str, subtitle: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>"
            f"<header><h1>{esc(title)}</h1><p>{subtitle}</p></header>\n<main>{body}</main></body></html>\n")


def section(section_id: str, title: str, content: str) -> str:
    return f"<section id=\"{esc(section_id)}\"><h2>{esc(title)}</h2>{content}</section>\n"


def image(uri: str, alt: str) -> str:
    return f"<img src=\"{uri}\" alt=\"{esc(alt)}\">"


def note(text: str) -> str:
    return f"<p class=\"note\">{esc(text)}</p>"


def figures(items: Iterable[tuple[str, str, str]]) -> str:
    """Key figures as cards: (label, formatted value, css class)."""
    cards = "".join(f"<div class=\"figure\"><div class=\"k\">{esc(k)}</div><div class=\"v {cls}\">{v}</div></div>"
                    for k, v, cls in items)
    return f"<div class=\"figures\">{cards}</div>"


def table(df: pd.DataFrame, formats: dict[str, str] | None = None, table_id: str | None = None,
          links: dict[str, str] | None = None) -> str:
    """A frame as an HTML table; formats map column -> 'pct', 'num', 'int' or 'text'."""
    formats = formats or {}
    links = links or {}
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    rows = []
    for record in df.to_dict("records"):
        cells = []
        for col, value in record.items():
            kind = formats.get(col, "num" if isinstance(value, float) else "text")
            if kind == "pct":
                text, cls = fmt_pct(value), signed_class(value)
            elif kind == "int":
                text, cls = fmt_num(value, 0), ""
            elif kind == "num":
                text, cls = fmt_num(value), ""
            else:
                text, cls = ("–" if value is None or value is pd.NaT else esc(value)), ""
            if col in links and isinstance(value, str):
                text = f"<a href=\"{esc(links[col].format(value=value))}\">{text}</a>"
            cells.append(f"<td class=\"{cls}\">{text}</td>" if cls else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    tid = f" id=\"{esc(table_id)}\"" if table_id else ""
    return (f"<div class=\"scroll\"><table{tid}><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def link_list(items: Sequence[tuple[str, str]]) -> str:
    return "<ul>" + "".join(f"<li><a href=\"{esc(href)}\">{esc(text)}</a></li>" for href, text in items) + "</ul>"
