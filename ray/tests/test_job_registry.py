"""The job registry's state machine and bounds, without Ray (time passed in)."""

from __future__ import annotations

import re

import pytest

from montecarlo_sim.jobs.registry import (
    ATTACH,
    BUSY,
    CANCELLED,
    FAILED,
    LOST,
    RESULT,
    RUNNING,
    START,
    SUCCEEDED,
    JobRegistry,
)
from montecarlo_sim.jobs.settings import JobSettings

SETTINGS = JobSettings(retention_s=600, orphan_s=300, max_records=100, stale_s=30)
T0 = 1_800_000_000.0
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def result(tag: str = "r") -> bytes:
    return f'{{"tag": "{tag}"}}'.encode()


def registry(**changes) -> JobRegistry:
    return JobRegistry(JobSettings(**{**SETTINGS.__dict__, **changes}))


def finished(reg: JobRegistry, job: str, now: float, steps: int = 100, digest: str = "h") -> None:
    claim = reg.claim(job, digest, 10, now)
    assert claim.kind == START
    assert reg.finish(job, claim.run, result(job), steps, now)


def test_start_attach_progress_and_result():
    reg = registry()
    first = reg.claim("a", "h", 1000, T0)
    assert (first.kind, first.run) == (START, 1)
    assert reg.claim("a", "h", 1000, T0 + 1).kind == ATTACH
    assert reg.report("a", 1, {0: 300, 1: 200}, 5_000, T0 + 2) is False
    view = reg.view("a", T0 + 2)
    assert view["state"] == RUNNING
    assert (view["pathsDone"], view["pathsTotal"], view["pathSteps"]) == (500, 1000, 5_000)
    assert RFC3339_UTC.match(view["startTime"]) and RFC3339_UTC.match(view["updatedTime"])
    assert view["updatedTime"] > view["startTime"]
    assert reg.finish("a", 1, result(), 9_000, T0 + 3)
    done = reg.view("a", T0 + 3)
    # The exact count replaces the reported one; done is the whole run.
    assert (done["state"], done["pathsDone"], done["pathSteps"]) == (SUCCEEDED, 1000, 9_000)
    again = reg.claim("a", "h", 1000, T0 + 4)
    assert (again.kind, again.result) == (RESULT, result())
    assert reg.outcome("a", 1).kind == SUCCEEDED


def test_a_new_hash_cancels_the_running_run_and_keeps_its_steps():
    reg = registry()
    reg.claim("a", "h1", 100, T0)
    reg.report("a", 1, {0: 50}, 700, T0 + 1)
    second = reg.claim("a", "h2", 200, T0 + 2)
    assert (second.kind, second.run) == (START, 2)
    assert reg.outcome("a", 1).kind == CANCELLED
    # Late work of the superseded run still counts for the job.
    assert reg.report("a", 1, {0: 60}, 30, T0 + 3) is True
    view = reg.view("a", T0 + 3)
    assert (view["state"], view["pathsDone"], view["pathsTotal"], view["pathSteps"]) == (RUNNING, 0, 200, 730)
    assert reg.finish("a", 1, result(), 1, T0 + 4) is False
    assert [(j, r, o.kind) for j, r, o in reg.drain_ended()] == [("a", 1, CANCELLED)]


def test_a_last_report_that_comes_with_the_result_counts_only_for_a_run_that_ended():
    reg = registry()
    reg.claim("a", "h", 100, T0)
    reg.report("a", 1, {0: 40}, 300, T0 + 1)
    # Still running: the result's exact count wins over the report's.
    assert reg.finish("a", 1, result(), 1_000, T0 + 2, last_report=({0: 100}, 900))
    assert reg.view("a", T0 + 2)["pathSteps"] == 1_000
    reg.claim("b", "h", 100, T0)
    reg.report("b", 1, {0: 40}, 300, T0 + 1)
    reg.cancel("b", T0 + 2)
    # Cancelled meanwhile: the result is refused, the worker's last work still counts.
    assert reg.finish("b", 1, result(), 1_000, T0 + 3, last_report=({0: 100}, 700)) is False
    view = reg.view("b", T0 + 3)
    assert (view["state"], view["pathSteps"], view["pathsDone"]) == (CANCELLED, 1_000, 40)


