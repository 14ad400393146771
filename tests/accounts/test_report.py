"""The accounts in the HTML report: a section on every model page (with charts where accounts
follow the model) and an overview on the index, from a real book's warehouse."""

from __future__ import annotations

import re

IMG = re.compile(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"')


def _section(text: str, sid: str) -> str:
    return text.split(f'<section id="{sid}">')[1].split("</section>")[0]


def test_model_pages_and_the_index_show_the_accounts(book, tmp_path):
    import duckdb

    from pipelines.reporting.build import write_reports

    result = write_reports(book)
    page = _section(result.pages["static_60_40"].read_text(), "accounts")
    assert len(IMG.findall(page)) == 3, "AUM, drift and tickets charts"
    con = duckdb.connect(str(book.warehouse_path), read_only=True)
    n = con.execute("SELECT count(*) FROM account_performance WHERE portfolio_id = 'static_60_40'").fetchone()[0]
    con.close()
    assert f">{n:,}<" in page, "the accounts count card"
    index = _section(result.index.read_text(), "accounts-section")
    assert IMG.search(index) and 'id="accounts-by-model"' in index
    assert 'href="static_60_40.html#accounts"' in index


def test_a_model_without_accounts_says_so(home):
    from pipelines.reporting.build import write_reports

    result = write_reports(home)
    page = _section(result.pages["static_60_40"].read_text(), "accounts")
    assert "No client account follows this model" in page
    assert 'id="accounts-section"' not in result.index.read_text()
