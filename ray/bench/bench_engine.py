"""Engine throughput against the raw PCG64 uniform rate (not a test).

    python ray/bench/bench_engine.py [--repeats 5] [--serve-url http://127.0.0.1:8000]

Standard workload: 100k paths, 3 trades a day (Fixed), up to 30 days
(maxTradingDays 30), profit target 10% of 100k, TrailingEndOfDay max loss
10k, daily loss 5k (Fail), parametric winRate 0.5, averageWin 600,
averageLoss 400.

A path-step is one trade of one live path (trades made, summed over paths).
Both rates are measured in this process, single-threaded, interleaved
(``--repeats`` back-to-back pairs); the raw rate is the best over two buffer
sizes, so the ratio is not flattered. On a shared, loaded machine the median
of the per-pair ratios is the steadiest figure. With ``--serve-url`` the same workload is also
POSTed to a running Serve and its wall time printed, with the simulator's
bearer token from SIMULATOR_TOKEN or SIMULATOR_TOKEN_FILE (hack/stack/env.sh
exports the local stack's).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from montecarlo_sim.engine import run_inline  # noqa: E402
from montecarlo_sim.request_mapping import to_spec  # noqa: E402
from montecarlo_sim.schema import SimulationRequest  # noqa: E402
from serve_client import post_simulate  # noqa: E402

WORKLOAD = {
    "jobId": "bench-standard",
    "seed": 12345,
    "mode": "assessment",
    "account": {"initialBalance": 100_000},
    "rules": {
        "profitTarget": 10_000,
        "maxTradingDays": 30,
        "maxLoss": {"amount": 10_000, "mode": "TrailingEndOfDay"},
        "dailyLoss": {"amount": 5_000, "onBreach": "Fail"},
    },
    "trader": {
        "tradesPerDay": {"mean": 3, "distribution": "Fixed"},
        "parametric": {"winRate": 0.5, "averageWin": 600, "averageLoss": 400},
    },
    "simulation": {"paths": 100_000},
}


def raw_uniform_rate(draws: int = 20_000_000) -> float:
    """Best PCG64 ``Generator.random`` rate (float64 uniforms/s) over two buffer sizes."""
    best = 0.0
    for size in (32_768, 1_048_576):
        rng = np.random.Generator(np.random.PCG64(2024))
        buf = np.empty(size)
        rng.random(out=buf)
        reps = max(1, draws // size)
        start = time.perf_counter()
        for _ in range(reps):
            rng.random(out=buf)
        best = max(best, reps * size / (time.perf_counter() - start))
    return best


def engine_rate(spec, seed: int, paths: int):
    start = time.perf_counter()
    outcomes = run_inline(spec, seed, paths)
    elapsed = time.perf_counter() - start
    return outcomes.path_steps / elapsed, elapsed, outcomes


def serve_wall_time(url: str) -> dict:
    start = time.perf_counter()
    status, raw = post_simulate(url, WORKLOAD, timeout=600)
    body = json.loads(raw)
    return {"wall_s": time.perf_counter() - start, "status": status, "meta": body["meta"],
            "pass": body["probabilities"]["pass"]["estimate"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--serve-url", default=None)
    args = ap.parse_args()

    req = SimulationRequest.model_validate(WORKLOAD)
    spec = to_spec(req)
    paths = req.simulation.paths
    engine_rate(spec, req.seed, 20_000)  # warm-up (imports, page faults)

    engine, walls, raws = [], [], []
    outcomes = None
    for _ in range(args.repeats):
        raws.append(raw_uniform_rate())
        rate, wall, outcomes = engine_rate(spec, req.seed, paths)
        engine.append(rate)
        walls.append(wall)

    best_engine, best_raw = max(engine), max(raws)
    steps = outcomes.path_steps
    print(f"numpy {np.__version__}, PCG64, single thread, best of {args.repeats}")
    print("workload: 100k paths, 3 trades/day Fixed, maxTradingDays 30, target 10k, "
          "TrailingEndOfDay 10k, daily loss 5k Fail, winRate 0.5 600/400")
    print(f"path-steps per run:        {steps:,}")
    print(f"engine wall time:          best {min(walls):.3f} s, median {statistics.median(walls):.3f} s")
    print(f"engine path-steps/s:       best {best_engine / 1e6:.1f} M/s, median {statistics.median(engine) / 1e6:.1f} M/s")
    print(f"raw PCG64 uniforms/s:      best {best_raw / 1e6:.1f} M/s, median {statistics.median(raws) / 1e6:.1f} M/s")
    paired = statistics.median(e / r for e, r in zip(engine, raws))
    print(f"ratio engine/raw:          {best_engine / best_raw:.3f} (best/best), "
          f"{paired:.3f} (median of back-to-back pairs); target >= 0.25")
    if args.serve_url:
        res = serve_wall_time(args.serve_url)
        meta = res["meta"]
        print(f"POST /simulate wall time:  {res['wall_s']:.3f} s (status {res['status']}, "
              f"server elapsedMs {meta['elapsedMs']:.0f}, chunks {meta['chunks']}, "
              f"pathSteps {meta['pathSteps']:,}, pass {res['pass']:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
