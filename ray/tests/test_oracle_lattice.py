"""Engine vs the exact dynamic-programming oracle (tests/oracles/lattice.py).

Each case exercises the rules beyond the simple walk: time limits, minimum
trading days, daily loss (Fail and StopDay), trailing floors with and
without the lock, consistency, Poisson trade counts and funded survival.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import replace

import numpy as np
import pytest

from montecarlo_sim.engine.outcome import PASSED

from .helpers import INITIAL, UNIT, assert_mean, assert_probability, counts, lattice_spec, run
from .oracles.lattice import LatticeCase, solve

PATHS = 150_000

CASES = {
    # Assessment with a time limit: open paths fail with reason timeLimit.
    "time-limit": LatticeCase(p=0.5, win=1, loss=1, days=6, trades_per_day=2, max_loss=4, target=4, time_limit=True),
    # Horizon without a time limit: open paths are unresolved.
    "horizon-unresolved": LatticeCase(p=0.55, win=1, loss=1, days=5, trades_per_day=2, max_loss=4, target=5),
    "min-trading-days": LatticeCase(p=0.6, win=1, loss=1, days=8, trades_per_day=3, max_loss=4, target=3, min_days=4, time_limit=True),
    "daily-loss-fail": LatticeCase(p=0.5, win=1, loss=1, days=6, trades_per_day=4, max_loss=6, target=5, daily=2),
    "daily-loss-stopday": LatticeCase(p=0.5, win=1, loss=1, days=6, trades_per_day=4, max_loss=4, target=5, daily=2, stop_day=True),
    "daily-stopday-plus2-minus1": LatticeCase(p=0.4, win=2, loss=1, days=5, trades_per_day=4, max_loss=5, target=6, daily=2, stop_day=True, time_limit=True),
    "trailing-eod": LatticeCase(p=0.5, win=1, loss=1, days=7, trades_per_day=3, max_loss=3, mode="TrailingEndOfDay", target=6),
    "trailing-eod-lock": LatticeCase(p=0.5, win=1, loss=1, days=7, trades_per_day=3, max_loss=3, mode="TrailingEndOfDay", lock=True, target=6),
    "trailing-intraday": LatticeCase(p=0.5, win=1, loss=1, days=7, trades_per_day=3, max_loss=3, mode="TrailingIntraday", target=6),
    "trailing-intraday-lock": LatticeCase(p=0.5, win=1, loss=1, days=7, trades_per_day=3, max_loss=3, mode="TrailingIntraday", lock=True, target=6),
    "trailing-intraday-daily": LatticeCase(p=0.55, win=2, loss=1, days=5, trades_per_day=3, max_loss=4, mode="TrailingIntraday", target=8, daily=2),
    "consistency": LatticeCase(p=0.55, win=2, loss=1, days=8, trades_per_day=3, max_loss=5, target=6, share=0.5, time_limit=True),
    "consistency-min-days": LatticeCase(p=0.5, win=1, loss=1, days=8, trades_per_day=3, max_loss=5, target=4, share=0.6, min_days=3),
    "poisson-min-days": LatticeCase(p=0.55, win=1, loss=1, days=8, poisson_mean=1.5, max_loss=4, target=3, min_days=3, time_limit=True),
    "poisson-daily-stopday": LatticeCase(p=0.5, win=1, loss=1, days=6, poisson_mean=2.5, max_loss=5, target=4, daily=2, stop_day=True),
    "trailing-intraday-min-days": LatticeCase(p=0.6, win=1, loss=1, days=6, trades_per_day=2, max_loss=2, mode="TrailingIntraday", target=2, min_days=3),
    # Rule order (ORDER_CASES): the target is reached but blocked by
    # minTradingDays, and on the first day it could pass, one trade both
    # reaches the target and breaches. The breach must win.
    "breach-beats-target-daily": LatticeCase(p=0.5, win=1, loss=1, days=6, trades_per_day=2, max_loss=3, target=2, min_days=4, daily=1),
    "breach-beats-target-stopday": LatticeCase(p=0.5, win=1, loss=1, days=6, trades_per_day=2, max_loss=3, target=2, min_days=4, daily=1, stop_day=True),
    # The floor, 2 below the intraday high, rises above the target (3): at 4
    # with a high of 5, a loss on day 5 lands on the target and on the floor.
    "breach-beats-target-trailing": LatticeCase(p=0.6, win=1, loss=1, days=6, trades_per_day=3, max_loss=2, mode="TrailingIntraday", target=3, min_days=5),
    # A StopDay breach on day 3 at or above the target stops the day without
    # passing; the path trades again on day 4 and may pass then.
    "stopday-beats-target-first-eligible-day": LatticeCase(p=0.6, win=1, loss=1, days=4, trades_per_day=2, max_loss=6, target=1, min_days=3, daily=1, stop_day=True, time_limit=True),
    # More trades a day than one trade block (32): several blocks per day.
    "multi-block-day-stopday": LatticeCase(p=0.5, win=1, loss=1, days=2, trades_per_day=45, max_loss=7, mode="TrailingIntraday", target=8, daily=4, stop_day=True),
    "funded-trailing-intraday-daily": LatticeCase(p=0.5, win=1, loss=1, days=10, trades_per_day=3, max_loss=4, mode="TrailingIntraday", daily=2),
    "funded-trailing-eod-lock": LatticeCase(p=0.55, win=1, loss=1, days=10, trades_per_day=2, max_loss=3, mode="TrailingEndOfDay", lock=True),
}

ORDER_CASES = [
    "breach-beats-target-daily",
    "breach-beats-target-stopday",
    "breach-beats-target-trailing",
    "stopday-beats-target-first-eligible-day",
]


@pytest.mark.parametrize("name", list(CASES))
def test_engine_matches_lattice_oracle(name):
    case = CASES[name]
    exact = solve(case)
    total = exact.pass_p + exact.max_loss_p + exact.daily_loss_p + exact.open_p
    assert abs(total - 1.0) < 1e-9, "oracle probabilities must sum to 1"

    o = run(lattice_spec(case), PATHS, seed=zlib.crc32(name.encode()))
    c = counts(o)
    assert_probability(c["pass"], PATHS, exact.pass_p, f"{name} P(pass)")
    assert_probability(c["maxLoss"], PATHS, exact.max_loss_p, f"{name} P(maxLoss)")
    assert_probability(c["dailyLoss"], PATHS, exact.daily_loss_p, f"{name} P(dailyLoss)")
    open_count = c["timeLimit"] if case.time_limit and case.target is not None else c["unresolved"]
    assert_probability(open_count, PATHS, exact.open_p, f"{name} P(open at end)")
    if case.target is None or not case.time_limit:
        assert c["timeLimit"] == 0
    if case.target is None:
        assert c["pass"] == 0

    rel_final = (o.final_balance - INITIAL) / UNIT
    assert_mean(rel_final, exact.final_sum, f"{name} E[final balance]")
    if exact.pass_p > 0.01:
        passed = o.outcome == PASSED
        assert_mean(o.day[passed], exact.mean_days_to_pass, f"{name} E[days | pass]")
        if case.poisson_mean is None:
            assert_mean(o.trades[passed], exact.mean_trades_to_pass, f"{name} E[trades | pass]")


def test_oracle_sanity_lock_changes_answer():
    """The lock and the trailing modes must matter on these lattices,
    otherwise the cases above would not test them."""
    a = solve(CASES["trailing-intraday"]).pass_p
    b = solve(CASES["trailing-intraday-lock"]).pass_p
    c = solve(CASES["trailing-eod"]).pass_p
    assert b > a + 0.008 and c > a + 0.008
    assert solve(CASES["trailing-eod-lock"]).pass_p > c + 0.003


@pytest.mark.parametrize("name", ORDER_CASES)
def test_rule_order_cases_catch_a_target_first_engine(name):
    """On these cases an engine checking the target before the breaches would
    be off by far more than the 4 standard errors the comparison allows."""
    right = solve(CASES[name]).pass_p
    wrong = solve(replace(CASES[name], target_first=True)).pass_p
    se = math.sqrt(right * (1.0 - right) / PATHS)
    assert abs(wrong - right) > 10 * se, f"{name}: target-first P(pass) {wrong:.5f} vs {right:.5f}"


def test_zero_trade_days_do_not_count_as_trading_days():
    """Poisson days without trades do not advance minTradingDays: with the
    minimum equal to the simulated days, only paths trading every day pass."""
    case = LatticeCase(p=1.0, win=1, loss=1, days=3, poisson_mean=1.0, max_loss=4, target=1, min_days=3)
    o = run(lattice_spec(case), PATHS, seed=5)
    exact = (1 - np.exp(-1.0)) ** 3
    assert_probability(counts(o)["pass"], PATHS, exact, "P(trade every day)")
    assert abs(solve(case).pass_p - exact) < 1e-12
