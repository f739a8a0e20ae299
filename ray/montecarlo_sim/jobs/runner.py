"""``POST /simulate`` on a replica: claim the job on the board, compute it in
the background when this request starts it, and wait for the run's outcome.

The computation is not tied to the request that started it: if that client
disconnects, the run goes on (a repeated POST attaches to it) until it
finishes, is cancelled, or has had no client for ``orphan_s``. A request
that attached gets the outcome from the board, so it answers the same
wherever the run computes. The request that started the run takes the
result from its computation once the board has it (the result and the
worker's last progress report go in one call, and a request whose run has
ended has nothing to detach from), so a small run costs the board two calls,
claim and finish, rather than five. When the board did not take the result
(the run was cancelled, superseded or lost meanwhile) the starting request
too asks the board how the run ended. While it waits the request stays in
flight, which is what Serve's autoscaler counts.

The replica that computes a run checks in with the board every
``heartbeat_s``; when the board says stop (cancelled, superseded, orphaned,
or unknown) it stops the worker thread at its next trade block, or cancels
the run's Ray tasks.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from typing import Callable, Optional, Set, Tuple

from fastapi import HTTPException
from fastapi.responses import JSONResponse, Response
from ray.exceptions import RayActorError

from ..engine import PathOutcomes, chunk_plan, run_inline
from ..fanout import INLINE_MAX_CHUNKS, cancel_tasks, submit_tasks
from ..request_mapping import to_spec
from ..schema import SimulationRequest
from ..service import build_response, request_hash
from .board import board_handle
from .links import RunTarget, ThreadLink
from .progress import ProgressReporter, RunCancelled
from .registry import ATTACH, BUSY, CANCELLED, LOST, RESULT, RUNNING, START, SUCCEEDED, Claim, Outcome
from .settings import JobSettings

# A waiting request re-asks the board this often (the board answers at once
# when the run ends; the timeout only bounds an abandoned call's life).
WAIT_S = 10.0


class JobRunner:
    def __init__(self, inline_max_chunks: int = INLINE_MAX_CHUNKS, settings: Optional[JobSettings] = None) -> None:
        self._inline_max_chunks = inline_max_chunks
        self._settings = settings or JobSettings.from_env()
        # Background runs of this replica (the loop keeps only weak refs).
        self._runs: Set[asyncio.Task] = set()

    async def simulate(self, req: SimulationRequest) -> Response:
        board = board_handle(self._settings)
        job_id, digest = req.job_id, request_hash(req)
        counted: Optional[int] = None
        try:
            while True:
                claim, computing = await self._claim(board, req, digest)
                if claim.kind == RESULT:
                    return _json(claim.result)
                if claim.kind == BUSY:
                    raise HTTPException(503, "too many job records; retry later")
                counted = claim.run
                body = await _await_own(computing) if computing else None
                if body is not None:
                    counted = None  # the run has ended: nothing to detach from
                    return _json(body)
                outcome = await _await_run(board, job_id, claim.run)
                if outcome.kind != LOST:
                    return _answer(job_id, outcome)
        finally:
            if counted is not None:
                board.detach.remote(job_id, counted)

    async def _claim(self, board, req: SimulationRequest, digest: str) -> Tuple[Claim, Optional[asyncio.Task]]:
        """Claim the job and start the run if this request is the first
        (then also its computation, which resolves to the body when the board
        took the result).

        Shielded: a request abandoned mid-claim still starts the run it
        claimed (as a disconnect after the start would leave it running) and
        is not counted as an attached client."""
        inner = asyncio.ensure_future(self._claim_and_start(board, req, digest))
        try:
            return await asyncio.shield(inner)
        except asyncio.CancelledError:
            inner.add_done_callback(lambda f: _release(board, req.job_id, f))
            raise

    async def _claim_and_start(
        self, board, req: SimulationRequest, digest: str
    ) -> Tuple[Claim, Optional[asyncio.Task]]:
        claim = await board.claim.remote(req.job_id, digest, req.simulation.paths)
        return claim, self._start(board, req, claim.run) if claim.kind == START else None

    def _start(self, board, req: SimulationRequest, run: int) -> asyncio.Task:
        # A fresh context: in an async actor Ray keeps the current task id in
        # a context variable, so Ray tasks submitted under the request's
        # context are its children, and a client disconnect (which cancels
        # the request recursively) would cancel the run's tasks too. The run
        # must outlive its requests: a repeated POST attaches to it.
        task = asyncio.get_running_loop().create_task(
            self._compute(board, req, run), context=contextvars.Context()
        )
        self._runs.add(task)
        task.add_done_callback(self._runs.discard)
        return task

    async def _compute(self, board, req: SimulationRequest, run: int) -> Optional[bytes]:
        """Compute the run and hand its result to the board; the body when
        the board took it (the run was still current), else None."""
        target = RunTarget(board, req.job_id, run, self._settings.progress_s)
        link: Optional[ThreadLink] = None
        try:
            work, on_stop, link = self._launch(req, target)
            # Heartbeats go on while the statistics are computed too.
            body, path_steps = await _watch(target, work, on_stop, self._settings.heartbeat_s)
            last_report = link.take_last() if link else None
            taken = await board.finish.remote(req.job_id, run, body, path_steps, last_report)
            return body if taken else None
        except RunCancelled:
            return None  # the board ended the run
        except Exception as exc:  # noqa: BLE001 - every failure ends the run
            if link:
                link.send_last()
            # Ignored by the board when the run was cancelled meanwhile.
            await board.fail.remote(req.job_id, run, f"{type(exc).__name__}: {exc}")
            return None

    def _launch(self, req: SimulationRequest, target: RunTarget):
        """Start the work: a future of (response body, path-steps), how to
        stop it, and the inline thread's link (None for a fan-out)."""
        started = time.perf_counter()
        spec, paths = to_spec(req), req.simulation.paths
        if len(chunk_plan(paths)) <= self._inline_max_chunks:
            stop = threading.Event()
            link = ThreadLink(target, stop)
            observer = ProgressReporter(link, paths, target.interval_s)
            work = asyncio.ensure_future(asyncio.to_thread(_inline, req, spec, observer, started))
            return work, stop.set, link
        refs = submit_tasks(spec, req.seed, paths, target=target)
        return asyncio.ensure_future(_fanned_out(req, refs, started)), lambda: cancel_tasks(refs), None


