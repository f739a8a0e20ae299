"""Fan a simulation's chunks out as Ray tasks and merge them in chunk order.

Each task computes a batch of consecutive chunks (one chunk by default).
Results do not depend on the batch size or on how many workers run the
tasks: every chunk has its own random stream, and the merge follows the
chunk order, not the completion order.
"""

from __future__ import annotations

import asyncio
from typing import List

import ray

from .engine import PathOutcomes, batches, run_batch
from .engine.spec import SimulationSpec

# Requests with at most this many chunks run inline in the replica (in a
# worker thread); larger ones fan out. 2 chunks = 131,072 paths.
INLINE_MAX_CHUNKS = 2


@ray.remote(num_cpus=1, max_retries=2)
def simulate_batch_task(spec: SimulationSpec, seed: int, chunks) -> PathOutcomes:
    return run_batch(spec, seed, chunks)


def _submit(spec: SimulationSpec, seed: int, paths: int, chunks_per_task: int) -> List:
    return [
        simulate_batch_task.remote(spec, seed, batch)
        for batch in batches(paths, chunks_per_task)
    ]


async def run_tasks_async(
    spec: SimulationSpec, seed: int, paths: int, chunks_per_task: int = 1
) -> PathOutcomes:
    """Await the tasks without blocking the caller's event loop."""
    refs = _submit(spec, seed, paths, chunks_per_task)
    try:
        parts = await asyncio.gather(*refs)
    except BaseException:
        # The request was abandoned or a task failed: stop the rest.
        for ref in refs:
            ray.cancel(ref)
        raise
    return PathOutcomes.concat(list(parts))


def run_tasks(spec: SimulationSpec, seed: int, paths: int, chunks_per_task: int = 1) -> PathOutcomes:
    """Blocking variant, for drivers and tests."""
    refs = _submit(spec, seed, paths, chunks_per_task)
    return PathOutcomes.concat(ray.get(refs))
