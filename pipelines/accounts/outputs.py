"""A shard's rows, staged as Parquet parts for the single loader.

Columns are built from the simulation's arrays directly (dictionary-encoded strings, no Python
object per row) and written in parts of about a million rows, so a five-year backfill of
10,000 accounts never holds its 12 million NAV rows in memory. Lineage (run id, data snapshot)
is added by the loader, once per table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.accounts.rebalance import REASONS
from pipelines.accounts.simulate import FLOW_KINDS, Sink, State
from pipelines.lake.files import write_parquet_atomic

NOTES = (None, "rejected: more than selling everything would raise, net of costs",
         "advisory fee accrued over the previous month")
STATUS = ("applied", "rejected")
TABLES = ("nav", "trades", "holdings", "flows", "state", "performance")
PART_ROWS = 1_000_000


def dictionary(codes: np.ndarray, values: list[str | None]) -> pa.DictionaryArray:
    """A string column from integer codes into `values` (None values become nulls)."""
    codes = np.asarray(codes, dtype=np.int32)
    none = [i for i, v in enumerate(values) if v is None]
    mask = np.isin(codes, none) | (codes < 0) if none or (codes < 0).any() else None
    vocab = pa.array(["" if v is None else v for v in values] or [""], pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(np.maximum(codes, 0), pa.int32(), mask=mask), vocab)


@dataclass
class ShardOutputs(Sink):
    """Collects a shard's rows and writes them under `folder` as <table>-<part>.parquet."""

    folder: Path
    dates: pd.DatetimeIndex
    ids: np.ndarray
    symbols: list[str]
    models: list[str]
    versions: list[str]
    _buf: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in TABLES})
    _rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    _pending: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    _parts: dict[str, list[str]] = field(default_factory=lambda: {t: [] for t in TABLES})

    def __post_init__(self) -> None:
        self._date32 = pa.array(self.dates.date, pa.date32())
        self._ids = list(self.ids)

    # ------------------------------------------------------------------ Sink
    def nav(self, t, rows, model, nav, cash, net_flow, ret, drift_, version) -> None:
        self._add("nav", {"t": np.full(len(rows), t), "k": rows, "m": model, "nav": nav, "cash": cash,
                          "net_flow": net_flow, "daily_return": ret, "drift": drift_.astype(np.float32),
                          "v": version})

    def trades(self, t, k, n, delta, price, cost, reason, model, version) -> None:
        qty = np.abs(delta)
        self._add("trades", {"t": np.full(len(k), t), "k": k, "m": model, "n": n, "buy": delta > 0,
                             "quantity": qty, "price": price, "notional": qty * price, "cost": cost,
                             "reason": reason, "v": version})

    def holdings(self, t, k, n, quantity) -> None:
        self._add("holdings", {"t": np.full(len(k), t), "k": k, "n": n, "quantity": quantity})

    def flows(self, t, k, kind, amount, status, flow_id, note) -> None:
        self._add("flows", {"t": np.full(len(k), t), "k": k, "kind": kind, "amount": amount, "status": status,
                            "flow_id": flow_id, "note": note})

    def state(self, t, rows, state: State) -> None:
        cols = {name: getattr(state, name)[rows].copy() for name in state.scalar_fields()}
        self._add("state", {"t": np.full(len(rows), t), "k": rows, **cols})

    def performance(self, frame: pd.DataFrame) -> None:
        self._write("performance", pa.Table.from_pandas(frame, preserve_index=False))

    # ------------------------------------------------------------------ writing
    def _add(self, table: str, cols: dict) -> None:
        n = len(cols["k"])
        if not n:
            return
        self._buf[table].append(cols)
        self._pending[table] += n
        if self._pending[table] >= PART_ROWS:
            self._flush(table)

    def _flush(self, table: str) -> None:
        chunks = self._buf[table]
        if not chunks:
            return
        cols = {c: np.concatenate([ch[c] for ch in chunks]) for c in chunks[0]}
        self._buf[table], self._pending[table] = [], 0
        self._write(table, getattr(self, f"_{table}_table")(cols))

    def _write(self, table: str, arrow: pa.Table) -> None:
        path = self.folder / f"{table}-{len(self._parts[table]):04d}.parquet"
        write_parquet_atomic(arrow, path)
        self._parts[table].append(str(path))
        self._rows[table] += arrow.num_rows

    def _common(self, cols: dict, date_name: str = "date") -> dict:
        return {date_name: self._date32.take(pa.array(cols["t"], pa.int32())),
                "account_id": dictionary(cols["k"], self._ids)}

    def _nav_table(self, c: dict) -> pa.Table:
        return pa.table({**self._common(c), "portfolio_id": dictionary(c["m"], self.models),
                         "nav": c["nav"], "cash": c["cash"], "net_flow": c["net_flow"],
                         "daily_return": c["daily_return"], "drift": c["drift"],
                         "model_version": dictionary(c["v"], self.versions)})

    def _trades_table(self, c: dict) -> pa.Table:
        return pa.table({**self._common(c, "trade_date"), "portfolio_id": dictionary(c["m"], self.models),
                         "symbol": dictionary(c["n"], self.symbols),
                         "side": dictionary(c["buy"].astype(np.int32), ["SELL", "BUY"]),
                         "quantity": c["quantity"], "price": c["price"], "notional": c["notional"],
                         "cost": c["cost"], "reason": dictionary(c["reason"], list(REASONS)),
                         "model_version": dictionary(c["v"], self.versions)})

    def _holdings_table(self, c: dict) -> pa.Table:
        return pa.table({**self._common(c), "symbol": dictionary(c["n"], self.symbols), "quantity": c["quantity"]})

    def _flows_table(self, c: dict) -> pa.Table:
        return pa.table({**self._common(c), "kind": dictionary(c["kind"], list(FLOW_KINDS)), "amount": c["amount"],
                         "status": dictionary(c["status"], list(STATUS)),
                         "flow_id": pa.array(list(c["flow_id"]), pa.string()),
                         "note": dictionary(c["note"], list(NOTES))})

    def _state_table(self, c: dict) -> pa.Table:
        out = self._common(c)
        out["portfolio_id"] = dictionary(c.pop("model"), self.models)
        skip = {"t", "k"}
        out.update({name: v for name, v in c.items() if name not in skip})
        return pa.table(out)

    def close(self, manifest: dict) -> Path:
        for table in TABLES:
            self._flush(table)
        body = {**manifest, "parts": self._parts, "rows": self._rows}
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "manifest.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(body, indent=2, default=str))
        tmp.replace(path)
        return path
