"""HTML for the reports: one self-contained file per page (inline CSS, images as data URIs,
no scripts, no external assets), so a report opens offline and can be mailed as is.

Layout rule: nothing wider than the page. Tables wrap their headers and shrink to the
content; wide ones (the index, the monthly grid) use compact cells, so at 1280 px nothing
needs a horizontal scroll (the browser check measures it).
"""

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
nav.toc { font-size: 12px; margin: 10px 0 0 0; }
nav.toc a { color: #1f3b57; margin-right: 10px; white-space: nowrap; }
main { padding: 12px 24px 40px 24px; max-width: 1320px; box-sizing: border-box; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; padding: 10px 16px;
          margin: 12px 0; overflow: hidden; }
section h2 { font-size: 17px; margin: 4px 0 8px 0; color: #1f3b57; }
section h3 { font-size: 14px; margin: 12px 0 6px 0; color: #333; }
img { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; font-size: 13px; max-width: 100%; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eceef1; text-align: right; }
td { white-space: nowrap; }
th { background: #f0f2f5; font-weight: 600; vertical-align: bottom; }
td:first-child, th:first-child { text-align: left; }
td.text, th.text { text-align: left; white-space: normal; }
td .sub { display: block; color: #666; font-size: 11px; white-space: normal; }
.scroll { overflow-x: auto; }
.row { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.row > div { min-width: 0; }
table.compact { font-size: 12px; }
table.compact th, table.compact td { padding: 2px 5px; }
table.heatmap td { min-width: 44px; }
.figures { display: flex; flex-wrap: wrap; gap: 10px; }
.figure { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; padding: 8px 12px;
          flex: 1 1 110px; max-width: 340px; }
.figure .v { font-size: 20px; font-weight: 600; }
.figure .k { font-size: 11px; color: #666; text-transform: uppercase; }
.figure .s { font-size: 11px; color: #8a5a00; max-width: 260px; }
.neg { color: #b42318; } .pos { color: #067647; }
.verdict { font-size: 13px; margin: 6px 0; }
.note { color: #666; font-size: 13px; font-style: italic; margin: 6px 0; }
.caveats { background: #fff8e6; border: 1px solid #f0c36d; border-radius: 6px; padding: 8px 16px;
           margin: 12px 0; font-size: 13px; }
.caveats h2 { font-size: 14px; margin: 2px 0 4px 0; color: #8a5a00; }
.caveats ul { margin: 4px 0; padding-left: 18px; }
"""


def esc(value: object) -> str:
    return html.escape(str(value))


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def fmt_pct(value: object, digits: int = 2) -> str:
    """12.34%; a value that rounds to zero prints as 0.00% (never -0.00%)."""
    if _missing(value):
        return "–"
    x = round(float(value) * 100, digits)
    return f"{(x if x != 0 else 0.0):.{digits}f}%"


def fmt_num(value: object, digits: int = 2) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, (int, float)):
        x = round(float(value), digits)
        return f"{(x if x != 0 else 0.0):,.{digits}f}"
    return esc(value)


def fmt_date(value: object) -> str:
    if _missing(value):
        return "–"
    return esc(pd.Timestamp(value).date())


def signed_class(value: object, digits: int = 2) -> str:
    """'pos' / 'neg' for a return, '' when it rounds to zero or is not a number."""
    try:
        v = round(float(value) * 100, digits)
    except (TypeError, ValueError):
        return ""
    return "neg" if v < 0 else "pos" if v > 0 else ""


def page(title: str, subtitle: str, body: str, toc: Sequence[tuple[str, str]] = ()) -> str:
    links = " ".join(f"<a href=\"#{esc(i)}\">{esc(t)}</a>" for i, t in toc)  # spaces: it wraps
    toc_html = f"<nav class=\"toc\">{links}</nav>" if links else ""
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>"
            f"<header><h1>{esc(title)}</h1><p>{subtitle}</p></header>\n"
            f"<main>{toc_html}{body}</main></body></html>\n")


def section(section_id: str, title: str, content: str) -> str:
    return f"<section id=\"{esc(section_id)}\"><h2>{esc(title)}</h2>{content}</section>\n"


def image(uri: str, alt: str) -> str:
    return f"<img src=\"{uri}\" alt=\"{esc(alt)}\">"


def note(text: str) -> str:
    return f"<p class=\"note\">{esc(text)}</p>"


def caveats(items: Sequence[str]) -> str:
    """A 'read with care' box (items are HTML-escaped text)."""
    if not items:
        return ""
    lis = "".join(f"<li>{esc(i)}</li>" for i in items)
    return f"<div class=\"caveats\" id=\"caveats\"><h2>Read with care</h2><ul>{lis}</ul></div>\n"


def figures(items: Iterable[tuple]) -> str:
    """Key figures as cards: (label, formatted value, css class[, small caveat text])."""
    cards = []
    for k, v, cls, *rest in items:
        sub = f"<div class=\"s\">{esc(rest[0])}</div>" if rest and rest[0] else ""
        cards.append(f"<div class=\"figure\"><div class=\"k\">{esc(k)}</div>"
                     f"<div class=\"v {cls}\">{v}</div>{sub}</div>")
    return f"<div class=\"figures\">{''.join(cards)}</div>"


def cell(value: object, kind: str) -> tuple[str, str]:
    """(text, css class) of one value. Kinds: 'ret' (a return: signed colour), 'pct' (a share,
    no colour: weights, turnover, volatility), 'num', 'money', 'int', 'ratio', 'date', 'text'."""
    if kind == "ret":
        return fmt_pct(value), signed_class(value)
    if kind == "pct":
        return fmt_pct(value), ""
    if kind == "money":
        return fmt_num(value, 0), ""
    if kind == "int":
        return fmt_num(value, 0), ""
    if kind in ("num", "ratio"):
        return fmt_num(value), ""
    if kind == "date":
        return fmt_date(value), ""
    return ("–" if _missing(value) else esc(value)), "text"


def table(df: pd.DataFrame, formats: dict[str, str] | None = None, table_id: str | None = None,
          links: dict[str, str] | None = None, headers: dict[str, str] | None = None,
          subs: dict[str, str] | None = None, compact: bool = False) -> str:
    """A frame as an HTML table. formats: column -> kind (see `cell`; default 'num' for floats,
    'text' otherwise); links: column -> href pattern with {value}; headers: display names;
    subs: column -> a column whose text is shown small under it (and not on its own)."""
    formats, links, headers, subs = formats or {}, links or {}, headers or {}, subs or {}
    shown = [c for c in df.columns if c not in set(subs.values())]
    head = "".join(f"<th class=\"{'text' if formats.get(c, 'text') == 'text' else ''}\">"
                   f"{esc(headers.get(c, c))}</th>" for c in shown)
    rows = []
    for record in df.to_dict("records"):
        cells = []
        for col in shown:
            value = record[col]
            kind = formats.get(col, "num" if isinstance(value, float) else "text")
            text, cls = cell(value, kind)
            if col in links and isinstance(value, str):
                text = f"<a href=\"{esc(links[col].format(value=value))}\">{text}</a>"
            if col in subs and not _missing(record[subs[col]]):
                text += f"<span class=\"sub\">{esc(record[subs[col]])}</span>"
            cells.append(f"<td class=\"{cls}\">{text}</td>" if cls else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    tid = f" id=\"{esc(table_id)}\"" if table_id else ""
    cls = " class=\"compact\"" if compact else ""
    return (f"<div class=\"scroll\"><table{tid}{cls}><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _heat(value: float, scale: float) -> str:
    """Background colour of a return: green up, red down, stronger with size (capped)."""
    t = min(abs(value) / scale, 1.0) if scale > 0 else 0.0
    if round(value * 100, 1) == 0:
        return "#ffffff"
    base = (6, 118, 71) if value > 0 else (180, 35, 24)
    mix = [round(255 + (c - 255) * t * 0.55) for c in base]
    return "#{:02x}{:02x}{:02x}".format(*mix)


def heatmap(grid: pd.DataFrame, table_id: str, scale: float = 0.08) -> str:
    """Years x months returns as a coloured grid (one decimal); 'Year' and 'Benchmark'
    columns are the calendar-year returns, coloured on a wider scale."""
    head = "<th>Year</th>" + "".join(f"<th>{esc(c)}</th>" for c in grid.columns)
    rows = []
    for year, values in grid.iterrows():
        cells = [f"<td>{esc(year)}</td>"]
        for col, v in values.items():
            if _missing(v):
                cells.append("<td></td>")
                continue
            s = scale * 4 if col in ("Year", "Benchmark") else scale
            cells.append(f"<td style=\"background:{_heat(float(v), s)}\">{fmt_pct(v, 1)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<div class=\"scroll\"><table id=\"{esc(table_id)}\" class=\"compact heatmap\">"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def row(*blocks: str) -> str:
    """Blocks side by side, wrapping under each other when the page is narrow."""
    return "<div class=\"row\">" + "".join(f"<div>{b}</div>" for b in blocks) + "</div>"


def link_list(items: Sequence[tuple[str, str]]) -> str:
    return "<ul>" + "".join(f"<li><a href=\"{esc(href)}\">{esc(text)}</a></li>" for href, text in items) + "</ul>"
