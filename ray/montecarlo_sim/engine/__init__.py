"""Pure NumPy Monte Carlo engine for prop-trading account rules (no Ray here)."""

from .chunk import simulate_chunk
from .outcome import PathOutcomes
from .runner import batches, run_batch, run_inline, run_with_executor
from .spec import (
    DailyLossRule,
    HistoryTrader,
    MaxLossRule,
    ParametricTrader,
    SimulationSpec,
)
from .streams import CHUNK_SIZE, chunk_plan
from .summary import summarize

__all__ = [
    "CHUNK_SIZE",
    "DailyLossRule",
    "HistoryTrader",
    "MaxLossRule",
    "ParametricTrader",
    "PathOutcomes",
    "SimulationSpec",
    "batches",
    "chunk_plan",
    "run_batch",
    "run_inline",
    "run_with_executor",
    "simulate_chunk",
    "summarize",
]
