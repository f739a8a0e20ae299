"""The account rules as vectorised thresholds and exact checks.

The trade loop flags rows against per-day thresholds (a few comparisons
over all rows) and applies the exact rules (``passes`` and the floor and
limit formulas) to the flagged rows only.

Thresholds:
- breach level: a balance <= it breaches the max loss floor or the daily
  loss limit (the larger of the two); the TrailingIntraday floor moves with
  the intraday high and is recomputed per trade.
- target low: a balance below it cannot pass today; +inf when the path
  cannot pass today (minimum trading days not reached, or no trade today).
"""

from __future__ import annotations

from typing import Optional, Union

import numpy as np

from .spec import SimulationSpec

Threshold = Union[float, np.ndarray]


class RuleSet:
    def __init__(self, spec: SimulationSpec) -> None:
        self.initial = float(spec.initial_balance)
        self.ml_amount = float(spec.max_loss.amount)
        self.mode = spec.max_loss.mode
        self.lock = bool(spec.max_loss.lock_at_initial_balance) and self.mode != "Static"
        self.trailing_intraday = self.mode == "TrailingIntraday"
        self.trailing_eod = self.mode == "TrailingEndOfDay"
        self.daily_amount: Optional[float] = None
        self.stop_day = False
        if spec.daily_loss is not None:
            self.daily_amount = float(spec.daily_loss.amount)
            self.stop_day = bool(spec.daily_loss.stop_day)
        self.assessment = spec.is_assessment
        self.target_level = self.initial + float(spec.profit_target) if self.assessment else None
        self.min_days = int(spec.min_trading_days) if self.assessment else 0
        share = spec.consistency_share if self.assessment else None
        self.share: Optional[float] = None if share is None else float(share)
        scale = abs(self.initial) + abs(self.target_level or 0.0)
        self._tol = 1e-9 * scale

    # -- max loss floor -------------------------------------------------------

    def static_floor(self) -> float:
        return self.initial - self.ml_amount

    def trailing_floor(self, high: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
        """Floor trailing ``high`` (intraday peak or best end-of-day balance)."""
        floor = np.subtract(high, self.ml_amount, out=out)
        if self.lock:
            np.minimum(floor, self.initial, out=floor)
        return floor

    def day_floor(
        self, eod_high: Optional[np.ndarray], out: Optional[np.ndarray] = None
    ) -> Optional[Threshold]:
        """The floor for a whole day, or None when it moves intraday."""
        if self.trailing_intraday:
            return None
        if self.trailing_eod:
            return self.trailing_floor(eod_high, out=out)
        return self.static_floor()

    # -- daily loss -----------------------------------------------------------

    def daily_limit(
        self, start_of_day: np.ndarray, out: Optional[np.ndarray] = None
    ) -> Optional[np.ndarray]:
        if self.daily_amount is None:
            return None
        return np.subtract(start_of_day, self.daily_amount, out=out)

    # -- profit target --------------------------------------------------------

    def target_low(
        self,
        best_day: Optional[np.ndarray],
        trading_days_before: Optional[np.ndarray],
        trades_today: Optional[np.ndarray],
    ) -> Threshold:
        """Lowest balance that may pass today (+inf where nothing can pass).

        With the consistency rule a pass also needs best day <= share x
        profit, i.e. balance >= initial + best earlier day / share (loosened
        by a tiny tolerance; the exact rule decides on the candidates).
        """
        low: Threshold = self.target_level
        if self.share is not None:
            low = np.maximum(low, self.initial + best_day / self.share - self._tol)
        blocked = None
        if self.min_days > 0:
            blocked = trading_days_before + 1 < self.min_days
        if trades_today is not None:
            no_trade = trades_today == 0
            blocked = no_trade if blocked is None else (blocked | no_trade)
        if blocked is not None:
            low = np.where(blocked, np.inf, low)
        return low

    def passes(
        self,
        balance: np.ndarray,
        start_of_day: Optional[np.ndarray],
        best_day: Optional[np.ndarray],
        trading_days_before: Optional[np.ndarray],
    ) -> np.ndarray:
        """The exact pass rule for candidate rows (after a trade today)."""
        ok = balance >= self.target_level
        if self.min_days > 0:
            ok &= trading_days_before + 1 >= self.min_days
        if self.share is not None:
            best = np.maximum(best_day, balance - start_of_day)
            ok &= best <= self.share * (balance - self.initial)
        return ok
