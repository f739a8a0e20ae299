"""The engine's progress hook, the batching reporter and the replica thread's link (no Ray)."""

from __future__ import annotations

import threading
from typing import Dict, List, Tuple

import numpy as np
import pytest

from montecarlo_sim.engine import run_batch, run_inline, simulate_chunk
from montecarlo_sim.jobs.links import RunTarget, ThreadLink
from montecarlo_sim.jobs.progress import MIN_GAP_S, REPORTS_PER_SHARE, ProgressReporter, RunCancelled
from montecarlo_sim.request_mapping import to_spec
from montecarlo_sim.schema import SimulationRequest

from .requests import funded_history, standard_assessment, with_changes

BODIES = {
    # Fixed trades, paths pass and fail early (compaction), consistency rule.
    "assessment": with_changes(standard_assessment(3_000), (("simulation", "horizonDays"), 40), (("rules", "maxTradingDays"), 40)),
    # Poisson days (some without trades), StopDay rows, trailing floor.
    "funded": with_changes(funded_history(3_000), (("simulation", "horizonDays"), 30)),
}


def spec_of(body):
    req = SimulationRequest.model_validate(body)
    return to_spec(req), req.seed


class RecordingLink:
    def __init__(self, stop_after: int = -1) -> None:
        self.sent: List[Tuple[Dict[int, int], int]] = []
        self.last: List[bool] = []
        self.stop_after = stop_after

    def send(self, done: Dict[int, int], steps: int, last: bool = False) -> None:
        self.sent.append((done, steps))
        self.last.append(last)

    def stopped(self) -> bool:
        return 0 <= self.stop_after <= len(self.sent)


def ticking(step_s: float):
    """A clock that advances ``step_s`` at every read."""
    ticks = iter(range(10**9))
    return lambda: next(ticks) * step_s


# Slower than the minimum gap between reports: only the share step decides.
SLOW = MIN_GAP_S * 1.5


def same(a, b) -> None:
    for name in ("outcome", "reason", "day", "trades", "final_balance", "max_drawdown"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_hook_fractions_rise_to_one_and_steps_end_exact(kind):
    spec, seed = spec_of(BODIES[kind])
    calls: List[Tuple[float, int]] = []
    out = simulate_chunk(spec, seed, 0, 3_000, lambda f, steps: calls.append((f, steps())))
    same(out, simulate_chunk(spec, seed, 0, 3_000))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and 0 < fractions[0]
    assert fractions[-1] == 1.0 or out.day.max() < spec.days  # all paths may end early
    # Day-end counts are exact: the last one equals the chunk's path-steps.
    assert calls[-1][1] == out.path_steps
    assert all(0 <= s <= out.path_steps for _, s in calls)


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_reporter_sends_at_least_the_promised_steps_and_every_path_step(kind):
    spec, seed = spec_of(BODIES[kind])
    chunks = [(0, 1_500), (1, 1_400)]  # two chunks, as an inline run or a task batch
    paths = 2_900
    link = RecordingLink()
    out = run_batch(spec, seed, chunks, ProgressReporter(link, paths, interval_s=3600.0, clock=ticking(SLOW)))
    same(out, run_batch(spec, seed, chunks))
    assert set(link.sent[-1][0]) == {0, 1}
    done_totals = [sum(d.values()) for d, _ in link.sent]
    assert done_totals == sorted(done_totals)
    assert done_totals[-1] == paths
    assert len(set(done_totals)) >= 20
    assert all(s >= 0 for _, s in link.sent)
    assert sum(s for _, s in link.sent) == out.path_steps
    # Only the final report, with every path done, is marked as the last.
    assert link.last == [False] * (len(link.sent) - 1) + [True]


def test_reporter_batches_by_share_not_by_block():
    spec, seed = spec_of(with_changes(BODIES["funded"], (("simulation", "horizonDays"), 200)))
    link = RecordingLink()
    run_inline(spec, seed, 2_000, ProgressReporter(link, 2_000, interval_s=3600.0, clock=ticking(SLOW)))
    # About one report per 1/40 of the paths, plus the chunk's end: never one per day.
    assert REPORTS_PER_SHARE <= len(link.sent) <= REPORTS_PER_SHARE + 2


def test_reports_are_never_closer_than_the_minimum_gap():
    spec, seed = spec_of(with_changes(BODIES["funded"], (("simulation", "horizonDays"), 200)))
    link = RecordingLink()
    reads = []
    tick = ticking(MIN_GAP_S / 10)

    def clock() -> float:
        reads.append(None)
        return tick()

    run_inline(spec, seed, 2_000, ProgressReporter(link, 2_000, interval_s=3600.0, clock=clock))
    # A gap is 10 clock reads: at most one report per 10 reads, plus the chunk's end.
    assert len(reads) > 100
    assert 2 <= len(link.sent) <= len(reads) // 10 + 1


def test_reporter_reports_on_the_interval_when_the_share_step_is_not_reached():
    spec, seed = spec_of(with_changes(BODIES["funded"], (("simulation", "horizonDays"), 200)))
    ticks = iter(range(10**6))
    link = RecordingLink()
    # Each clock read advances 1 s; the interval is 1 s: every advancing block reports.
    run_inline(spec, seed, 2_000, ProgressReporter(link, 2_000, interval_s=1.0, clock=lambda: float(next(ticks))))
    assert len(link.sent) > 150


def test_reporter_stops_the_run_when_the_link_says_so():
    spec, seed = spec_of(BODIES["funded"])
    link = RecordingLink(stop_after=3)
    with pytest.raises(RunCancelled):
        run_inline(spec, seed, 3_000, ProgressReporter(link, 3_000, interval_s=3600.0, clock=ticking(SLOW)))
    # Stopped at the first block after the third report, long before the end.
    assert len(link.sent) == 3
    assert sum(link.sent[-1][0].values()) < 3_000 // 2


class FakeBoard:
    """A board handle whose report calls are recorded (``report.remote``)."""

    def __init__(self) -> None:
        self.reports: List[tuple] = []
        self.report = self
        self.remote = lambda *args: self.reports.append(args)


def test_thread_link_keeps_its_last_report_for_the_result():
    board = FakeBoard()
    link = ThreadLink(RunTarget(board, "j", 3, 0.5), threading.Event())
    link.send({0: 10}, 100)
    link.send({0: 20, 1: 5}, 50, last=True)
    link.send({0: 20, 1: 9}, 7, last=True)  # a second end adds its path-steps
    assert board.reports == [("j", 3, {0: 10}, 100)]
    assert link.take_last() == ({0: 20, 1: 9}, 57)
    assert link.take_last() is None
    link.send({0: 30}, 4, last=True)
    link.send_last()  # when the run ends without a result
    link.send_last()
    assert board.reports[1:] == [("j", 3, {0: 30}, 4)]
