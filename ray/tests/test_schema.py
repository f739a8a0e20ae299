"""Request validation: bounds, one-of and cross-field rules name the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from montecarlo_sim.schema import SimulationRequest

from .requests import funded_history, standard_assessment, with_changes


def errors_for(body) -> list:
    with pytest.raises(ValidationError) as exc:
        SimulationRequest.model_validate(body)
    return exc.value.errors()


def locs(body) -> set:
    return {tuple(e["loc"]) for e in errors_for(body)}


def test_valid_examples_parse():
    a = SimulationRequest.model_validate(standard_assessment())
    assert a.rules.max_loss.mode == "TrailingEndOfDay"
    assert a.simulated_days() == 30  # min(maxTradingDays 30, horizonDays 60)
    f = SimulationRequest.model_validate(funded_history())
    assert f.simulated_days() == 40
    assert f.trader.history.resample == "StationaryBlock"


def test_defaults_are_filled():
    body = with_changes(
        standard_assessment(),
        (("rules", "minTradingDays"), ...),
        (("rules", "maxLoss", "lockAtInitialBalance"), ...),
        (("simulation", "confidenceLevel"), ...),
        (("trader", "parametric", "sizeVariation"), ...),
    )
    req = SimulationRequest.model_validate(body)
    assert req.rules.min_trading_days == 0
    assert req.rules.max_loss.lock_at_initial_balance is False
    assert req.simulation.confidence_level == 0.95
    assert req.trader.parametric.size_variation == 0


@pytest.mark.parametrize(
    "changes,loc",
    [
        pytest.param([(("rules", "profitTarget"), ...)], ("rules", "profitTarget"), id="assessment-without-target"),
        pytest.param([(("mode",), "funded")], ("rules", "profitTarget"), id="funded-with-target"),
        pytest.param(
            [(("trader", "history"), {"pnl": [1.0]})], ("trader", "parametric"), id="both-trader-models"
        ),
        pytest.param([(("trader", "parametric"), ...)], ("trader", "parametric"), id="no-trader-model"),
        pytest.param([(("trader", "parametric", "winRate"), 1.5)], ("trader", "parametric", "winRate"), id="win-rate-1.5"),
        pytest.param([(("account", "initialBalance"), -100)], ("account", "initialBalance"), id="negative-balance"),
        pytest.param([(("account", "initialBalance"), 0)], ("account", "initialBalance"), id="zero-balance"),
        pytest.param([(("rules", "maxLoss", "mode"), "Trailing")], ("rules", "maxLoss", "mode"), id="unknown-max-loss-mode"),
        pytest.param([(("rules", "dailyLoss", "onBreach"), "Pause")], ("rules", "dailyLoss", "onBreach"), id="unknown-on-breach"),
        pytest.param([(("mode",), "evaluation")], ("mode",), id="unknown-mode"),
        pytest.param([(("trader", "tradesPerDay", "distribution"), "Normal")], ("trader", "tradesPerDay", "distribution"), id="unknown-distribution"),
        pytest.param([(("simulation", "paths"), 1_000_001)], ("simulation", "paths"), id="paths-too-large"),
        pytest.param([(("simulation", "paths"), 0)], ("simulation", "paths"), id="paths-zero"),
        pytest.param([(("simulation", "paths"), 1e5)], ("simulation", "paths"), id="paths-float"),
        pytest.param([(("simulation", "horizonDays"), 366)], ("simulation", "horizonDays"), id="horizon-too-long"),
        pytest.param([(("simulation", "confidenceLevel"), 1.0)], ("simulation", "confidenceLevel"), id="confidence-1"),
        pytest.param([(("seed",), -1)], ("seed",), id="negative-seed"),
        pytest.param([(("seed",), 2**53)], ("seed",), id="seed-too-large"),
        pytest.param([(("jobId",), "")], ("jobId",), id="empty-job-id"),
        pytest.param([(("jobId",), "x" * 129)], ("jobId",), id="job-id-too-long"),
        pytest.param([(("trader", "tradesPerDay", "mean"), 2.5)], ("trader", "tradesPerDay", "mean"), id="fixed-fractional-trades"),
        pytest.param([(("trader", "tradesPerDay", "mean"), 0)], ("trader", "tradesPerDay", "mean"), id="zero-trades"),
        pytest.param([(("rules", "consistency", "maxBestDayShare"), 0)], ("rules", "consistency", "maxBestDayShare"), id="share-zero"),
        pytest.param([(("rules", "maxLoss", "amount"), 0)], ("rules", "maxLoss", "amount"), id="max-loss-zero"),
        pytest.param([(("rules", "maxLoss"), ...)], ("rules", "maxLoss"), id="max-loss-missing"),
        pytest.param([(("rules", "maxTradingDays"), 0)], ("rules", "maxTradingDays"), id="max-days-zero"),
        pytest.param([(("rules", "maxloss"), {"amount": 1, "mode": "Static"})], ("rules", "maxloss"), id="unknown-field"),
        pytest.param(
            [(("rules", "maxTradingDays"), ...), (("simulation", "horizonDays"), ...)],
            ("simulation", "horizonDays"),
            id="assessment-without-any-day-limit",
        ),
    ],
)
def test_invalid_assessment_names_the_field(changes, loc):
    assert loc in locs(with_changes(standard_assessment(), *changes))


@pytest.mark.parametrize(
    "changes,loc",
    [
        pytest.param([(("simulation", "horizonDays"), ...)], ("simulation", "horizonDays"), id="funded-without-horizon"),
        pytest.param([(("trader", "history", "pnl"), [1.0] * 10_001)], ("trader", "history", "pnl"), id="history-too-long"),
        pytest.param([(("trader", "history", "pnl"), [])], ("trader", "history", "pnl"), id="history-empty"),
        pytest.param([(("trader", "history", "pnl"), [1.0, 1e300])], ("trader", "history", "pnl", 1), id="history-value-too-large"),
        pytest.param([(("trader", "history", "resample"), "Bootstrap")], ("trader", "history", "resample"), id="unknown-resample"),
        pytest.param([(("trader", "history", "meanBlockLength"), 0.5)], ("trader", "history", "meanBlockLength"), id="block-length-below-1"),
        pytest.param([(("rules", "profitTarget"), 500)], ("rules", "profitTarget"), id="funded-with-target"),
    ],
)
def test_invalid_funded_names_the_field(changes, loc):
    assert loc in locs(with_changes(funded_history(), *changes))


def test_cross_field_messages_name_the_fields():
    errs = errors_for(with_changes(standard_assessment(), (("trader", "history"), {"pnl": [1.0]})))
    msg = " ".join(e["msg"] for e in errs)
    assert "trader.parametric" in msg and "trader.history" in msg
    errs = errors_for(with_changes(standard_assessment(), (("mode",), "funded")))
    assert any("rules.profitTarget" in e["msg"] for e in errs)


def test_null_profit_target_counts_as_absent_for_funded():
    body = with_changes(funded_history(), (("rules", "profitTarget"), None))
    assert SimulationRequest.model_validate(body).rules.profit_target is None


def test_funded_ignores_assessment_only_rules():
    from montecarlo_sim.request_mapping import to_spec

    body = with_changes(
        funded_history(),
        (("rules", "minTradingDays"), 5),
        (("rules", "maxTradingDays"), 10),
        (("rules", "consistency"), {"maxBestDayShare": 0.3}),
    )
    spec = to_spec(SimulationRequest.model_validate(body))
    assert spec.days == 40 and spec.min_trading_days == 0 and spec.consistency_share is None
    assert spec.profit_target is None and not spec.time_limit_at_end
