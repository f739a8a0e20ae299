"""Same request and seed -> the same result, however the chunks are run."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from montecarlo_sim.engine import (
    CHUNK_SIZE,
    HistoryTrader,
    MaxLossRule,
    SimulationSpec,
    run_inline,
    run_with_executor,
)
from montecarlo_sim.engine.outcome import PathOutcomes
from montecarlo_sim.engine.runner import batches
from montecarlo_sim.request_mapping import to_spec
from montecarlo_sim.schema import SimulationRequest
from montecarlo_sim.service import simulate

from .requests import funded_history, standard_assessment, with_changes

PATHS = 2 * CHUNK_SIZE + 1234  # several chunks, the last one partial


def assert_same(a: PathOutcomes, b: PathOutcomes) -> None:
    for name in ("outcome", "reason", "day", "trades", "final_balance", "max_drawdown"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def without_elapsed(result: dict) -> dict:
    out = dict(result)
    out["meta"] = {k: v for k, v in result["meta"].items() if k != "elapsedMs"}
    return out


SHORT = (("simulation", "horizonDays"), 12)


@pytest.mark.parametrize(
    "body",
    [with_changes(standard_assessment(PATHS), SHORT), with_changes(funded_history(PATHS), SHORT)],
    ids=["assessment", "funded-history"],
)
def test_inline_equals_threads_and_any_batching(body):
    spec = to_spec(SimulationRequest.model_validate(body))
    reference = run_inline(spec, body["seed"], PATHS)
    for workers, per_batch in ((1, 1), (3, 1), (2, 2)):
        with ThreadPoolExecutor(max_workers=workers) as pool:
            got = run_with_executor(spec, body["seed"], PATHS, pool, chunks_per_batch=per_batch)
        assert_same(reference, got)


def test_batches_cover_the_chunk_plan_in_order():
    plan = [c for b in batches(PATHS, 3) for c in b]
    assert [i for i, _ in plan] == list(range(len(plan)))
    assert sum(n for _, n in plan) == PATHS


def test_response_identical_apart_from_elapsed():
    req = SimulationRequest.model_validate(standard_assessment(30_000))
    a = simulate(req)
    with ThreadPoolExecutor(max_workers=3) as pool:
        b = simulate(req, runner=lambda s, seed, n: run_with_executor(s, seed, n, pool))
    assert without_elapsed(a) == without_elapsed(b)


def test_different_seeds_differ_and_job_id_does_not_matter():
    body = standard_assessment(20_000)
    a = simulate(SimulationRequest.model_validate(body))
    b = simulate(SimulationRequest.model_validate({**body, "jobId": "other"}))
    c = simulate(SimulationRequest.model_validate({**body, "seed": 43}))
    assert a["meta"]["requestHash"] == b["meta"]["requestHash"] != c["meta"]["requestHash"]
    assert without_elapsed(a)["probabilities"] == without_elapsed(b)["probabilities"]
    assert a["finalBalance"] != c["finalBalance"]


def test_block_bootstrap_with_mean_length_one_is_iid_bit_for_bit():
    pnl = (120.0, -80.0, 310.0, -150.0, 45.0)
    common = dict(initial_balance=10_000, max_loss=MaxLossRule(1_000, "TrailingIntraday"), days=20, trades_per_day=3)
    iid = SimulationSpec(trader=HistoryTrader(pnl, False, 1.0), **common)
    block = SimulationSpec(trader=HistoryTrader(pnl, True, 1.0), **common)
    assert_same(run_inline(iid, 9, 50_000), run_inline(block, 9, 50_000))
