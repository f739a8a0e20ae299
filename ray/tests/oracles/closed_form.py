"""Closed-form and linear-algebra oracles from simulation.md."""

from __future__ import annotations

from typing import Dict, Tuple

import numpy as np


def gamblers_ruin(p: float, a: int, b: int) -> Tuple[float, float]:
    """(P(reach +b before -a), E[steps]) for +-1 steps with up-probability p."""
    q = 1.0 - p
    if abs(p - 0.5) < 1e-15:
        return a / (a + b), float(a * b)
    r = q / p
    pass_p = (1.0 - r**a) / (1.0 - r ** (a + b))
    steps = a / (q - p) - ((a + b) / (q - p)) * pass_p
    return pass_p, steps


def absorbing_chain(step_probs: Dict[int, float], a: int, b: int) -> Dict[str, float]:
    """Integer-lattice walk from 0, absorbed at <= -a (fail) or >= b (pass).

    Q: transient-to-transient, R: transient-to-{pass, fail};
    B = (I - Q)^-1 R, t = (I - Q)^-1 1.
    Also E[steps * 1{pass}] through the same fundamental matrix.
    """
    transient = list(range(-a + 1, b))
    index = {x: i for i, x in enumerate(transient)}
    n = len(transient)
    Q = np.zeros((n, n))
    R = np.zeros((n, 2))  # columns: pass, fail
    for x in transient:
        for step, pr in step_probs.items():
            y = x + step
            if y >= b:
                R[index[x], 0] += pr
            elif y <= -a:
                R[index[x], 1] += pr
            else:
                Q[index[x], index[y]] += pr
    N = np.linalg.inv(np.eye(n) - Q)
    B = N @ R
    t = N @ np.ones(n)
    # E[T 1{pass}] = N (Q E[T 1{pass}] ...): h = N (B_pass) gives sum over
    # visits of the pass probability from each visited state.
    h = N @ B[:, 0]
    i0 = index[0]
    return {
        "pass": float(B[i0, 0]),
        "fail": float(B[i0, 1]),
        "steps": float(t[i0]),
        "steps_given_pass": float(h[i0] / B[i0, 0]),
    }
