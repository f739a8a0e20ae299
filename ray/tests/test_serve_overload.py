"""Overload: beyond max_ongoing_requests + max_queued_requests Serve answers 503.

Runs a second local Serve with the shipped config edited the way the
platform controller edits it (only the simulator's autoscaling block and
max_ongoing_requests, plus max_queued_requests here), pinned to one replica.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import yaml

from .conftest import AUTH, local_serve
from .requests import standard_assessment, with_changes

pytestmark = pytest.mark.serve

CONFIG = Path(__file__).resolve().parent.parent / "serve-config.yaml"


@pytest.fixture(scope="module")
def tight_serve_url(tmp_path_factory):
    raw = yaml.safe_load(CONFIG.read_text())
    app = next(a for a in raw["applications"] if a["name"] == "simulator")
    dep = app["deployments"][0]
    dep["max_ongoing_requests"] = 1
    dep["max_queued_requests"] = 1
    dep["autoscaling_config"].update(min_replicas=1, max_replicas=1, initial_replicas=1)
    path = tmp_path_factory.mktemp("overload") / "serve-config.yaml"
    path.write_text(yaml.safe_dump(raw))
    with local_serve(str(path)) as url:
        yield url


def test_overload_gets_503_and_the_rest_succeed(tight_serve_url):
    # Each request computes for a while (inline, about a second), so with one
    # running and one queued the others must be rejected at once.
    body = with_changes(standard_assessment(120_000), (("simulation", "horizonDays"), 60), (("rules", "maxTradingDays"), 60))

    def call(i: int) -> tuple[int, str]:
        r = httpx.post(f"{tight_serve_url}/simulate", json={**body, "jobId": f"j{i}"}, headers=AUTH, timeout=180)
        return r.status_code, r.text

    # The replica serves before the burst: a 503 below is the queue's, not
    # that of an application still starting.
    assert call(-1)[0] == 200
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(call, range(6)))
    codes = [code for code, _ in answers]
    assert 503 in codes, answers
    assert 200 in codes, answers
    assert set(codes) <= {200, 503}, answers
    # Serve's proxy names the cause of each 503: the full queue, not a replica
    # that is not ready (which would also answer 503).
    for code, text in answers:
        if code == 503:
            assert "dropped due to backpressure" in text and "max_queued_requests=1" in text, text
    # The health application is unaffected by the simulator's queue.
    assert httpx.get(f"{tight_serve_url}/health", timeout=30).json() == {"status": "healthy"}
