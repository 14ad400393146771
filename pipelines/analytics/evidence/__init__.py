"""Evidence that a strategy's edge is real: pure functions over return series, no I/O.

- sharpe: probabilistic and deflated Sharpe ratio, minimum track record length
- bootstrap: stationary-bootstrap interval of a Sharpe-ratio difference
- spa: White's reality check and Hansen's SPA over a family of strategies
- pbo: probability of backtest overfitting by CSCV
- cpcv: combinatorial purged CV backtest paths (splits in models.cv)
- verdict: the plain statement
"""

from pipelines.analytics.evidence.bootstrap import SharpeDifference, sharpe_difference_ci
from pipelines.analytics.evidence.cpcv import cpcv_backtest_paths
from pipelines.analytics.evidence.pbo import PBOResult, probability_of_backtest_overfitting
from pipelines.analytics.evidence.sharpe import (
                                                 SharpeStats,
                                                 deflated_sharpe_ratio,
                                                 expected_max_sharpe,
                                                 min_track_record_length,
                                                 probabilistic_sharpe_ratio,
)
from pipelines.analytics.evidence.spa import FamilyTest, reality_check_and_spa
from pipelines.analytics.evidence.verdict import Verdict, verdict

__all__ = ["FamilyTest", "PBOResult", "SharpeDifference", "SharpeStats", "Verdict",
           "cpcv_backtest_paths", "deflated_sharpe_ratio", "expected_max_sharpe",
           "min_track_record_length", "probabilistic_sharpe_ratio",
           "probability_of_backtest_overfitting", "reality_check_and_spa",
           "sharpe_difference_ci", "verdict"]
