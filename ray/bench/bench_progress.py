"""What progress reporting costs the engine (not a test).

    python ray/bench/bench_progress.py [--repeats 7] [--ray]

Runs bench_engine.py's standard workload (100k paths, 2 chunks, about
0.1 s) in back-to-back pairs: plain, then observed by the job progress
reporter. In process the reporter sends to a link that drops the reports
(the engine hook, the batching and the path-step counts); with ``--ray`` the
pairs also run as Ray tasks on a private local Ray, the observed one
reporting to a real job board actor (adds the actor calls). Prints the
median and best of the per-pair ratios observed/plain and, steadier on a
shared machine, the share of the observed run's time spent inside the
observer (timed around each of its calls, so load slows both alike).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_engine import WORKLOAD  # noqa: E402

from montecarlo_sim.engine import run_inline  # noqa: E402
from montecarlo_sim.jobs.progress import ProgressReporter  # noqa: E402
from montecarlo_sim.request_mapping import to_spec  # noqa: E402
from montecarlo_sim.schema import SimulationRequest  # noqa: E402


class DroppedReports:
    def send(self, done, steps) -> None:
        pass

    def stopped(self) -> bool:
        return False


class TimedReporter(ProgressReporter):
    """Accumulates the time spent in its own calls."""

    spent = 0.0
    calls = 0

    def chunk_progress(self, *args) -> None:
        start = time.perf_counter()
        try:
            super().chunk_progress(*args)
        finally:
            self.spent += time.perf_counter() - start
            self.calls += 1

    def chunk_done(self, *args) -> None:
        start = time.perf_counter()
        try:
            super().chunk_done(*args)
        finally:
            self.spent += time.perf_counter() - start


def timed(spec, seed: int, paths: int, link=None):
    """(wall time, share of it spent in the observer)."""
    observer = None if link is None else TimedReporter(link, paths, 0.5)
    start = time.perf_counter()
    run_inline(spec, seed, paths, observer)
    wall = time.perf_counter() - start
    return wall, (observer.spent / wall if observer else 0.0)


def report(name: str, pairs) -> None:
    ratios = [observed[0] / plain[0] for plain, observed in pairs]
    plain = statistics.median(p[0] for p, _ in pairs)
    inside = statistics.median(o[1] for _, o in pairs)
    print(f"{name:<34} plain median {plain:.3f} s; observed/plain median {statistics.median(ratios):.3f}, "
          f"best {min(ratios):.3f}; time inside the observer median {inside:.2%} ({len(pairs)} pairs)")


def in_process(spec, seed: int, paths: int, repeats: int) -> None:
    timed(spec, seed, 20_000)  # warm-up
    pairs = [(timed(spec, seed, paths), timed(spec, seed, paths, DroppedReports())) for _ in range(repeats)]
    report("in process (reports dropped):", pairs)


def in_ray_tasks(spec, seed: int, paths: int, repeats: int) -> None:
    import ray

    from montecarlo_sim.jobs.board import JobBoard
    from montecarlo_sim.jobs.links import RunTarget, TaskLink
    from montecarlo_sim.jobs.settings import JobSettings

    os.environ["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             _temp_dir=tempfile.mkdtemp(prefix="mcs-bench-", dir="/tmp"))
    try:
        board = JobBoard.remote(JobSettings().__dict__)

        @ray.remote(num_cpus=1)
        def task(target):
            return timed(spec, seed, paths, None if target is None else TaskLink(target))

        pairs = []
        for i in range(repeats + 1):
            claim = ray.get(board.claim.remote(f"bench-{i}", "h", paths))
            target = RunTarget(board, f"bench-{i}", claim.run, 0.5)
            pairs.append((ray.get(task.remote(None)), ray.get(task.remote(target))))
        report("Ray tasks (reports to the board):", pairs[1:])  # the first pair warms the worker
    finally:
        ray.shutdown()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--ray", action="store_true", help="also time the pairs as Ray tasks reporting to a board")
    args = ap.parse_args()
    req = SimulationRequest.model_validate(WORKLOAD)
    spec, seed, paths = to_spec(req), req.seed, req.simulation.paths
    in_process(spec, seed, paths, args.repeats)
    if args.ray:
        in_ray_tasks(spec, seed, paths, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
