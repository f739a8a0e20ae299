"""Shared helpers: lattice cases as engine specs, statistical assertions."""

from __future__ import annotations

import math

import numpy as np

from montecarlo_sim.engine import (
    DailyLossRule,
    MaxLossRule,
    ParametricTrader,
    SimulationSpec,
    run_inline,
)
from montecarlo_sim.engine.outcome import PathOutcomes

from .oracles.lattice import LatticeCase

UNIT = 100.0
INITIAL = 100_000.0
# Tolerance in standard errors for Monte Carlo vs exact answers.
K_SE = 4.0


def lattice_spec(case: LatticeCase) -> SimulationSpec:
    """The engine spec of a lattice case: 1 unit = 100 currency, start 100k."""
    return SimulationSpec(
        initial_balance=INITIAL,
        max_loss=MaxLossRule(case.max_loss * UNIT, case.mode, case.lock),
        trader=ParametricTrader(case.p, case.win * UNIT, case.loss * UNIT),
        days=case.days,
        trades_per_day=case.poisson_mean if case.poisson_mean is not None else case.trades_per_day,
        poisson_trades=case.poisson_mean is not None,
        profit_target=None if case.target is None else case.target * UNIT,
        min_trading_days=case.min_days,
        daily_loss=None if case.daily is None else DailyLossRule(case.daily * UNIT, case.stop_day),
        consistency_share=case.share,
        time_limit_at_end=case.time_limit,
    )


def run(spec: SimulationSpec, paths: int, seed: int = 20240601) -> PathOutcomes:
    return run_inline(spec, seed, paths)


def assert_probability(count: int, n: int, exact: float, what: str, k: float = K_SE) -> None:
    """|count/n - exact| within k standard errors (of the exact p)."""
    se = math.sqrt(max(exact * (1.0 - exact), 1e-12) / n)
    est = count / n
    assert abs(est - exact) <= k * se + 1e-12, (
        f"{what}: estimate {est:.5f} vs exact {exact:.5f} (|diff| {abs(est - exact):.5f} > {k}*se {k * se:.5f})"
    )


def assert_mean(values: np.ndarray, exact: float, what: str, k: float = K_SE) -> None:
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    assert n > 1, f"{what}: no samples"
    se = values.std(ddof=1) / math.sqrt(n)
    est = values.mean()
    assert abs(est - exact) <= k * se + 1e-9, (
        f"{what}: mean {est:.5f} vs exact {exact:.5f} (|diff| {abs(est - exact):.5f} > {k}*se {k * se:.5f})"
    )


def counts(o: PathOutcomes) -> dict:
    from montecarlo_sim.engine.outcome import DAILY_LOSS, MAX_LOSS, PASSED, TIME_LIMIT, UNRESOLVED

    return {
        "pass": int(np.count_nonzero(o.outcome == PASSED)),
        "maxLoss": int(np.count_nonzero(o.reason == MAX_LOSS)),
        "dailyLoss": int(np.count_nonzero(o.reason == DAILY_LOSS)),
        "timeLimit": int(np.count_nonzero(o.reason == TIME_LIMIT)),
        "unresolved": int(np.count_nonzero(o.outcome == UNRESOLVED)),
    }
