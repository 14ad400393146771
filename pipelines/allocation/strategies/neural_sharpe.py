"""Neural Sharpe: the weights of a small network trained by gradient ascent on its own Sharpe
ratio net of costs (models.neural; docs/neural_policy.md).

At date D the policy reads a window of point-in-time features ending at D (each asset's daily
return and trailing volatility, the regime features) and the weights it holds (its own previous
target drifted by the day's returns) and sets long-only weights over the assets and cash. The
model is the latest walk-forward refit trained on data known before D (yearly, expanding
window, the schedule every model shares; `python -m pipelines train` or a backfill trains it,
serving never does). Before the first refit `no_model` decides: equal weight over the risky
assets (the default), all cash, or an error; rows then carry no model version.

Out of sample on the bundled data it does not beat equal weight (README, docs/neural_policy.md):
it is here so that users can see that on their own data, with the platform's costs.

Example portfolio params (all optional; the defaults are those evaluated):

    strategy: neural_sharpe
    universe: [SPX, UST2Y, UST5Y, UST10Y, WTI]
    params: {kind: mlp, hidden: 16, window: 20, trade_rate: 0.2, no_model: equal_weight}
    rebalance: {frequency: daily}
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from pipelines.allocation.base import Allocation, AllocationContext, AllocationError, Needs, Strategy, StrategyParams
from pipelines.allocation.registry import register


class NeuralSharpeParams(StrategyParams):
    kind: Literal["mlp", "lstm"] = "mlp"
    hidden: int = Field(16, ge=1, le=256)
    window: int = Field(20, ge=1, le=252)
    vol_window: int = Field(21, ge=2, le=252)
    regime_features: bool = True
    trade_rate: float | None = Field(0.2, gt=0, lt=1)
    target_vol: float | None = Field(None, gt=0, le=1)
    cost_rate: float = Field(0.001, ge=0, le=0.05)
    seeds: tuple[int, ...] = (0, 1, 2)
    learning_rate: float = Field(3e-3, gt=0, le=10.0)
    max_epochs: int = Field(30, ge=1, le=1000)
    patience: int = Field(5, ge=1, le=1000)
    steps_per_epoch: int = Field(16, ge=1, le=1000)
    no_model: Literal["equal_weight", "cash", "error"] = "equal_weight"

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or len(set(v)) != len(v) or min(v) < 0:
            raise ValueError("seeds must be distinct non-negative integers, at least one")
        return v


@register
class NeuralSharpe(Strategy):
    name = "neural_sharpe"
    Params = NeuralSharpeParams
    params: NeuralSharpeParams

    @property
    def needs(self) -> Needs:
        return Needs(models=True)

    def allocate(self, ctx: AllocationContext) -> Allocation:
        out = ctx.require_models(self.name).neural_weights(ctx.symbols, self.params)
        if out.value is not None:
            return Allocation.of(out.value, out.version)
        if self.params.no_model == "error":
            raise AllocationError(f"{self.name}: no neural policy trained before {ctx.date.date()}")
        if self.params.no_model == "cash":
            return Allocation.of({ctx.cash_symbol: 1.0})
        n = len(ctx.symbols)
        return Allocation.of({s: 1.0 / n for s in ctx.symbols})
