"""Request -> response: validation output in, the result JSON out.

The chunk runner is injected: inline (threads, tests) or Ray tasks (the
Serve deployment). Whatever runs the chunks, the response for a request and
seed is the same apart from ``meta.elapsedMs``.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Callable, Dict

from . import ENGINE_VERSION
from .engine import CHUNK_SIZE, PathOutcomes, chunk_plan, run_inline, summarize
from .engine.spec import SimulationSpec
from .request_mapping import to_spec
from .schema import SimulationRequest, canonical_payload

# (spec, seed, paths) -> outcomes of all paths, in chunk order.
Runner = Callable[[SimulationSpec, int, int], PathOutcomes]


def request_hash(req: SimulationRequest) -> str:
    """sha256 of the canonical request JSON (sorted keys, no jobId)."""
    text = json.dumps(canonical_payload(req), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_response(
    req: SimulationRequest, outcomes: PathOutcomes, started: float
) -> Dict[str, Any]:
    """The result JSON; ``started`` is the ``time.perf_counter()`` at which
    the work began (elapsedMs covers simulation and statistics)."""
    paths = req.simulation.paths
    stats = summarize(outcomes, req.mode == "assessment", req.simulation.confidence_level)
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    return {
        "jobId": req.job_id,
        "mode": req.mode,
        "paths": paths,
        "confidenceLevel": req.simulation.confidence_level,
        **stats,
        "meta": {
            "engineVersion": ENGINE_VERSION,
            "seed": req.seed,
            "requestHash": request_hash(req),
            "paths": paths,
            "chunkSize": CHUNK_SIZE,
            "chunks": len(chunk_plan(paths)),
            "days": req.simulated_days(),
            "pathSteps": outcomes.path_steps,
            "elapsedMs": elapsed_ms,
        },
    }


def response_json(req: SimulationRequest, outcomes: PathOutcomes, started: float) -> bytes:
    """The response body as JSON bytes. The endpoint returns these as they
    are: FastAPI would otherwise validate and re-encode the dict
    (jsonable_encoder), which costs more than the statistics of a small run."""
    return json.dumps(build_response(req, outcomes, started), separators=(",", ":")).encode()


def simulate_inline_json(req: SimulationRequest, started: float) -> bytes:
    """A small request from spec to response bytes, in one call: one hop to
    a worker thread instead of two."""
    outcomes = run_inline(to_spec(req), req.seed, req.simulation.paths)
    return response_json(req, outcomes, started)


def simulate(req: SimulationRequest, runner: Runner = run_inline) -> Dict[str, Any]:
    """Run a validated request synchronously and build its response."""
    started = time.perf_counter()
    outcomes = runner(to_spec(req), req.seed, req.simulation.paths)
    return build_response(req, outcomes, started)
