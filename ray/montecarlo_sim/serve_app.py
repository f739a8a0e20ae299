"""Ray Serve applications: a thin shell around the engine.

Two applications, deployed by import path from serveConfigV2
(ray/serve-config.yaml):
- ``montecarlo_sim.serve_app:simulator_app``: deployment
  ``MonteCarloSimulator``, FastAPI ingress, ``POST /simulate``; every route
  requires ``Authorization: Bearer <token>`` (montecarlo_sim.auth), and a
  replica refuses to start when token auth is on and no token is set;
- ``montecarlo_sim.serve_app:health_app``: deployment ``HealthCheck``,
  ``GET /health`` -> ``{"status": "healthy"}`` (route prefix ``/health``),
  open: the operator's readiness check and probes carry no token.

Nothing is deployed at import time. The options given in the decorators
are defaults for ``serve run montecarlo_sim.serve_app:simulator_app``; the
serve config overrides them (autoscaling, max_ongoing_requests, ...).

The computation never runs on the replica's event loop: small requests run
in a worker thread, large ones as Ray tasks whose refs are awaited. A request
stays in flight for its whole computation, which is what Serve's autoscaler
counts (target_ongoing_requests).
"""

# No "from __future__ import annotations" here: FastAPI reads the endpoint
# annotations at runtime to find the request body model.
import asyncio
import time
from typing import Any, Dict

from fastapi import Body, FastAPI
from ray import serve
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import ENGINE_VERSION
from .auth import TokenSource
from .engine import chunk_plan
from .fanout import INLINE_MAX_CHUNKS, run_tasks_async
from .http_auth import BearerAuthMiddleware
from .request_mapping import to_spec
from .schema import SimulationRequest
from .service import response_json, simulate_inline_json

simulator_api = FastAPI(title="montecarlo-sim simulator")
simulator_api.add_middleware(BearerAuthMiddleware)


@serve.deployment(
    name="MonteCarloSimulator",
    max_ongoing_requests=100,
    max_queued_requests=200,
    autoscaling_config={
        "min_replicas": 1,
        "max_replicas": 10,
        "target_ongoing_requests": 5,
    },
    ray_actor_options={"num_cpus": 0.1},
)
@serve.ingress(simulator_api)
class MonteCarloSimulator:
    def __init__(self, inline_max_chunks: int = INLINE_MAX_CHUNKS) -> None:
        # Raises without a token when auth is on: the replica never starts,
        # so the application cannot run open by mistake.
        TokenSource.from_env()
        self._inline_max_chunks = inline_max_chunks

    @simulator_api.post("/simulate", response_class=Response)
    async def simulate(self, request: SimulationRequest = Body(...)) -> Response:
        started = time.perf_counter()
        paths = request.simulation.paths
        if len(chunk_plan(paths)) <= self._inline_max_chunks:
            body = await asyncio.to_thread(simulate_inline_json, request, started)
        else:
            outcomes = await run_tasks_async(to_spec(request), request.seed, paths)
            body = await asyncio.to_thread(response_json, request, outcomes, started)
        return Response(body, media_type="application/json")

    @simulator_api.get("/version")
    async def version(self) -> Dict[str, Any]:
        """The engine version: the operator keys result reuse on it."""
        return {"engineVersion": ENGINE_VERSION}

    def check_health(self) -> None:
        """Replica health for the Serve controller: raising marks it unhealthy.

        The replica holds no connections or caches that could go stale; if
        its process and event loop answer, it can serve.
        """


@serve.deployment(
    name="HealthCheck",
    num_replicas=1,
    max_ongoing_requests=100,
    ray_actor_options={"num_cpus": 0},
)
class HealthCheck:
    """Answers every request under its route prefix, so ``GET /health``
    gets 200 directly (a FastAPI "/" route would redirect to ``/health/``)."""

    async def __call__(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "healthy"})


simulator_app = MonteCarloSimulator.bind()
health_app = HealthCheck.bind()
