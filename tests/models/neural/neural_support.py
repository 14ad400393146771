"""Synthetic markets for the neural policy tests: small, fast, with a signal planted on purpose.

Asset MOM follows a hidden drift that flips sign with probability 1/`duration` a day, so its
recent returns predict the next ones (a learnable one-asset momentum); NOISE is a driftless
random walk; cash earns a constant rate. A fixed mix cannot time MOM; a policy that reads its
window can.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.neural.features import DailyInputs, FeatureSpec
from models.neural.networks import PolicyConfig
from models.neural.training import TrainConfig


def momentum_market(n: int = 3000, seed: int = 0, drift: float = 0.004, duration: float = 100.0,
                    vol: float = 0.01, with_regime: bool = False) -> DailyInputs:
    rng = np.random.default_rng(seed)
    flips = rng.random(n) < 1.0 / duration
    state = np.where(np.cumsum(flips) % 2 == 0, 1.0, -1.0)
    returns = pd.DataFrame({"MOM": drift * state + vol * rng.standard_normal(n),
                            "NOISE": vol * rng.standard_normal(n)},
                           index=pd.bdate_range("2001-01-01", periods=n, name="date"))
    cash = pd.Series(0.0001, index=returns.index, name="CASH")
    regime = None
    if with_regime:
        level = np.cumsum(0.01 * rng.standard_normal(n))
        regime = pd.DataFrame({"level": level, "spread": np.tanh(level)}, index=returns.index)
        regime.iloc[:30] = np.nan  # a warm-up, as the real regime features have
    return DailyInputs(returns, cash, regime)


SPEC = FeatureSpec(assets=("MOM", "NOISE"), window=20, vol_window=10)
POLICY = PolicyConfig(kind="mlp", hidden=8)
# small and quick: a refit is a fraction of a second once compiled, and one padded size
# (pad_to) covers every fit of the tests, so the training programs compile once
TRAIN = TrainConfig(seeds=(0, 1), learning_rate=1e-2, batch=8, seq_len=32, steps_per_epoch=16,
                    max_epochs=20, patience=6, val_days=126, min_train_days=252, pad_to=4096)
