"""Turn per-path outcomes into the result's statistics."""

from __future__ import annotations

from typing import Any, Dict

import numpy as np

from .outcome import DAILY_LOSS, FAILED, MAX_LOSS, PASSED, TIME_LIMIT, UNRESOLVED, PathOutcomes
from .stats import distribution, wilson_interval


def summarize(outcomes: PathOutcomes, assessment: bool, confidence: float) -> Dict[str, Any]:
    """The statistics part of a result (camelCase keys, JSON-ready)."""
    n = len(outcomes)
    o = outcomes.outcome
    r = outcomes.reason

    def prob(count: int) -> Dict[str, float]:
        return wilson_interval(int(count), n, confidence)

    n_pass = int(np.count_nonzero(o == PASSED))
    n_fail = int(np.count_nonzero(o == FAILED))
    n_open = int(np.count_nonzero(o == UNRESOLVED))
    passed = o == PASSED
    return {
        "probabilities": {
            "pass": prob(n_pass) if assessment else None,
            "fail": prob(n_fail),
            "unresolved": prob(n_open),
            "survive": prob(n - n_fail),
        },
        "failureReasons": {
            "maxLoss": prob(np.count_nonzero(r == MAX_LOSS)),
            "dailyLoss": prob(np.count_nonzero(r == DAILY_LOSS)),
            "timeLimit": prob(np.count_nonzero(r == TIME_LIMIT)),
        },
        "daysToPass": distribution(outcomes.day[passed]) if assessment else None,
        "tradesToPass": distribution(outcomes.trades[passed]) if assessment else None,
        "finalBalance": distribution(outcomes.final_balance),
        "maxDrawdown": distribution(outcomes.max_drawdown),
    }
