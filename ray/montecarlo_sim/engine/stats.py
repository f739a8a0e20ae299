"""Estimates: Wilson score intervals and distribution summaries."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Dict, Optional

import numpy as np

PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)


def z_for_confidence(confidence: float) -> float:
    """Two-sided normal quantile: 1.959963... for 0.95."""
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_interval(count: int, n: int, confidence: float) -> Dict[str, float]:
    """Estimate count/n with its Wilson score interval.

    Unlike the normal (Wald) interval it stays inside [0, 1] and is sensible
    for probabilities near 0 or 1 and small counts.
    """
    if n <= 0:
        raise ValueError("n must be >= 1")
    if not 0 <= count <= n:
        raise ValueError("count must be in [0, n]")
    z = z_for_confidence(confidence)
    p = count / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = (z / denom) * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    lower = max(0.0, centre - half)
    upper = min(1.0, centre + half)
    # Exact endpoints at the boundaries (avoid 1e-17 style rounding).
    if count == 0:
        lower = 0.0
    if count == n:
        upper = 1.0
    return {"estimate": p, "lower": lower, "upper": upper, "count": int(count)}


def distribution(values: np.ndarray) -> Optional[Dict[str, float]]:
    """Percentiles (linear interpolation), mean and population std; None if empty."""
    if values.size == 0:
        return None
    v = np.asarray(values, dtype=np.float64)
    qs = np.percentile(v, PERCENTILES)
    summary = {f"p{p}": float(q) for p, q in zip(PERCENTILES, qs)}
    summary["mean"] = float(v.mean())
    summary["std"] = float(v.std())
    return summary
