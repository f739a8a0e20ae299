"""Wilson intervals and distribution summaries."""

from __future__ import annotations

import math

import numpy as np
import pytest

from montecarlo_sim.engine.stats import distribution, wilson_interval, z_for_confidence


def test_z_values():
    assert z_for_confidence(0.95) == pytest.approx(1.959963984540054)
    assert z_for_confidence(0.99) == pytest.approx(2.5758293035489)


def test_wilson_matches_formula():
    # 50/100 at 95%: centre 0.5, half-width z*sqrt(.25/100 + z^2/40000)/(1+z^2/100)
    z = z_for_confidence(0.95)
    half = z * math.sqrt(0.25 / 100 + z * z / 40000) / (1 + z * z / 100)
    w = wilson_interval(50, 100, 0.95)
    assert w["estimate"] == 0.5 and w["count"] == 50
    assert w["lower"] == pytest.approx(0.5 - half) and w["upper"] == pytest.approx(0.5 + half)
    # A textbook value: 81 successes of 263 at 95% -> [0.2553, 0.3662].
    w = wilson_interval(81, 263, 0.95)
    assert w["lower"] == pytest.approx(0.2553, abs=1e-4) and w["upper"] == pytest.approx(0.3662, abs=1e-4)


def test_wilson_edges_stay_in_unit_interval():
    zero = wilson_interval(0, 1000, 0.95)
    assert zero["lower"] == 0.0 and 0 < zero["upper"] < 0.01
    one = wilson_interval(1000, 1000, 0.95)
    assert one["upper"] == 1.0 and 0.99 < one["lower"] < 1.0
    tiny = wilson_interval(1, 1, 0.5)
    assert 0.0 <= tiny["lower"] <= tiny["upper"] == 1.0


def test_distribution_summary():
    d = distribution(np.arange(101, dtype=float))
    assert d["p1"] == 1.0 and d["p50"] == 50.0 and d["p99"] == 99.0 and d["p10"] == 10.0
    assert d["mean"] == 50.0 and d["std"] == pytest.approx(np.arange(101).std())
    assert set(d) == {"p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "mean", "std"}
    assert distribution(np.array([])) is None
