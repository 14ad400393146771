"""The lake data the models read, as known at the close of a date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from pipelines import lake
from pipelines.config import Settings


@dataclass(frozen=True)
class MarketInputs:
    """Daily closes (dates x symbols) and long macro rows, both known by `as_of`."""

    as_of: pd.Timestamp
    prices: pd.DataFrame
    macro: pd.DataFrame

    def truncated(self, as_of: pd.Timestamp) -> MarketInputs:
        """The same data as a lake read at an earlier `as_of` would return it."""
        as_of = pd.Timestamp(as_of)
        return MarketInputs(as_of, self.prices.loc[:as_of],
                            self.macro[self.macro["release_date"] <= as_of].reset_index(drop=True))


def load_inputs(settings: Settings, as_of: dt.date) -> MarketInputs:
    """Every price and macro row known at the close of `as_of`."""
    prices = lake.read_prices_wide(settings, as_of)
    macro = lake.read_curated(settings, lake.MACRO, as_of)
    return MarketInputs(pd.Timestamp(as_of), prices, macro)
