"""The simulator's cost per small request (1,000 paths), by phase (not a test).

    python ray/bench/bench_request.py [--requests 300] [--serve-url http://127.0.0.1:8000]

In this process, for the request the operator sends for a 1,000-path
assessment, the median CPU milliseconds of each phase of POST /simulate:
request parsing (JSON text to the validated model, as the endpoint does it),
engine (the request mapped to a spec, then the paths), statistics, and the
response (the request hash, the result dict and its JSON text); then the
whole FastAPI app per request, the endpoint as it was (a dict result that
FastAPI validates and encodes, two worker-thread hops) against as it is
(JSON bytes, one hop). With
``--serve-url``, the same request is POSTed that many times, one at a time,
to a running Serve, and the CPU the replica and the HTTP proxy spent per
request is read from /proc (the local stack's processes, found by name).
"""

from __future__ import annotations

import argparse
import warnings
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from montecarlo_sim.engine import run_inline, summarize  # noqa: E402
from montecarlo_sim.request_mapping import to_spec  # noqa: E402
from montecarlo_sim.schema import SimulationRequest  # noqa: E402
from montecarlo_sim.service import build_response  # noqa: E402
from serve_client import post_simulate  # noqa: E402

# What the operator sends for bench/operator.ts's simulations.
REQUEST = {
    "jobId": "0f8b6c1e-5f55-5d8c-9a43-3b1f0c2f7a10",
    "seed": 123456789,
    "mode": "assessment",
    "account": {"initialBalance": 100_000},
    "rules": {
        "profitTarget": 10_000,
        "minTradingDays": 4,
        "maxTradingDays": 30,
        "maxLoss": {"amount": 10_000, "mode": "TrailingEndOfDay"},
        "dailyLoss": {"amount": 5_000, "onBreach": "Fail"},
    },
    "trader": {
        "tradesPerDay": {"mean": 3, "distribution": "Fixed"},
        "parametric": {"winRate": 0.5, "averageWin": 600, "averageLoss": 400},
    },
    "simulation": {"paths": 1000},
}


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median CPU time of this thread: wall time on a shared machine counts the waits."""
    times: List[float] = []
    for _ in range(repeats):
        start = time.thread_time()
        fn()
        times.append((time.thread_time() - start) * 1000)
    return statistics.median(times)


def fastapi_encode(result: Dict) -> bytes:
    """What FastAPI does with a dict an endpoint returns: jsonable_encoder, then JSONResponse."""
    from fastapi.encoders import jsonable_encoder

    return json.dumps(
        jsonable_encoder(result), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode()


def phases(repeats: int) -> Dict[str, float]:
    """Median ms of each phase; parsing and encoding both as FastAPI does them
    for a model parameter and a dict result, and directly."""
    body = json.dumps(REQUEST).encode()
    req = SimulationRequest.model_validate_json(body)
    spec = to_spec(req)
    outcomes = run_inline(spec, req.seed, req.simulation.paths)
    started = time.perf_counter()
    result = build_response(req, outcomes, started)
    return {
        "parse, json.loads + model_validate (FastAPI)": median_ms(
            lambda: SimulationRequest.model_validate(json.loads(body)), repeats
        ),
        "parse, model_validate_json": median_ms(
            lambda: SimulationRequest.model_validate_json(body), repeats
        ),
        "engine (to_spec + paths)": median_ms(
            lambda: run_inline(to_spec(req), req.seed, 1000), repeats
        ),
        "statistics": median_ms(lambda: summarize(outcomes, True, 0.95), repeats),
        "response dict (hash, meta)": median_ms(
            lambda: build_response(req, outcomes, started), repeats
        ),
        "encode, jsonable_encoder + dumps (FastAPI)": median_ms(
            lambda: fastapi_encode(result), repeats
        ),
        "encode, json.dumps": median_ms(
            lambda: json.dumps(result, separators=(",", ":")).encode(), repeats
        ),
    }


def endpoints():
    """Two FastAPI apps with the /simulate endpoint as it was (a dict result,
    two worker-thread hops) and as it is (JSON bytes, one hop)."""
    import asyncio

    from fastapi import Body, FastAPI
    from starlette.responses import Response

    from montecarlo_sim.service import simulate_inline_json

    before, after = FastAPI(), FastAPI()

    @before.post("/simulate")
    async def dict_result(request: SimulationRequest = Body(...)) -> Dict[str, Any]:
        started = time.perf_counter()
        spec = to_spec(request)
        paths = request.simulation.paths
        outcomes = await asyncio.to_thread(run_inline, spec, request.seed, paths)
        return await asyncio.to_thread(build_response, request, outcomes, started)

    @after.post("/simulate", response_class=Response)
    async def bytes_result(request: SimulationRequest = Body(...)) -> Response:
        started = time.perf_counter()
        body = await asyncio.to_thread(simulate_inline_json, request, started)
        return Response(body, media_type="application/json")

    return before, after


def endpoint_cpu(repeats: int) -> Dict[str, float]:
    """Median process CPU ms per POST /simulate through each app, in
    interleaved pairs (Starlette's test client, no network)."""
    warnings.filterwarnings("ignore")  # starlette.testclient warns about httpx
    from fastapi.testclient import TestClient

    before, after = (TestClient(app) for app in endpoints())
    body = json.dumps(REQUEST)
    headers = {"content-type": "application/json"}
    times: Dict[str, List[float]] = {"endpoint as it was": [], "endpoint as it is": []}
    for _ in range(repeats):
        for name, client in zip(times, (before, after)):
            start = time.process_time()
            assert client.post("/simulate", content=body, headers=headers).status_code == 200
            times[name].append((time.process_time() - start) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


def cpu_ticks(name_part: str) -> int:
    """utime + stime of the processes whose command line holds name_part."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if name_part.encode() not in f.read():
                    continue
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return total


def serve(url: str, requests: int) -> Dict[str, float]:
    hz = os.sysconf("SC_CLK_TCK")
    names = {"replica": "ServeReplica:simulator", "proxy": "ProxyActor"}
    before = {k: cpu_ticks(v) for k, v in names.items()}
    walls: List[float] = []
    for i in range(requests):
        start = time.perf_counter()
        post_simulate(url, {**REQUEST, "jobId": f"bench-request-{i}"}, timeout=60)
        walls.append((time.perf_counter() - start) * 1000)
    after = {k: cpu_ticks(v) for k, v in names.items()}
    out = {f"{k} CPU": (after[k] - before[k]) * 1000 / hz / requests for k in names}
    out["wall (median)"] = statistics.median(walls)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--serve-url")
    args = parser.parse_args()
    print(f"in process, median of {args.requests} (ms per request):")
    results = phases(args.requests)
    for name, ms in results.items():
        print(f"  {name:<44} {ms:8.3f}")
    print(f"the FastAPI app in process, median of {args.requests} pairs (CPU ms per request):")
    for name, ms in endpoint_cpu(args.requests).items():
        print(f"  {name:<44} {ms:8.3f}")
    if args.serve_url:
        print(f"through Serve, {args.requests} requests one at a time (ms per request):")
        for name, ms in serve(args.serve_url, args.requests).items():
            print(f"  {name:<14} {ms:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
