"""The job board: one named, detached Ray actor that holds the registry.

Every replica and every fan-out task talks to the same actor (name
``BOARD_NAME`` in namespace ``BOARD_NAMESPACE``), so any replica answers
``GET``/``DELETE /jobs/{jobId}`` for a run another replica computes, and a
``POST`` attaches to a run wherever it computes. The actor asks for no CPU
(it only keeps records) and restarts if its process dies; a restarted board
is empty, and the replicas and requests then treat their runs as lost
(computations stop, waiting requests start them again).

It is an async actor: requests waiting for a run park a future here and are
woken when the run ends, without polling.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import asdict
from typing import Any, Dict, List, Optional, Tuple

import ray

from .registry import RUNNING, Claim, JobRegistry, Outcome
from .settings import JobSettings

BOARD_NAME = "montecarlo-jobs"
BOARD_NAMESPACE = "montecarlo-sim"
# Concurrent calls the actor accepts: waiting requests each hold one.
BOARD_MAX_CONCURRENCY = 4096


@ray.remote(num_cpus=0, max_restarts=-1)
class JobBoard:
    def __init__(self, settings: Dict[str, Any]) -> None:
        self._registry = JobRegistry(JobSettings(**settings))
        self._waiters: Dict[Tuple[str, int], List[asyncio.Future]] = defaultdict(list)

    async def claim(self, job_id: str, request_hash: str, paths_total: int) -> Claim:
        return self._wake(self._registry.claim(job_id, request_hash, paths_total, time.time()))

    async def detach(self, job_id: str, run: int) -> None:
        self._registry.detach(job_id, run, time.time())

    async def cancel(self, job_id: str) -> Optional[Dict[str, Any]]:
        return self._wake(self._registry.cancel(job_id, time.time()))

    async def view(self, job_id: str) -> Optional[Dict[str, Any]]:
        return self._wake(self._registry.view(job_id, time.time()))

    async def heartbeat(self, job_id: str, run: int) -> bool:
        return self._wake(self._registry.heartbeat(job_id, run, time.time()))

    async def report(self, job_id: str, run: int, done: Dict[int, int], steps: int) -> bool:
        return self._registry.report(job_id, run, done, steps, time.time())

    async def finish(
        self,
        job_id: str,
        run: int,
        result: bytes,
        path_steps: int,
        last_report: Optional[Tuple[Dict[int, int], int]] = None,
    ) -> bool:
        return self._wake(self._registry.finish(job_id, run, result, path_steps, time.time(), last_report))

    async def fail(self, job_id: str, run: int, detail: str) -> bool:
        return self._wake(self._registry.fail(job_id, run, detail, time.time()))

    async def wait(self, job_id: str, run: int, timeout_s: float) -> Outcome:
        """The run's outcome once it ends, or ``running`` after ``timeout_s``."""
        # Sweeping here too: lost runs are found even when nothing else calls.
        self._wake(self._registry.sweep(time.time()))
        outcome = self._registry.outcome(job_id, run)
        if outcome.kind != RUNNING:
            return outcome
        future = asyncio.get_running_loop().create_future()
        key = (job_id, run)
        self._waiters[key].append(future)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout_s)
        except asyncio.TimeoutError:
            return Outcome(RUNNING)
        finally:
            waiting = self._waiters.get(key)
            if waiting is not None and future in waiting:
                waiting.remove(future)
                if not waiting:
                    del self._waiters[key]

    async def size(self) -> int:
        """Records held (for tests and operators' curiosity)."""
        return len(self._registry)

    def _wake(self, value):
        """Resolve the futures of every run that ended; pass ``value`` through."""
        for job_id, run, outcome in self._registry.drain_ended():
            for future in self._waiters.pop((job_id, run), ()):
                if not future.done():
                    future.set_result(outcome)
        return value


_handle = None


def board_handle(settings: Optional[JobSettings] = None):
    """This process's handle on the board, creating the actor if none exists.

    The creator's settings hold for the cluster (``get_if_exists``)."""
    global _handle
    if _handle is None:
        settings = settings or JobSettings.from_env()
        _handle = JobBoard.options(
            name=BOARD_NAME,
            namespace=BOARD_NAMESPACE,
            lifetime="detached",
            get_if_exists=True,
            max_concurrency=BOARD_MAX_CONCURRENCY,
        ).remote(asdict(settings))
    return _handle
