"""Run a simulation's chunks and merge them in chunk order.

A *batch* is a run of consecutive chunks computed by one worker; batches are
the unit handed to threads or Ray tasks. Grouping never changes results:
each chunk uses its own stream and the merge follows chunk order.
"""

from __future__ import annotations

import functools
from concurrent.futures import Executor
from typing import List, Optional, Protocol, Sequence, Tuple

from .chunk import simulate_chunk
from .outcome import PathOutcomes
from .spec import SimulationSpec
from .streams import CHUNK_SIZE, chunk_plan

Chunk = Tuple[int, int]


class RunObserver(Protocol):
    """Watches a batch's chunks; any method may raise to stop the work."""

    def chunk_progress(self, index: int, paths: int, fraction: float, steps) -> None:
        """Chunk ``index`` (``paths`` paths) has ``fraction`` of its days done;
        ``steps()`` gives its path-steps so far (see ``chunk.BlockHook``)."""

    def chunk_done(self, index: int, paths: int, steps: int) -> None:
        """Chunk ``index`` finished with exactly ``steps`` path-steps."""


def run_batch(
    spec: SimulationSpec, seed: int, chunks: Sequence[Chunk], observer: Optional[RunObserver] = None
) -> PathOutcomes:
    """Simulate consecutive chunks ``(index, paths)`` and concatenate them."""
    if observer is None:
        return PathOutcomes.concat([simulate_chunk(spec, seed, i, n) for i, n in chunks])
    parts = []
    for i, n in chunks:
        hook = functools.partial(observer.chunk_progress, i, n)
        part = simulate_chunk(spec, seed, i, n, hook)
        observer.chunk_done(i, n, part.path_steps)
        parts.append(part)
    return PathOutcomes.concat(parts)


def batches(paths: int, chunks_per_batch: int, chunk_size: int = CHUNK_SIZE) -> List[List[Chunk]]:
    """The chunk plan cut into batches of at most ``chunks_per_batch`` chunks."""
    if chunks_per_batch < 1:
        raise ValueError("chunks_per_batch must be >= 1")
    plan = chunk_plan(paths, chunk_size)
    return [plan[i : i + chunks_per_batch] for i in range(0, len(plan), chunks_per_batch)]


def run_inline(
    spec: SimulationSpec, seed: int, paths: int, observer: Optional[RunObserver] = None
) -> PathOutcomes:
    """All chunks, one after the other, in the calling thread."""
    return run_batch(spec, seed, chunk_plan(paths), observer)


def run_with_executor(
    spec: SimulationSpec, seed: int, paths: int, executor: Executor, chunks_per_batch: int = 1
) -> PathOutcomes:
    """Batches submitted to a ``concurrent.futures`` executor, merged in order."""
    futures = [executor.submit(run_batch, spec, seed, b) for b in batches(paths, chunks_per_batch)]
    return PathOutcomes.concat([f.result() for f in futures])
