"""Job records and their state machine (pure: no Ray, time passed in).

One record per ``jobId``. A record holds the current *run* (a computation of
one request hash; a new run starts when the hash changes or the previous run
ended without success), its progress, the path-steps computed for the job
over all its runs, and the result while it is retained (the response body as
JSON bytes: about 2 KB, a quarter of the same result as Python objects).

States: ``running`` -> ``succeeded`` | ``failed`` | ``cancelled``; a claim
starts a new run (back to ``running``) from any state but ``succeeded`` with
the same hash. Memory is bounded by ``JobSettings``: finished records expire
after ``retention_s``; running runs without an attached client for
``orphan_s`` are cancelled; runs whose computing replica stopped sending
heartbeats for ``stale_s`` fail as lost; at most ``max_records`` records
exist (the oldest finished one is evicted for a new one; with none to evict
the claim is refused as busy).

Every method returns plain data; runs that end are queued for the caller
(``drain_ended``) so it can wake the requests waiting on them.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Set, Tuple

from .settings import JobSettings

RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
# An outcome only: the run is gone (its replica died, or the record was
# evicted or lost); a waiting request claims the job again.
LOST = "lost"

# Claim kinds.
START = "start"
ATTACH = "attach"
RESULT = "result"
BUSY = "busy"

# Outcomes of ended runs kept per job, newest last.
ENDED_KEPT = 4
# Sweeps (expiry, orphans, lost runs) run at most this often.
SWEEP_INTERVAL_S = 1.0


@dataclass(frozen=True)
class Claim:
    kind: str
    run: int = 0
    result: Optional[bytes] = None


@dataclass(frozen=True)
class Outcome:
    """How a run ended (or ``running``); ``result`` when it succeeded."""

    kind: str
    result: Optional[bytes] = None
    detail: str = ""


@dataclass
class JobRecord:
    job_id: str
    request_hash: str
    paths_total: int
    run: int = 1
    state: str = RUNNING
    start_time: float = 0.0
    updated_time: float = 0.0
    heartbeat: float = 0.0
    # Chunk index -> paths done (the chunk's share of days done x its paths).
    chunk_done: Dict[int, int] = field(default_factory=dict)
    # Path-steps of the job's earlier runs, and of the current run.
    prior_steps: int = 0
    run_steps: int = 0
    clients: int = 1
    orphan_since: Optional[float] = None
    finished_time: Optional[float] = None
    result: Optional[bytes] = None
    # How the job's latest runs ended (run -> outcome, the last
    # ``ENDED_KEPT``): a request that waited on a run learns its outcome even
    # when newer runs have started, or ended, since.
    ended: Dict[int, Outcome] = field(default_factory=dict)

    @classmethod
    def new(cls, job_id: str, request_hash: str, paths_total: int, now: float) -> "JobRecord":
        return cls(job_id, request_hash, paths_total, start_time=now, updated_time=now, heartbeat=now)

    def view(self) -> Dict[str, Any]:
        """The ``GET /jobs/{jobId}`` body."""
        done = self.paths_total if self.state == SUCCEEDED else sum(self.chunk_done.values())
        return {
            "jobId": self.job_id,
            "state": self.state,
            "pathsDone": min(done, self.paths_total),
            "pathsTotal": self.paths_total,
            "startTime": rfc3339(self.start_time),
            "pathSteps": self.prior_steps + self.run_steps,
            "updatedTime": rfc3339(self.updated_time),
        }


def rfc3339(epoch_s: float) -> str:
    stamp = datetime.fromtimestamp(epoch_s, timezone.utc).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


class JobRegistry:
    def __init__(self, settings: JobSettings) -> None:
        self.settings = settings
        self._records: Dict[str, JobRecord] = {}
        self._running: Set[str] = set()
        # Finished job ids, oldest finish first (expiry and eviction order).
        self._finished: "OrderedDict[str, None]" = OrderedDict()
        self._ended: List[Tuple[str, int, Outcome]] = []
        self._last_sweep = float("-inf")

    def __len__(self) -> int:
        return len(self._records)

    # -- requests -------------------------------------------------------------

    def claim(self, job_id: str, request_hash: str, paths_total: int, now: float) -> Claim:
        """A ``POST /simulate``: start, attach to, or answer from the job."""
        self.sweep(now)
        rec = self._records.get(job_id)
        if rec is None:
            if not self._make_room():
                return Claim(BUSY)
            rec = JobRecord.new(job_id, request_hash, paths_total, now)
            self._records[job_id] = rec
            self._running.add(job_id)
            return Claim(START, rec.run)
        if rec.state == RUNNING and rec.request_hash == request_hash:
            rec.clients += 1
            rec.orphan_since = None
            return Claim(ATTACH, rec.run)
        if rec.state == SUCCEEDED and rec.request_hash == request_hash:
            return Claim(RESULT, rec.run, rec.result)
        if rec.state == RUNNING:
            self._end(rec, CANCELLED, now, "superseded by a request with another hash")
        self._restart(rec, request_hash, paths_total, now)
        return Claim(START, rec.run)

    def detach(self, job_id: str, run: int, now: float) -> None:
        """A request counted on ``run`` has ended (answered or disconnected)."""
        rec = self._records.get(job_id)
        if rec is None or rec.run != run or rec.clients == 0:
            return
        rec.clients -= 1
        if rec.clients == 0:
            rec.orphan_since = now

    def cancel(self, job_id: str, now: float) -> Optional[Dict[str, Any]]:
        """``DELETE /jobs/{jobId}``; a finished job keeps its state."""
        self.sweep(now)
        rec = self._records.get(job_id)
        if rec is None:
            return None
        if rec.state == RUNNING:
            self._end(rec, CANCELLED, now, "cancelled")
        return rec.view()

    def view(self, job_id: str, now: float) -> Optional[Dict[str, Any]]:
        self.sweep(now)
        rec = self._records.get(job_id)
        return None if rec is None else rec.view()

    def outcome(self, job_id: str, run: int) -> Outcome:
        """Where ``run`` of the job stands, for a waiting request."""
        rec = self._records.get(job_id)
        if rec is not None and rec.run == run and rec.state == RUNNING:
            return Outcome(RUNNING)
        if rec is not None and run in rec.ended:
            return rec.ended[run]
        return Outcome(LOST, detail="the run is no longer known")

    # -- the computing side ---------------------------------------------------

    def heartbeat(self, job_id: str, run: int, now: float) -> bool:
        """The computing replica is alive; True when the run must stop."""
        self.sweep(now)
        rec = self._current(job_id, run)
        if rec is None:
            return True
        rec.heartbeat = now
        return False

    def report(self, job_id: str, run: int, done: Dict[int, int], steps: int, now: float) -> bool:
        """Progress of some chunks of ``run`` and the path-steps computed since
        the sender's last report; True when the run must stop."""
        rec = self._records.get(job_id)
        if rec is None:
            return True
        if rec.run != run:
            # Work of an earlier run still counts as computed for the job.
            rec.prior_steps += steps
            return True
        if rec.state == SUCCEEDED:
            return True  # finish() set the exact count
        rec.run_steps += steps
        if rec.state != RUNNING:
            return True
        rec.chunk_done.update(done)
        rec.updated_time = now
        return False

    def finish(
        self,
        job_id: str,
        run: int,
        result: bytes,
        path_steps: int,
        now: float,
        last_report: Optional[Tuple[Dict[int, int], int]] = None,
    ) -> bool:
        """The run succeeded with ``result`` (the response body) after exactly
        ``path_steps`` path-steps. ``last_report``, the worker's final
        progress report when it came with the result rather than before it,
        counts only when the run has ended otherwise meanwhile (as the report
        would have); a run that succeeds has its exact count."""
        rec = self._current(job_id, run)
        if rec is None:
            if last_report is not None:
                self.report(job_id, run, *last_report, now)
            return False
        rec.result = result
        rec.run_steps = path_steps
        self._end(rec, SUCCEEDED, now)
        return True

    def fail(self, job_id: str, run: int, detail: str, now: float) -> bool:
        rec = self._current(job_id, run)
        if rec is None:
            return False
        self._end(rec, FAILED, now, detail)
        return True

    # -- bounds ---------------------------------------------------------------

    def sweep(self, now: float, force: bool = False) -> None:
        """Expire finished records, cancel orphans, fail lost runs."""
        if not force and now - self._last_sweep < SWEEP_INTERVAL_S:
            return
        self._last_sweep = now
        s = self.settings
        while self._finished:
            job_id = next(iter(self._finished))
            if now - self._records[job_id].finished_time < s.retention_s:
                break
            self._forget(job_id)
        for job_id in list(self._running):
            rec = self._records[job_id]
            if rec.orphan_since is not None and now - rec.orphan_since >= s.orphan_s:
                self._end(rec, CANCELLED, now, f"no client for {s.orphan_s:g} s")
            elif now - rec.heartbeat >= s.stale_s:
                self._end(rec, FAILED, now, f"no heartbeat from the computing replica for {s.stale_s:g} s", lost=True)

    def drain_ended(self) -> List[Tuple[str, int, Outcome]]:
        """Runs that ended since the last call: (job id, run, outcome)."""
        ended, self._ended = self._ended, []
        return ended

    # -- internals ------------------------------------------------------------

    def _current(self, job_id: str, run: int) -> Optional[JobRecord]:
        rec = self._records.get(job_id)
        if rec is None or rec.run != run or rec.state != RUNNING:
            return None
        return rec

    def _end(self, rec: JobRecord, state: str, now: float, detail: str = "", lost: bool = False) -> None:
        """End the current run; ``lost``: its replica died, so the requests
        waiting on it start it again (its state still reads failed)."""
        rec.state = state
        rec.finished_time = rec.updated_time = now
        outcome = Outcome(LOST if lost else state, rec.result if state == SUCCEEDED else None, detail)
        rec.ended[rec.run] = outcome
        if len(rec.ended) > ENDED_KEPT:
            del rec.ended[next(iter(rec.ended))]
        self._running.discard(rec.job_id)
        self._finished[rec.job_id] = None
        self._finished.move_to_end(rec.job_id)
        self._ended.append((rec.job_id, rec.run, outcome))

    def _restart(self, rec: JobRecord, request_hash: str, paths_total: int, now: float) -> None:
        rec.prior_steps += rec.run_steps
        rec.run_steps = 0
        rec.run += 1
        rec.state = RUNNING
        rec.request_hash = request_hash
        rec.paths_total = paths_total
        rec.start_time = rec.updated_time = rec.heartbeat = now
        rec.chunk_done = {}
        rec.clients = 1
        rec.orphan_since = None
        rec.finished_time = None
        rec.result = None
        self._finished.pop(rec.job_id, None)
        self._running.add(rec.job_id)

    def _make_room(self) -> bool:
        if len(self._records) < self.settings.max_records:
            return True
        if not self._finished:
            return False
        self._forget(next(iter(self._finished)))
        return True

    def _forget(self, job_id: str) -> None:
        del self._records[job_id]
        self._finished.pop(job_id, None)
