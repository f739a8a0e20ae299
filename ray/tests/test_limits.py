"""The work cap (paths x days x trades per day) and the single statement of
the size bounds in limits.json, which the operator's CRD reads too."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from montecarlo_sim import schema
from montecarlo_sim.schema import SimulationRequest

from .requests import funded_history, standard_assessment

LIMITS = json.loads((Path(schema.__file__).parent / "limits.json").read_text())


def test_bounds_come_from_limits_json():
    assert schema.MAX_TRADES_PER_DAY == LIMITS["maxTradesPerDay"] == 100
    assert schema.MAX_PATH_STEPS == LIMITS["maxPathSteps"]
    assert schema.MAX_PATHS == LIMITS["maxPaths"]


def test_trades_per_day_above_the_bound_is_refused():
    body = funded_history(1_000)
    body["trader"]["tradesPerDay"] = {"mean": LIMITS["maxTradesPerDay"] + 1, "distribution": "Fixed"}
    with pytest.raises(ValidationError) as err:
        SimulationRequest.model_validate(body)
    assert ("trader", "tradesPerDay", "mean") in [e["loc"] for e in err.value.errors()]


def test_work_over_the_cap_is_refused_naming_paths():
    body = funded_history(1_000_000)
    body["simulation"]["horizonDays"] = 365
    body["trader"]["tradesPerDay"] = {"mean": 30, "distribution": "Fixed"}  # 1.095e10 > 1e10
    with pytest.raises(ValidationError) as err:
        SimulationRequest.model_validate(body)
    errors = [e for e in err.value.errors() if e["type"] == "too_much_work"]
    assert len(errors) == 1
    assert errors[0]["loc"] == ("simulation", "paths")
    assert "path-steps" in errors[0]["msg"]


def test_work_at_the_cap_is_accepted():
    body = funded_history(1_000_000)
    body["simulation"]["horizonDays"] = 100
    body["trader"]["tradesPerDay"] = {"mean": 100, "distribution": "Fixed"}  # exactly 1e10
    assert schema.path_steps(SimulationRequest.model_validate(body)) == LIMITS["maxPathSteps"]


def test_an_assessment_counts_the_days_of_its_time_limit():
    body = standard_assessment(1_000)
    req = SimulationRequest.model_validate(body)
    days = min(d for d in (req.simulation.horizon_days, req.rules.max_trading_days) if d)
    assert schema.path_steps(req) == 1_000 * days * req.trader.trades_per_day.mean
