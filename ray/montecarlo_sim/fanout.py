"""Fan a simulation's chunks out as Ray tasks and merge them in chunk order.

Each task computes a batch of consecutive chunks (one chunk by default).
Results do not depend on the batch size or on how many workers run the
tasks: every chunk has its own random stream, and the merge follows the
chunk order, not the completion order.

With a ``RunTarget`` the tasks report their progress to the job board and
stop at the next trade block once the run is cancelled.
"""

from __future__ import annotations

import asyncio
from typing import List, Optional

import ray

from .engine import PathOutcomes, batches, run_batch
from .engine.spec import SimulationSpec
from .jobs.links import RunTarget, TaskLink
from .jobs.progress import ProgressReporter

# Requests with at most this many chunks run inline in the replica (in a
# worker thread); larger ones fan out. 2 chunks = 131,072 paths.
INLINE_MAX_CHUNKS = 2


@ray.remote(num_cpus=1, max_retries=2)
def simulate_batch_task(
    spec: SimulationSpec, seed: int, chunks, target: Optional[RunTarget] = None
) -> PathOutcomes:
    observer = None
    if target is not None:
        share = sum(n for _, n in chunks)
        observer = ProgressReporter(TaskLink(target), share, target.interval_s)
    return run_batch(spec, seed, chunks, observer)


def submit_tasks(
    spec: SimulationSpec, seed: int, paths: int, chunks_per_task: int = 1, target: Optional[RunTarget] = None
) -> List[ray.ObjectRef]:
    return [
        simulate_batch_task.remote(spec, seed, batch, target)
        for batch in batches(paths, chunks_per_task)
    ]


async def run_tasks_async(
    spec: SimulationSpec, seed: int, paths: int, chunks_per_task: int = 1
) -> PathOutcomes:
    """Await the tasks without blocking the caller's event loop."""
    refs = submit_tasks(spec, seed, paths, chunks_per_task)
    try:
        parts = await asyncio.gather(*refs)
    except BaseException:
        # The request was abandoned or a task failed: stop the rest.
        cancel_tasks(refs)
        raise
    return PathOutcomes.concat(list(parts))


def cancel_tasks(refs: List[ray.ObjectRef]) -> None:
    for ref in refs:
        ray.cancel(ref)


def run_tasks(spec: SimulationSpec, seed: int, paths: int, chunks_per_task: int = 1) -> PathOutcomes:
    """Blocking variant, for drivers and tests."""
    refs = submit_tasks(spec, seed, paths, chunks_per_task)
    return PathOutcomes.concat(ray.get(refs))
