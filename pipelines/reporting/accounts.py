"""The client accounts in the report: a section on each model portfolio's page (its accounts'
AUM over time, their drift after the last day, their tickets per day) and an overview on the
index (client AUM by model over time, the book's latest figures).

Read from `account_nav`, `account_performance` and `account_trades` by the report's one
warehouse read (`pipelines.reporting.data`); a model no account follows says so.
"""

from __future__ import annotations

import pandas as pd

from pipelines.reporting import html as H
from pipelines.reporting import plots
from pipelines.reporting.data import ReportData


def model_section(data) -> str:
    """The accounts section of one model's page (`data`: its `PortfolioData`)."""
    latest, aum, trades = data.accounts_latest, data.accounts_aum, data.accounts_trades
    if latest.empty or aum.empty:
        return H.note("No client account follows this model portfolio (table `accounts`; "
                      "`python -m pipelines accounts import FILE` or `accounts generate`).")
    last_day = trades[pd.to_datetime(trades["trade_date"]) == pd.to_datetime(trades["trade_date"]).max()] \
        if len(trades) else trades
    outside = int(latest["outside_tolerance"].sum())
    cards = H.figures([
        ("Accounts", H.fmt_num(len(latest), 0), ""),
        ("AUM", H.fmt_num(float(latest["nav"].sum()), 0), ""),
        ("Outside tolerance", f"{outside:,} ({H.fmt_pct(outside / len(latest), 1)})", "neg" if outside else ""),
        ("Median drift", H.fmt_pct(float(latest["drift"].median())), ""),
        ("Median TWR since inception", H.fmt_pct(float(latest["twr"].median())),
         H.signed_class(float(latest["twr"].median()))),
        ("Tickets on the last day", H.fmt_num(int(last_day["tickets"].sum()) if len(last_day) else 0, 0), ""),
    ])
    parts = [cards, H.image(plots.accounts_aum(aum), "client AUM and accounts over time"),
             H.note(f"Client AUM (the accounts' NAV summed) and number of accounts at each week's last trading "
                    f"day, to {H.fmt_date(aum['date'].max())}."),
             H.image(plots.drift_histogram(latest["drift"]), "drift distribution"),
             H.note(f"Drift after the last day's trades, as of {H.fmt_date(latest['as_of'].max())}: accounts "
                    "within their tolerance need no trade; whole-unit accounts and minimum tickets can keep "
                    "some outside it.")]
    if len(trades):
        parts += [H.image(plots.account_tickets(trades), "account tickets per day"),
                  H.note("Account tickets per trading day by reason over the last year of account trades "
                         "(the desk nets them per symbol into block orders).")]
    return "".join(parts)


def overview(report: ReportData) -> str:
    """The index page's accounts section, empty when the warehouse has no account rows."""
    aum = report.tables.get("accounts_aum", {})
    latest = report.tables.get("accounts_latest", {})
    if not aum or not latest:
        return ""
    frame = pd.concat([df.assign(portfolio_id=pid) for pid, df in aum.items()], ignore_index=True)
    books = pd.concat([df.assign(portfolio_id=pid) for pid, df in latest.items()], ignore_index=True)
    by_model = books.groupby("portfolio_id").agg(accounts=("nav", "size"), aum=("nav", "sum"),
                                                 outside_tolerance=("outside_tolerance", "sum"),
                                                 median_drift=("drift", "median"),
                                                 median_twr=("twr", "median")).sort_values("aum", ascending=False)
    cards = H.figures([("Client accounts", H.fmt_num(len(books), 0), ""),
                       ("Client AUM", H.fmt_num(float(books["nav"].sum()), 0), ""),
                       ("Models followed", str(len(by_model)), ""),
                       ("Outside tolerance", H.fmt_num(int(books["outside_tolerance"].sum()), 0), "")])
    table = H.table(by_model.reset_index(), {"accounts": "int", "aum": "money", "outside_tolerance": "int",
                                             "median_drift": "pct", "median_twr": "ret"},
                    table_id="accounts-by-model", links={"portfolio_id": "{value}.html#accounts"}, compact=True)
    return H.section("accounts-section", "Client accounts",
                     cards + H.image(plots.aum_by_model(frame), "client AUM by model over time") + table
                     + H.note("Client accounts follow the model portfolios (one model each) with their own "
                              "cash, flows, fees and drift; each model's page has its accounts' section."))