def _inline(req: SimulationRequest, spec, observer: ProgressReporter, started: float) -> Tuple[bytes, int]:
    outcomes = run_inline(spec, req.seed, req.simulation.paths, observer)
    return _response_body(req, outcomes, started), outcomes.path_steps


async def _fanned_out(req: SimulationRequest, refs, started: float) -> Tuple[bytes, int]:
    try:
        outcomes = PathOutcomes.concat(list(await asyncio.gather(*refs)))
    except BaseException:
        cancel_tasks(refs)  # one task failed: the others are wasted work
        raise
    return await asyncio.to_thread(_response_body, req, outcomes, started), outcomes.path_steps


def _response_body(req: SimulationRequest, outcomes: PathOutcomes, started: float) -> bytes:
    """The result JSON, encoded as FastAPI would encode the dict."""
    return JSONResponse(build_response(req, outcomes, started)).body


async def _await_own(computing: asyncio.Task) -> Optional[bytes]:
    """The body of a run this request started, straight from its computation;
    None when the board did not take it (cancelled, superseded, lost, failed):
    the board then says how the run ended."""
    try:
        return await asyncio.shield(computing)
    except Exception:  # noqa: BLE001 - the board knows the outcome (a cancel is not an Exception)
        return None


def _release(board, job_id: str, claimed: asyncio.Future) -> None:
    if claimed.cancelled() or claimed.exception() is not None:
        return
    claim, _ = claimed.result()
    if claim.kind in (START, ATTACH):
        board.detach.remote(job_id, claim.run)


async def _watch(target: RunTarget, work: asyncio.Future, on_stop: Callable[[], None], every_s: float):
    """Await the work, checking in with the board every ``every_s``; stop
    the work and raise ``RunCancelled`` when the board says so."""
    while True:
        done, _ = await asyncio.wait({work}, timeout=every_s)
        if done:
            return work.result()
        try:
            stop = await target.board.heartbeat.remote(target.job_id, target.run)
        except RayActorError:
            continue  # the board is restarting; its answer comes next time
        if stop:
            on_stop()
            # The work ends on its own shortly; nobody awaits it any more.
            work.add_done_callback(_consume)
            raise RunCancelled()


def _consume(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


async def _await_run(board, job_id: str, run: int) -> Outcome:
    while True:
        try:
            outcome = await board.wait.remote(job_id, run, WAIT_S)
        except RayActorError:
            await asyncio.sleep(1.0)
            return Outcome(LOST, detail="the job board restarted")
        if outcome.kind != RUNNING:
            return outcome


def _answer(job_id: str, outcome: Outcome) -> Response:
    if outcome.kind == SUCCEEDED:
        return _json(outcome.result)
    if outcome.kind == CANCELLED:
        raise HTTPException(410, f"job {job_id} was cancelled")
    raise HTTPException(500, f"job {job_id} failed: {outcome.detail}")


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")

