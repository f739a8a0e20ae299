"""How a computing worker reaches the board: fire-and-forget progress
reports, and the cancellation signal.

- In a replica thread (inline runs): the replica's watch loop learns of a
  cancellation from its heartbeat and sets an event the thread reads. The
  thread's last report waits for the result and goes with it.
- In a Ray task (fan-out): the replica ``ray.cancel``s the run's tasks.
  Besides, a report's reply says whether the run must stop; the task looks
  at one reply at most every ``interval_s``, never waiting for it (a look
  costs about as much as a report).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import ray


@dataclass(frozen=True)
class RunTarget:
    """What a worker needs to report on a run (picklable, sent with tasks)."""

    board: Any  # JobBoard actor handle
    job_id: str
    run: int
    interval_s: float


class ThreadLink:
    """The replica thread's link. Its last report is kept rather than sent:
    the replica hands it to the board with the result (``take_last``), one
    actor call instead of two, or sends it when the run ends otherwise
    (``send_last``)."""

    def __init__(self, target: RunTarget, stop: threading.Event) -> None:
        self._target = target
        self._stop = stop
        self._last: Optional[Tuple[Dict[int, int], int]] = None

    def send(self, done: Dict[int, int], steps: int, last: bool = False) -> None:
        if last:
            # Reports carry new path-steps: a second "last" adds to the first.
            kept = self._last[1] if self._last else 0
            self._last = (done, kept + steps)
            return
        t = self._target
        t.board.report.remote(t.job_id, t.run, done, steps)

    def stopped(self) -> bool:
        return self._stop.is_set()

    def take_last(self) -> Optional[Tuple[Dict[int, int], int]]:
        last, self._last = self._last, None
        return last

    def send_last(self) -> None:
        last = self.take_last()
        if last is not None:
            self.send(*last)


class TaskLink:
    def __init__(self, target: RunTarget) -> None:
        self._target = target
        self._watched: Optional[ray.ObjectRef] = None
        self._looked = time.monotonic()
        self._stopped = False

    def send(self, done: Dict[int, int], steps: int, last: bool = False) -> None:
        t = self._target
        reply = t.board.report.remote(t.job_id, t.run, done, steps)
        if self._watched is None:
            self._watched = reply
        now = time.monotonic()
        if now - self._looked < t.interval_s:
            return
        self._looked = now
        ready, _ = ray.wait([self._watched], timeout=0)
        if ready:
            self._stopped = bool(ray.get(ready[0]))
            self._watched = reply

    def stopped(self) -> bool:
        return self._stopped
