"""The response document: shape, nulls, meta, and consistency of the parts."""

from __future__ import annotations

import json

from montecarlo_sim import ENGINE_VERSION
from montecarlo_sim.engine import CHUNK_SIZE, chunk_plan
from montecarlo_sim.schema import SimulationRequest
from montecarlo_sim.service import simulate

from .requests import funded_history, standard_assessment, with_changes

DIST_KEYS = {"p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "mean", "std"}
P_KEYS = {"estimate", "lower", "upper", "count"}


def test_assessment_response_shape():
    body = standard_assessment(40_000)
    r = simulate(SimulationRequest.model_validate(body))
    json.dumps(r, allow_nan=False)  # strict JSON
    assert r["jobId"] == "job-1" and r["mode"] == "assessment" and r["paths"] == 40_000
    assert r["confidenceLevel"] == 0.95
    probs = r["probabilities"]
    assert set(probs) == {"pass", "fail", "unresolved", "survive"}
    for p in list(probs.values()) + list(r["failureReasons"].values()):
        assert set(p) == P_KEYS and p["lower"] <= p["estimate"] <= p["upper"]
    assert probs["pass"]["count"] + probs["fail"]["count"] + probs["unresolved"]["count"] == 40_000
    assert probs["survive"]["count"] == 40_000 - probs["fail"]["count"]
    reasons = r["failureReasons"]
    assert sum(v["count"] for v in reasons.values()) == probs["fail"]["count"]
    # maxTradingDays (30) < horizon (60): open paths fail by time limit.
    assert probs["unresolved"]["count"] == 0 and reasons["timeLimit"]["count"] > 0
    for key in ("daysToPass", "tradesToPass", "finalBalance", "maxDrawdown"):
        assert set(r[key]) == DIST_KEYS
    assert 4 <= r["daysToPass"]["p1"] and r["daysToPass"]["p99"] <= 30  # minTradingDays 4
    assert r["maxDrawdown"]["p1"] >= 0
    meta = r["meta"]
    assert meta["engineVersion"] == ENGINE_VERSION and meta["seed"] == 42 and meta["paths"] == 40_000
    assert meta["chunkSize"] == CHUNK_SIZE and meta["chunks"] == len(chunk_plan(40_000))
    assert len(meta["requestHash"]) == 64 and int(meta["requestHash"], 16) >= 0
    assert meta["elapsedMs"] > 0


def test_funded_response_has_null_pass_and_conditionals():
    r = simulate(SimulationRequest.model_validate(funded_history(20_000)))
    assert r["probabilities"]["pass"] is None
    assert r["daysToPass"] is None and r["tradesToPass"] is None
    assert r["failureReasons"]["timeLimit"]["count"] == 0
    # Funded: open paths are survivors (unresolved == survive).
    assert r["probabilities"]["unresolved"] == r["probabilities"]["survive"]
    assert r["finalBalance"] is not None and r["maxDrawdown"]["p1"] >= 0


def test_conditionals_are_null_when_nobody_passes():
    body = with_changes(standard_assessment(5_000), (("rules", "profitTarget"), 1e9))
    r = simulate(SimulationRequest.model_validate(body))
    assert r["probabilities"]["pass"]["count"] == 0
    assert r["daysToPass"] is None and r["tradesToPass"] is None


def test_horizon_shorter_than_time_limit_leaves_paths_unresolved():
    body = with_changes(standard_assessment(5_000), (("simulation", "horizonDays"), 10))
    r = simulate(SimulationRequest.model_validate(body))
    assert r["meta"]["days"] == 10
    assert r["failureReasons"]["timeLimit"]["count"] == 0
    assert r["probabilities"]["unresolved"]["count"] > 0
