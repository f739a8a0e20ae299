"""Progress of a computing worker (a replica thread or a Ray task), batched.

``ProgressReporter`` is the engine's ``RunObserver`` for the chunks one
worker computes. It keeps the latest paths done per chunk and sends them,
with the path-steps computed since its last report, through a ``RunLink``:
every 1/``REPORTS_PER_SHARE`` of its share of paths but never more often
than every ``MIN_GAP_S``, at least every ``interval_s`` while the work
advances, and at the end of its last chunk with the exact path-step count.
So a run reports in at least ``REPORTS_PER_SHARE`` steps when its workers
compute for two seconds or more (shorter runs report less often). A report
costs about 0.3-1 ms on a loaded machine (an actor call and an O(rows)
path-step count); the gap keeps that within about 2% of the engine's time. Between reports a block
costs a few attribute reads and a clock read.

Cancellation: the link says when the run must stop; the reporter raises
``RunCancelled`` at the next trade block.
"""

from __future__ import annotations

import time
from typing import Callable, Dict, Protocol


class RunCancelled(Exception):
    """The run was cancelled (or superseded, or lost): stop computing."""


# Reports per worker share; 40 leaves margin over the contract's 20 steps.
REPORTS_PER_SHARE = 40
# Shortest interval between two reports of one worker.
MIN_GAP_S = 0.05


class RunLink(Protocol):
    def send(self, done: Dict[int, int], steps: int, last: bool = False) -> None:
        """Paths done per chunk (latest values) and new path-steps; must not
        block. ``last``: the worker's final report, with its exact count."""

    def stopped(self) -> bool:
        """True once the run must stop; called at every trade block, so cheap."""


class ProgressReporter:
    def __init__(
        self,
        link: RunLink,
        share_paths: int,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._link = link
        self._share_paths = share_paths
        self._step_paths = max(1, share_paths // REPORTS_PER_SHARE)
        self._interval_s = interval_s
        self._clock = clock
        self._done: Dict[int, int] = {}
        self._steps: Dict[int, int] = {}
        self._sent_steps = 0
        self._unsent_paths = 0
        self._last = clock()

    def chunk_progress(self, index: int, paths: int, fraction: float, steps: Callable[[], int]) -> None:
        if self._link.stopped():
            raise RunCancelled()
        done = int(paths * fraction)
        advanced = done - self._done.get(index, 0)
        if advanced <= 0:
            return
        self._done[index] = done
        self._unsent_paths += advanced
        now = self._clock()
        since = now - self._last
        if since >= self._interval_s or (self._unsent_paths >= self._step_paths and since >= MIN_GAP_S):
            # Mid-day counts can dip below the last day end's (StopDay rows):
            # keep the largest, so reports never go backwards.
            self._steps[index] = max(self._steps.get(index, 0), steps())
            self._flush(now)

    def chunk_done(self, index: int, paths: int, steps: int) -> None:
        self._done[index] = paths
        self._steps[index] = steps
        now = self._clock()
        # The worker's last chunk always reports: its count is exact.
        last = sum(self._done.values()) >= self._share_paths
        if last or now - self._last >= MIN_GAP_S:
            self._flush(now, last)

    def _flush(self, now: float, last: bool = False) -> None:
        total = sum(self._steps.values())
        self._link.send(dict(self._done), total - self._sent_steps, last)
        self._sent_steps = total
        self._unsent_paths = 0
        self._last = now
