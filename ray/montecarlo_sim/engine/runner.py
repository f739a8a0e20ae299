"""Run a simulation's chunks and merge them in chunk order.

A *batch* is a run of consecutive chunks computed by one worker; batches are
the unit handed to threads or Ray tasks. Grouping never changes results:
each chunk uses its own stream and the merge follows chunk order.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import List, Sequence, Tuple

from .chunk import simulate_chunk
from .outcome import PathOutcomes
from .spec import SimulationSpec
from .streams import CHUNK_SIZE, chunk_plan

Chunk = Tuple[int, int]


def run_batch(spec: SimulationSpec, seed: int, chunks: Sequence[Chunk]) -> PathOutcomes:
    """Simulate consecutive chunks ``(index, paths)`` and concatenate them."""
    return PathOutcomes.concat([simulate_chunk(spec, seed, i, n) for i, n in chunks])


def batches(paths: int, chunks_per_batch: int, chunk_size: int = CHUNK_SIZE) -> List[List[Chunk]]:
    """The chunk plan cut into batches of at most ``chunks_per_batch`` chunks."""
    if chunks_per_batch < 1:
        raise ValueError("chunks_per_batch must be >= 1")
    plan = chunk_plan(paths, chunk_size)
    return [plan[i : i + chunks_per_batch] for i in range(0, len(plan), chunks_per_batch)]


def run_inline(spec: SimulationSpec, seed: int, paths: int) -> PathOutcomes:
    """All chunks, one after the other, in the calling thread."""
    return run_batch(spec, seed, chunk_plan(paths))


def run_with_executor(
    spec: SimulationSpec, seed: int, paths: int, executor: Executor, chunks_per_batch: int = 1
) -> PathOutcomes:
    """Batches submitted to a ``concurrent.futures`` executor, merged in order."""
    futures = [executor.submit(run_batch, spec, seed, b) for b in batches(paths, chunks_per_batch)]
    return PathOutcomes.concat([f.result() for f in futures])