def test_a_run_keeps_its_outcome_after_newer_runs_end():
    reg = registry()
    reg.claim("a", "h1", 10, T0)
    reg.claim("a", "h2", 10, T0 + 1)  # supersedes run 1
    assert reg.finish("a", 2, result(), 5, T0 + 2)
    # The request that started run 1 asks late: cancelled, not lost.
    assert reg.outcome("a", 1).kind == CANCELLED
    assert reg.outcome("a", 2).kind == SUCCEEDED
    for run, digest in enumerate(["h3", "h4", "h5", "h6"], start=3):
        assert reg.claim("a", digest, 10, T0 + run).run == run
        assert reg.fail("a", run, "boom", T0 + run)
    # Only the newest ENDED_KEPT outcomes are kept.
    assert [reg.outcome("a", run).kind for run in range(1, 7)] == [LOST, LOST, FAILED, FAILED, FAILED, FAILED]


def test_a_new_hash_after_success_starts_a_new_run():
    reg = registry()
    finished(reg, "a", T0, steps=40)
    claim = reg.claim("a", "other", 10, T0 + 1)
    assert (claim.kind, claim.run) == (START, 2)
    assert reg.view("a", T0 + 1)["pathSteps"] == 40


def test_cancel_is_idempotent_and_leaves_finished_jobs_alone():
    reg = registry()
    assert reg.cancel("nobody", T0) is None
    reg.claim("a", "h", 10, T0)
    assert reg.cancel("a", T0 + 1)["state"] == CANCELLED
    assert reg.cancel("a", T0 + 2)["state"] == CANCELLED
    assert reg.heartbeat("a", 1, T0 + 2) is True
    assert reg.report("a", 1, {0: 5}, 10, T0 + 2) is True
    # Work done before the worker noticed still counts; progress does not move.
    view = reg.view("a", T0 + 2)
    assert (view["pathsDone"], view["pathSteps"]) == (0, 10)
    finished(reg, "b", T0)
    assert reg.cancel("b", T0 + 1)["state"] == SUCCEEDED


def test_a_cancelled_job_starts_again_on_a_new_claim():
    reg = registry()
    reg.claim("a", "h", 10, T0)
    reg.report("a", 1, {}, 25, T0)
    reg.cancel("a", T0 + 1)
    claim = reg.claim("a", "h", 10, T0 + 2)
    assert (claim.kind, claim.run) == (START, 2)
    assert reg.view("a", T0 + 2)["pathSteps"] == 25
    # The request that waited on run 1 still learns it was cancelled.
    assert reg.outcome("a", 1).kind == CANCELLED
    assert reg.outcome("a", 2).kind == RUNNING


def test_failed_runs_are_not_kept_as_results():
    reg = registry()
    reg.claim("a", "h", 10, T0)
    assert reg.fail("a", 1, "ValueError: boom", T0 + 1)
    outcome = reg.outcome("a", 1)
    assert (outcome.kind, outcome.detail) == (FAILED, "ValueError: boom")
    assert reg.view("a", T0 + 1)["state"] == FAILED
    assert reg.claim("a", "h", 10, T0 + 2).kind == START


def test_finished_records_expire_after_retention():
    reg = registry(retention_s=60)
    finished(reg, "a", T0)
    finished(reg, "b", T0 + 30)
    assert reg.view("a", T0 + 59) is not None
    assert reg.view("a", T0 + 61) is None
    assert reg.view("b", T0 + 61) is not None
    assert reg.view("b", T0 + 91) is None
    assert len(reg) == 0


def test_running_records_do_not_expire_while_heartbeats_arrive():
    reg = registry(retention_s=60, stale_s=30)
    reg.claim("a", "h", 10, T0)
    for t in range(10, 200, 10):
        assert reg.heartbeat("a", 1, T0 + t) is False
    assert reg.view("a", T0 + 200)["state"] == RUNNING


