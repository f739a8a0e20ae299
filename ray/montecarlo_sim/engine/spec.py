"""The engine's input: a validated, normalised description of one simulation.

These plain dataclasses are what the engine understands. The HTTP schema
(camelCase, bounds, defaults) is translated into them by
``montecarlo_sim.request_mapping``; the engine never sees pydantic or JSON.
They are frozen and picklable so they can be shipped to Ray tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional, Tuple, Union

MaxLossMode = Literal["Static", "TrailingEndOfDay", "TrailingIntraday"]


@dataclass(frozen=True)
class MaxLossRule:
    amount: float
    mode: MaxLossMode = "Static"
    # A trailing floor never rises above the initial balance.
    lock_at_initial_balance: bool = False


@dataclass(frozen=True)
class DailyLossRule:
    amount: float
    # False: a breach fails the path. True: trading stops until the next day.
    stop_day: bool = False


@dataclass(frozen=True)
class ParametricTrader:
    win_rate: float
    average_win: float
    average_loss: float
    # Coefficient of variation of a lognormal size multiplier with mean 1.
    size_variation: float = 0.0


@dataclass(frozen=True)
class HistoryTrader:
    pnl: Tuple[float, ...]
    # False: IID resampling. True: stationary block bootstrap.
    block_bootstrap: bool = False
    mean_block_length: float = 1.0


TraderModel = Union[ParametricTrader, HistoryTrader]


@dataclass(frozen=True)
class SimulationSpec:
    initial_balance: float
    max_loss: MaxLossRule
    trader: TraderModel
    # Number of days simulated (already resolved from maxTradingDays/horizonDays).
    days: int
    # Mean trades per day; an integer when ``poisson_trades`` is False.
    trades_per_day: float = 1.0
    poisson_trades: bool = False
    # None for a funded account (no target, only survival).
    profit_target: Optional[float] = None
    min_trading_days: int = 0
    daily_loss: Optional[DailyLossRule] = None
    # Best day's profit must be <= share x total profit at pass time.
    consistency_share: Optional[float] = None
    # True when the last simulated day is the assessment's time limit: a path
    # still open after it failed with reason ``timeLimit`` (else unresolved).
    time_limit_at_end: bool = False

    @property
    def is_assessment(self) -> bool:
        return self.profit_target is not None
