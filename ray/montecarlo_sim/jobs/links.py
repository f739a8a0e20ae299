"""How a computing worker reaches the board: fire-and-forget progress
reports, and the cancellation signal.

- In a replica thread (inline runs): the replica's watch loop learns of a
  cancellation from its heartbeat and sets an event the thread reads.
- In a Ray task (fan-out): each report's reply says whether the run must
  stop; the task reads the replies that have arrived at its next report,
  never waiting for one. The replica also ``ray.cancel``s the task refs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Dict, List

import ray


@dataclass(frozen=True)
class RunTarget:
    """What a worker needs to report on a run (picklable, sent with tasks)."""

    board: Any  # JobBoard actor handle
    job_id: str
    run: int
    interval_s: float


class ThreadLink:
    def __init__(self, target: RunTarget, stop: threading.Event) -> None:
        self._target = target
        self._stop = stop

    def send(self, done: Dict[int, int], steps: int) -> None:
        t = self._target
        t.board.report.remote(t.job_id, t.run, done, steps)

    def stopped(self) -> bool:
        return self._stop.is_set()


class TaskLink:
    def __init__(self, target: RunTarget) -> None:
        self._target = target
        self._replies: List[ray.ObjectRef] = []
        self._stopped = False

    def send(self, done: Dict[int, int], steps: int) -> None:
        t = self._target
        self._replies.append(t.board.report.remote(t.job_id, t.run, done, steps))
        ready, self._replies = ray.wait(self._replies, num_returns=len(self._replies), timeout=0)
        if ready and any(ray.get(ready)):
            self._stopped = True

    def stopped(self) -> bool:
        return self._stopped
