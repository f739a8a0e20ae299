"""Orderings that must hold between rule variants on the same seed.

The engine compacts finished paths, so two variants share random draws only
until their paths diverge: the orderings are statistical, checked on
workloads where the gap is many standard errors wide.
"""

from __future__ import annotations

import pytest

from montecarlo_sim.engine import DailyLossRule, MaxLossRule, ParametricTrader, SimulationSpec

from .helpers import counts, run

PATHS = 100_000
SEED = 424242


def assessment(max_loss: MaxLossRule, daily=None, trader=None) -> SimulationSpec:
    return SimulationSpec(
        initial_balance=100_000,
        max_loss=max_loss,
        trader=trader or ParametricTrader(0.5, 600, 400),
        days=30,
        trades_per_day=3,
        profit_target=10_000,
        daily_loss=daily,
        time_limit_at_end=True,
    )


@pytest.mark.parametrize("lock", [False, True], ids=["no-lock", "lock"])
def test_static_ge_trailing_eod_ge_trailing_intraday(lock):
    p = {}
    for mode in ("Static", "TrailingEndOfDay", "TrailingIntraday"):
        o = run(assessment(MaxLossRule(3_000, mode, lock)), PATHS, SEED)
        p[mode] = counts(o)["pass"]
    assert p["Static"] >= p["TrailingEndOfDay"] >= p["TrailingIntraday"], p
    # And not trivially equal: the floors differ on this workload.
    assert p["Static"] > p["TrailingIntraday"]


def test_lock_never_lowers_pass_probability():
    for mode in ("TrailingEndOfDay", "TrailingIntraday"):
        free = counts(run(assessment(MaxLossRule(3_000, mode, False)), PATHS, SEED))["pass"]
        locked = counts(run(assessment(MaxLossRule(3_000, mode, True)), PATHS, SEED))["pass"]
        assert locked >= free, mode


@pytest.mark.parametrize("stop_day", [False, True], ids=["Fail", "StopDay"])
def test_stricter_daily_loss_never_raises_pass_probability(stop_day):
    ml = MaxLossRule(10_000, "TrailingEndOfDay")
    passes = []
    for amount in (None, 2_000, 1_200, 800):
        daily = None if amount is None else DailyLossRule(amount, stop_day)
        passes.append(counts(run(assessment(ml, daily), PATHS, SEED))["pass"])
    assert passes == sorted(passes, reverse=True), passes
    assert passes[0] > passes[-1]


def test_fail_is_stricter_than_stopday():
    ml = MaxLossRule(10_000, "Static")
    fail = counts(run(assessment(ml, DailyLossRule(800, False)), PATHS, SEED))["pass"]
    stop = counts(run(assessment(ml, DailyLossRule(800, True)), PATHS, SEED))["pass"]
    assert stop > fail
