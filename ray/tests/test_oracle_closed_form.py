"""Engine vs closed forms: gambler's ruin and an absorbing Markov chain."""

from __future__ import annotations

import numpy as np
import pytest

from montecarlo_sim.engine import MaxLossRule, ParametricTrader, SimulationSpec
from montecarlo_sim.engine.outcome import PASSED

from .helpers import INITIAL, UNIT, assert_mean, assert_probability, counts, run
from .oracles.closed_form import absorbing_chain, gamblers_ruin

PATHS = 200_000


def walk_spec(p: float, win: int, loss: int, a: int, b: int, days: int = 365) -> SimulationSpec:
    """One trade a day, Static floor a units below, target b units above."""
    return SimulationSpec(
        initial_balance=INITIAL,
        max_loss=MaxLossRule(a * UNIT, "Static"),
        trader=ParametricTrader(p, win * UNIT, loss * UNIT),
        days=days,
        trades_per_day=1,
        profit_target=b * UNIT,
    )


@pytest.mark.parametrize(
    "p,a,b",
    [
        pytest.param(0.5, 5, 5, id="fair-5-5"),
        pytest.param(0.5, 3, 7, id="fair-3-7"),
        pytest.param(0.45, 6, 4, id="unfair-0.45-6-4"),
        pytest.param(0.6, 4, 6, id="favourable-0.6-4-6"),
    ],
)
def test_gamblers_ruin(p, a, b):
    exact_pass, exact_steps = gamblers_ruin(p, a, b)
    o = run(walk_spec(p, 1, 1, a, b), PATHS, seed=11)
    c = counts(o)
    assert c["unresolved"] == 0
    assert_probability(c["pass"], PATHS, exact_pass, "P(pass)")
    assert_probability(c["maxLoss"], PATHS, 1 - exact_pass, "P(fail)")
    # Expected number of trades until absorption (pass or ruin).
    assert_mean(o.trades, exact_steps, "E[trades]")
    # A pass happens exactly at +b units, a ruin exactly at -a units.
    passed = o.outcome == PASSED
    assert np.all(o.final_balance[passed] == INITIAL + b * UNIT)
    assert np.all(o.final_balance[~passed] == INITIAL - a * UNIT)


@pytest.mark.parametrize(
    "p,a,b",
    [
        pytest.param(0.4, 4, 6, id="plus2-minus1-p0.4"),
        pytest.param(0.3, 5, 5, id="plus2-minus1-p0.3"),
    ],
)
def test_absorbing_chain_plus2_minus1(p, a, b):
    exact = absorbing_chain({2: p, -1: 1 - p}, a, b)
    o = run(walk_spec(p, 2, 1, a, b), PATHS, seed=12)
    c = counts(o)
    assert c["unresolved"] == 0
    assert_probability(c["pass"], PATHS, exact["pass"], "P(pass)")
    assert_probability(c["maxLoss"], PATHS, exact["fail"], "P(fail)")
    assert_mean(o.trades, exact["steps"], "E[trades]")
    assert_mean(o.trades[o.outcome == PASSED], exact["steps_given_pass"], "E[trades | pass]")
