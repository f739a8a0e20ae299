"""The fan-out over Ray tasks gives the inline result bit for bit."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from montecarlo_sim.engine import CHUNK_SIZE, run_inline
from montecarlo_sim.request_mapping import to_spec
from montecarlo_sim.schema import SimulationRequest

from .requests import funded_history, standard_assessment, with_changes

pytestmark = pytest.mark.ray

PATHS = 2 * CHUNK_SIZE + 777


def assert_same(a, b) -> None:
    for name in ("outcome", "reason", "day", "trades", "final_balance", "max_drawdown"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


SHORT = (("simulation", "horizonDays"), 12)


@pytest.mark.parametrize(
    "body",
    [with_changes(standard_assessment(PATHS), SHORT), with_changes(funded_history(PATHS), SHORT)],
    ids=["assessment", "funded-history"],
)
def test_parallel_ray_tasks_equal_inline(ray_cluster, body):
    from montecarlo_sim.fanout import run_tasks, run_tasks_async

    spec = to_spec(SimulationRequest.model_validate(body))
    reference = run_inline(spec, body["seed"], PATHS)
    # One chunk per task (3 tasks, 2 run at once), then 2 chunks per task.
    assert_same(reference, run_tasks(spec, body["seed"], PATHS, chunks_per_task=1))
    assert_same(reference, run_tasks(spec, body["seed"], PATHS, chunks_per_task=2))
    # The async path used by the Serve replica.
    assert_same(reference, asyncio.run(run_tasks_async(spec, body["seed"], PATHS, chunks_per_task=3)))