def test_the_cap_evicts_the_oldest_finished_record_then_refuses():
    reg = registry(max_records=3)
    finished(reg, "a", T0)
    finished(reg, "b", T0 + 1)
    reg.claim("c", "h", 10, T0 + 2)
    assert reg.claim("d", "h", 10, T0 + 3).kind == START
    assert reg.view("a", T0 + 3) is None and reg.view("b", T0 + 3) is not None
    assert reg.claim("e", "h", 10, T0 + 4).kind == START
    assert reg.view("b", T0 + 4) is None
    assert len(reg) == 3
    # Only running records left: a new job is refused, the others go on.
    assert reg.claim("f", "h", 10, T0 + 5).kind == BUSY
    assert reg.claim("c", "h", 10, T0 + 5).kind == ATTACH
    assert len(reg) == 3


def test_many_short_runs_stay_within_the_cap():
    reg = registry(max_records=50, retention_s=3600)
    for i in range(1_000):
        finished(reg, f"job-{i}", T0 + i)
        assert len(reg) <= 50
    assert reg.view("job-999", T0 + 1000) is not None
    assert reg.view("job-949", T0 + 1000) is None


def test_a_run_without_clients_is_cancelled_after_the_orphan_timeout():
    reg = registry(orphan_s=300, stale_s=10_000)
    reg.claim("a", "h", 10, T0)
    reg.claim("a", "h", 10, T0)
    reg.detach("a", 1, T0 + 10)
    assert reg.view("a", T0 + 400)["state"] == RUNNING  # one client left
    reg.detach("a", 1, T0 + 400)
    assert reg.view("a", T0 + 699)["state"] == RUNNING
    # A client that attaches again stops the clock.
    assert reg.claim("a", "h", 10, T0 + 650).kind == ATTACH
    reg.detach("a", 1, T0 + 660)
    assert reg.view("a", T0 + 959)["state"] == RUNNING
    view = reg.view("a", T0 + 961)
    assert view["state"] == CANCELLED
    assert reg.outcome("a", 1).kind == CANCELLED
    assert reg.heartbeat("a", 1, T0 + 962) is True


def test_detach_of_an_older_run_does_not_orphan_the_new_one():
    reg = registry(orphan_s=5, stale_s=10_000)
    reg.claim("a", "h1", 10, T0)
    reg.claim("a", "h2", 10, T0 + 1)
    reg.detach("a", 1, T0 + 1)
    assert reg.view("a", T0 + 100)["state"] == RUNNING


def test_a_run_without_heartbeats_is_lost():
    reg = registry(stale_s=30, orphan_s=10_000)
    reg.claim("a", "h", 10, T0)
    assert reg.heartbeat("a", 1, T0 + 20) is False
    assert reg.view("a", T0 + 49)["state"] == RUNNING
    assert reg.view("a", T0 + 51)["state"] == FAILED
    # Waiting requests take it over with a new run.
    assert reg.outcome("a", 1).kind == LOST
    assert reg.claim("a", "h", 10, T0 + 52).kind == START


def test_unknown_runs_are_lost_and_must_stop():
    reg = registry()
    assert reg.outcome("x", 1).kind == LOST
    assert reg.heartbeat("x", 1, T0) is True
    assert reg.report("x", 1, {0: 1}, 1, T0) is True
    assert reg.fail("x", 1, "boom", T0) is False


def test_sweeps_are_throttled_unless_forced():
    reg = registry(retention_s=0.5)
    finished(reg, "a", T0)  # the claim swept at T0
    reg.sweep(T0 + 0.9)  # expired, but within a second of the last sweep
    assert len(reg) == 1
    reg.sweep(T0 + 0.9, force=True)
    assert len(reg) == 0


@pytest.mark.parametrize(
    "env,expected",
    [
        ({}, JobSettings()),
        (
            {"MC_JOB_RETENTION_SECONDS": "5", "MC_JOB_ORPHAN_SECONDS": "2.5", "MC_JOB_MAX_RECORDS": "7", "MC_JOB_PROGRESS_SECONDS": "0.1"},
            JobSettings(retention_s=5, orphan_s=2.5, max_records=7, progress_s=0.1),
        ),
    ],
)
def test_settings_from_env(env, expected):
    assert JobSettings.from_env(env) == expected


def test_settings_reject_non_positive_values():
    with pytest.raises(ValueError, match="MC_JOB_ORPHAN_SECONDS"):
        JobSettings.from_env({"MC_JOB_ORPHAN_SECONDS": "0"})
