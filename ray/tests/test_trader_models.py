"""Trader models: parametric sizes, history resampling, Poisson counts."""

from __future__ import annotations

import math

import numpy as np

from montecarlo_sim.engine import HistoryTrader, MaxLossRule, ParametricTrader, SimulationSpec, run_inline
from montecarlo_sim.engine.streams import chunk_generator
from montecarlo_sim.engine.trader import HistorySampler, ParametricSampler

from .helpers import assert_mean

N = 200_000


def sample(sampler, trades: int, rows: int, seed: int = 3) -> np.ndarray:
    rng = chunk_generator(seed, 0)
    out = np.empty((trades, rows))
    sampler.start_block(rng, trades, rows)
    for j in range(trades):
        sampler.trade(j, out[j], None)
    return out


def test_parametric_fixed_sizes_are_exact_values():
    x = sample(ParametricSampler(ParametricTrader(0.3, 600.1, 400.2), N), 1, N)[0]
    assert set(np.unique(x)) == {600.1, -400.2}
    wins = np.count_nonzero(x > 0)
    assert abs(wins / N - 0.3) < 4 * math.sqrt(0.21 / N)


def test_size_variation_keeps_mean_and_has_requested_cv():
    cv = 0.5
    x = sample(ParametricSampler(ParametricTrader(1.0, 600, 400, size_variation=cv), N), 1, N)[0]
    assert_mean(x, 600.0, "mean win size")
    assert abs(x.std() / x.mean() - cv) < 0.02
    losses = sample(ParametricSampler(ParametricTrader(0.0, 600, 400, size_variation=cv), N), 1, N)[0]
    assert_mean(losses, -400.0, "mean loss size")


def test_history_iid_uses_each_value_uniformly():
    pnl = tuple(float(v) for v in range(10))
    x = sample(HistorySampler(HistoryTrader(pnl), N), 1, N)[0]
    freq = np.bincount(x.astype(int), minlength=10) / N
    assert np.all(np.abs(freq - 0.1) < 4 * math.sqrt(0.09 / N))


def test_stationary_block_bootstrap_block_lengths():
    """Mean run of consecutive history positions is L (for H >> L), and
    every position is equally likely."""
    h, L, trades, rows = 1000, 4.0, 200, 2000
    pnl = tuple(float(v) for v in range(h))
    x = sample(HistorySampler(HistoryTrader(pnl, True, L), rows), trades, rows).astype(int)
    cont = (x[1:] == (x[:-1] + 1) % h)
    # P(continue) = 1 - 1/L, plus the 1/(L*H) chance a restart lands on the next index.
    p_cont = 1 - 1 / L + 1 / (L * h)
    est = cont.mean()
    assert abs(est - p_cont) < 4 * math.sqrt(p_cont * (1 - p_cont) / cont.size) * 3  # rows are correlated in time
    freq = np.bincount(x.ravel(), minlength=h) / x.size
    assert abs(freq.mean() - 1 / h) < 1e-12 and freq.max() < 3 / h


def test_poisson_trade_counts():
    spec = SimulationSpec(
        initial_balance=1e6,
        max_loss=MaxLossRule(1e5, "Static"),
        trader=ParametricTrader(0.5, 1, 1),
        days=10,
        trades_per_day=2.5,
        poisson_trades=True,
    )
    o = run_inline(spec, 1, 50_000)
    # Funded, nothing breaches: trades over 10 days ~ Poisson(25).
    assert_mean(o.trades, 25.0, "trades in 10 days")
    assert abs(o.trades.var() - 25.0) < 1.0


def test_max_drawdown_of_a_losing_streak():
    """Every trade loses 100: drawdown grows by 100 a trade until the floor."""
    spec = SimulationSpec(
        initial_balance=10_000,
        max_loss=MaxLossRule(1_000, "Static"),
        trader=HistoryTrader((-100.0,)),
        days=5,
        trades_per_day=3,
    )
    o = run_inline(spec, 1, 10)
    assert np.all(o.trades == 10) and np.all(o.day == 4)
    assert np.all(o.max_drawdown == 1_000) and np.all(o.final_balance == 9_000)
