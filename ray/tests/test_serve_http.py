"""The HTTP contract through a real local Ray Serve (montecarlo_sim.local)."""

from __future__ import annotations

import httpx
import pytest

from montecarlo_sim.engine import CHUNK_SIZE
from montecarlo_sim.fanout import INLINE_MAX_CHUNKS
from montecarlo_sim.schema import SimulationRequest
from montecarlo_sim.service import simulate

from .conftest import AUTH
from .requests import funded_history, standard_assessment, with_changes

pytestmark = pytest.mark.serve

TIMEOUT = httpx.Timeout(180.0)


def post(url: str, body, headers=AUTH) -> httpx.Response:
    return httpx.post(f"{url}/simulate", json=body, headers=headers, timeout=TIMEOUT)


def without_elapsed(result: dict) -> dict:
    out = dict(result)
    out["meta"] = {k: v for k, v in result["meta"].items() if k != "elapsedMs"}
    return out


def test_health(serve_url):
    # Open: no Authorization header.
    r = httpx.get(f"{serve_url}/health", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json() == {"status": "healthy"}


@pytest.mark.parametrize(
    "headers,status",
    [
        pytest.param({}, 401, id="no-token"),
        pytest.param({"Authorization": "Bearer not-the-token"}, 403, id="wrong-token"),
        pytest.param(AUTH, 200, id="the-token"),
    ],
)
def test_simulate_requires_the_bearer_token(serve_url, headers, status):
    r = post(serve_url, standard_assessment(1_000), headers=headers)
    assert r.status_code == status, r.text
    if status != 200:
        assert "Bearer" not in r.text and AUTH["Authorization"] not in r.text


def test_simulate_assessment(serve_url):
    body = standard_assessment(20_000)
    r = post(serve_url, body)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["jobId"] == "job-1" and got["paths"] == 20_000
    assert 0 <= got["probabilities"]["pass"]["estimate"] <= 1
    # Same numbers as the engine computed here, in this process.
    local = simulate(SimulationRequest.model_validate(body))
    assert without_elapsed(got) == without_elapsed(local)


def test_simulate_funded(serve_url):
    r = post(serve_url, funded_history(10_000))
    assert r.status_code == 200, r.text
    assert r.json()["probabilities"]["pass"] is None


def test_two_identical_posts_are_identical(serve_url):
    body = funded_history(15_000, seed=99)
    a, b = post(serve_url, body), post(serve_url, body)
    assert a.status_code == b.status_code == 200
    assert without_elapsed(a.json()) == without_elapsed(b.json())


def test_large_request_fans_out_and_matches_inline(serve_url):
    """More chunks than the inline limit: computed by Ray tasks in the
    Serve cluster, merged in chunk order, equal to the inline result."""
    paths = (INLINE_MAX_CHUNKS + 1) * CHUNK_SIZE + 99
    body = with_changes(standard_assessment(paths), (("simulation", "horizonDays"), 20), (("rules", "maxTradingDays"), 15))
    r = post(serve_url, body)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["meta"]["chunks"] == INLINE_MAX_CHUNKS + 2
    local = simulate(SimulationRequest.model_validate(body))
    assert without_elapsed(got) == without_elapsed(local)


@pytest.mark.parametrize(
    "changes,loc",
    [
        pytest.param([(("trader", "parametric", "winRate"), 1.5)], ["body", "trader", "parametric", "winRate"], id="win-rate"),
        pytest.param([(("rules", "profitTarget"), ...)], ["body", "rules", "profitTarget"], id="missing-target"),
        pytest.param([(("trader", "history"), {"pnl": [1]})], ["body", "trader", "parametric"], id="both-models"),
        pytest.param([(("rules", "maxLoss", "mode"), "Daily")], ["body", "rules", "maxLoss", "mode"], id="enum"),
    ],
)
def test_invalid_request_is_422_naming_the_field(serve_url, changes, loc):
    r = post(serve_url, with_changes(standard_assessment(1_000), *changes))
    assert r.status_code == 422, r.text
    assert loc in [e["loc"] for e in r.json()["detail"]]


@pytest.mark.parametrize(
    "changes,loc",
    [
        pytest.param([(("simulation", "paths"), 1_000_001)], ["body", "simulation", "paths"], id="paths"),
        pytest.param([(("simulation", "horizonDays"), 400)], ["body", "simulation", "horizonDays"], id="horizon"),
    ],
)
def test_oversized_request_is_422(serve_url, changes, loc):
    r = post(serve_url, with_changes(standard_assessment(1_000), *changes))
    assert r.status_code == 422, r.text
    assert loc in [e["loc"] for e in r.json()["detail"]]


def test_oversized_history_is_422(serve_url):
    body = with_changes(funded_history(1_000), (("trader", "history", "pnl"), [1.0] * 10_001))
    r = post(serve_url, body)
    assert r.status_code == 422
    assert ["body", "trader", "history", "pnl"] in [e["loc"] for e in r.json()["detail"]]


def test_malformed_json_is_422(serve_url):
    r = httpx.post(
        f"{serve_url}/simulate",
        content=b"{not json",
        headers={"content-type": "application/json", **AUTH},
        timeout=TIMEOUT,
    )
    assert r.status_code == 422
