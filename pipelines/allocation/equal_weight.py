"""1/N over the portfolio's symbols that have a price on the date.

Example portfolio params (none needed; the universe says what is held):

    strategy: equal_weight
    universe: [AAPL, AMD, BAC, BBY, CVX, GE, HD, JNJ, JPM, KO]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.allocation.base import AllocationContext, AllocationError, Strategy
from pipelines.allocation.registry import register


@register
class EqualWeight(Strategy):
    name = "equal_weight"

    def weights(self, ctx: AllocationContext) -> pd.Series:
        last = ctx.prices.iloc[-1].reindex(list(ctx.symbols))
        live = last.index[np.isfinite(last.to_numpy(dtype=float))]
        if len(live) == 0:
            raise AllocationError(f"equal_weight: no symbol has a price on {ctx.date.date()}")
        return pd.Series(1.0 / len(live), index=live)
