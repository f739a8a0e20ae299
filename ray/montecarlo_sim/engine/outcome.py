"""Per-path outcomes of a simulation (one chunk, or several merged in order)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

UNRESOLVED = 0
PASSED = 1
FAILED = 2

NO_REASON = 0
MAX_LOSS = 1
DAILY_LOSS = 2
TIME_LIMIT = 3


@dataclass
class PathOutcomes:
    """Column arrays, one entry per path, in path order.

    ``day``: the day a path passed or failed, else the last simulated day.
    ``trades``: trades made until the path ended (pass, breach or horizon).
    ``final_balance``: balance when the path ended (at the passing or
    breaching trade, or at the end of the last day).
    ``max_drawdown``: largest peak-to-trough fall of the balance (the peak
    includes the initial balance), in currency, over the trades made.
    """

    outcome: np.ndarray  # int8
    reason: np.ndarray  # int8
    day: np.ndarray  # int16
    trades: np.ndarray  # int32
    final_balance: np.ndarray  # float64
    max_drawdown: np.ndarray  # float64

    @classmethod
    def empty(cls, n: int) -> "PathOutcomes":
        return cls(
            outcome=np.zeros(n, dtype=np.int8),
            reason=np.zeros(n, dtype=np.int8),
            day=np.zeros(n, dtype=np.int16),
            trades=np.zeros(n, dtype=np.int32),
            final_balance=np.zeros(n, dtype=np.float64),
            max_drawdown=np.zeros(n, dtype=np.float64),
        )

    def __len__(self) -> int:
        return int(self.outcome.shape[0])

    @property
    def path_steps(self) -> int:
        """Trades made by all paths: the engine's unit of work."""
        return int(self.trades.sum(dtype=np.int64))

    @classmethod
    def concat(cls, parts: Sequence["PathOutcomes"]) -> "PathOutcomes":
        """Merge chunk outcomes; the caller passes them in chunk order."""
        if len(parts) == 1:
            return parts[0]
        return cls(
            outcome=np.concatenate([p.outcome for p in parts]),
            reason=np.concatenate([p.reason for p in parts]),
            day=np.concatenate([p.day for p in parts]),
            trades=np.concatenate([p.trades for p in parts]),
            final_balance=np.concatenate([p.final_balance for p in parts]),
            max_drawdown=np.concatenate([p.max_drawdown for p in parts]),
        )
