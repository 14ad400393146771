"""Transaction costs of a ticket, vectorised over portfolios and assets.

cost = max(commission_bps * notional, min_commission)       (only when the ticket trades)
     + half_spread_bps[asset class] * notional
     + impact_bps * participation * notional,  participation = |quantity| / day's volume

Without volume (the bundled data has none) the impact term is zero. Costs come out of cash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.config import CostModel


@dataclass(frozen=True)
class CostArrays:
    """A batch of cost models, broadcast against (n_portfolios, n_assets) tickets."""

    commission: np.ndarray      # (K, 1) commission rate (fraction of notional)
    min_commission: np.ndarray  # (K, 1) currency per ticket
    spread: np.ndarray          # (K, N) half-spread rate per asset
    impact: np.ndarray          # (K, 1) rate per 100% participation

    @classmethod
    def build(cls, models: Sequence[CostModel], symbols: Sequence[str],
              asset_classes: Mapping[str, str]) -> CostArrays:
        col = lambda xs: np.array(xs, dtype=float).reshape(-1, 1)  # noqa: E731
        return cls(
            commission=col([m.commission_bps / 1e4 for m in models]),
            min_commission=col([m.min_commission for m in models]),
            spread=np.array([[m.half_spread_bps.get(asset_classes[s], 0.0) / 1e4 for s in symbols]
                             for m in models], dtype=float).reshape(len(models), len(symbols)),
            impact=col([m.impact_bps / 1e4 for m in models]))

    @property
    def proportional(self) -> np.ndarray:
        """(K, N) cost per unit of notional when the minimum does not bind and impact is zero."""
        return self.commission + self.spread

    @property
    def has_minimum(self) -> bool:
        return bool(np.any(self.min_commission > 0))

    def rows(self, mask: np.ndarray) -> CostArrays:
        return CostArrays(self.commission[mask], self.min_commission[mask], self.spread[mask],
                          self.impact[mask])

    def expand(self) -> CostArrays:
        """The same models broadcast against (K, m, N) tickets (m rebalance dates)."""
        return CostArrays(self.commission[:, None], self.min_commission[:, None], self.spread[:, None, :],
                          self.impact[:, None])


def ticket_costs(quantity: np.ndarray, price: np.ndarray, c: CostArrays,
                 volume: np.ndarray | None = None) -> np.ndarray:
    """(K, N) cost of trading signed `quantity` at `price`; zero where nothing trades."""
    q = np.abs(quantity)
    notional = q * price
    traded = q > 0
    commission = np.where(traded, np.maximum(notional * c.commission, c.min_commission), 0.0)
    cost = commission + notional * c.spread
    if volume is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            participation = np.where(np.isfinite(volume) & (volume > 0), q / volume, 0.0)
        cost = cost + notional * c.impact * participation
    return cost
