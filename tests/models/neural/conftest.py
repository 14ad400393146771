"""Fixtures of the neural policy tests (the synthetic market lives in neural_support)."""

from __future__ import annotations

import pytest
from neural_support import momentum_market

from models.neural.features import DailyInputs


@pytest.fixture(scope="session")
def market() -> DailyInputs:
    return momentum_market()
