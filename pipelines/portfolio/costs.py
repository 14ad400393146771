"""Transaction costs: commission (bps, with a minimum per ticket) plus half the spread by asset class."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from pipelines.config import CostModel


def proportional_rates(model: CostModel, symbols: Sequence[str], asset_classes: Mapping[str, str]) -> np.ndarray:
    """Cost per unit of traded notional, per symbol (commission + half-spread), as a fraction."""
    spread = np.array([model.half_spread_bps.get(asset_classes[s], 0.0) for s in symbols])
    return (model.commission_bps + spread) / 1e4


def trade_costs(notional: np.ndarray, rates: np.ndarray, model: CostModel) -> np.ndarray:
    """Cost of each ticket: proportional part, with the commission floored at the minimum."""
    notional = np.abs(notional)
    commission = notional * model.commission_bps / 1e4
    traded = notional > 0
    commission = np.where(traded, np.maximum(commission, model.min_commission), 0.0)
    spread = notional * (rates - model.commission_bps / 1e4)
    return commission + spread
