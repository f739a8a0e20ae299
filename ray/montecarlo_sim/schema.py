"""The POST /simulate request: pydantic v2 models, camelCase on the wire.

The shape mirrors the MonteCarloSimulation spec (api.md) plus ``jobId`` and
``seed``. Every bound is enforced here so that a bad or oversized request is
rejected with 422 before any work starts; error locations use the wire
(camelCase) names, e.g. ``["body", "rules", "profitTarget"]``.

Unknown fields are rejected (``extra="forbid"``): a misspelt rule must not be
silently ignored by a simulator whose numbers decide funding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, List, Literal, Optional, Tuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

MAX_SEED = 2**53 - 1
# The size bounds are stated once, in limits.json, which the operator's CRD
# and controller read too.
_LIMITS = json.loads((Path(__file__).parent / "limits.json").read_text(encoding="utf-8"))
MAX_PATHS = _LIMITS["maxPaths"]
MAX_HORIZON_DAYS = _LIMITS["maxDays"]
MAX_HISTORY = _LIMITS["maxHistory"]
MAX_TRADES_PER_DAY = _LIMITS["maxTradesPerDay"]
# paths x days simulated x mean trades per day: the work a request may ask for.
MAX_PATH_STEPS = _LIMITS["maxPathSteps"]
# Money amounts above this are rejected (keeps float64 sums exact to cents).
MAX_AMOUNT = 1e12


# Integer fields are strict: a JSON float (1e5) or a boolean is not a count.
class WireModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
    )


class Account(WireModel):
    initial_balance: float = Field(gt=0, le=MAX_AMOUNT)


class MaxLoss(WireModel):
    amount: float = Field(gt=0, le=MAX_AMOUNT)
    mode: Literal["Static", "TrailingEndOfDay", "TrailingIntraday"]
    lock_at_initial_balance: bool = False


class DailyLoss(WireModel):
    amount: float = Field(gt=0, le=MAX_AMOUNT)
    on_breach: Literal["Fail", "StopDay"] = "Fail"


class Consistency(WireModel):
    max_best_day_share: float = Field(gt=0, le=1)


class Rules(WireModel):
    profit_target: Optional[float] = Field(default=None, gt=0, le=MAX_AMOUNT)
    min_trading_days: int = Field(default=0, strict=True, ge=0, le=MAX_HORIZON_DAYS)
    max_trading_days: Optional[int] = Field(default=None, strict=True, ge=1, le=MAX_HORIZON_DAYS)
    max_loss: MaxLoss
    daily_loss: Optional[DailyLoss] = None
    consistency: Optional[Consistency] = None


class TradesPerDay(WireModel):
    mean: float = Field(gt=0, le=MAX_TRADES_PER_DAY)
    distribution: Literal["Fixed", "Poisson"] = "Fixed"


class Parametric(WireModel):
    win_rate: float = Field(ge=0, le=1)
    average_win: float = Field(ge=0, le=MAX_AMOUNT)
    average_loss: float = Field(ge=0, le=MAX_AMOUNT)
    size_variation: float = Field(default=0.0, ge=0, le=10)


TradePnl = Annotated[float, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT)]


class History(WireModel):
    pnl: List[TradePnl] = Field(min_length=1, max_length=MAX_HISTORY)
    resample: Literal["IID", "StationaryBlock"] = "IID"
    mean_block_length: float = Field(default=1.0, ge=1, le=MAX_HISTORY)


class Trader(WireModel):
    trades_per_day: TradesPerDay
    parametric: Optional[Parametric] = None
    history: Optional[History] = None


class Simulation(WireModel):
    paths: int = Field(strict=True, ge=1, le=MAX_PATHS)
    horizon_days: Optional[int] = Field(default=None, strict=True, ge=1, le=MAX_HORIZON_DAYS)
    confidence_level: float = Field(default=0.95, gt=0, lt=1)


Loc = Tuple[str, ...]


class SimulationRequest(WireModel):
    job_id: str = Field(min_length=1, max_length=128)
    seed: int = Field(strict=True, ge=0, le=MAX_SEED)
    mode: Literal["assessment", "funded"]
    account: Account
    rules: Rules
    trader: Trader
    simulation: Simulation

    @model_validator(mode="after")
    def _cross_field_rules(self) -> "SimulationRequest":
        errors = cross_field_errors(self)
        if errors:
            raise ValidationError.from_exception_data(
                "SimulationRequest",
                [
                    InitErrorDetails(
                        type=PydanticCustomError(kind, "{detail}", {"detail": message}),
                        loc=loc,
                        input=value,
                    )
                    for kind, loc, message, value in errors
                ],
            )
        return self

    def simulated_days(self) -> int:
        """Days simulated: the horizon, capped by an assessment's time limit."""
        limits = [self.simulation.horizon_days]
        if self.mode == "assessment":
            limits.append(self.rules.max_trading_days)
        return min(d for d in limits if d is not None)


def cross_field_errors(req: SimulationRequest) -> List[Tuple[str, Loc, str, Any]]:
    """(error type, wire location, message, offending value) for rules that span fields."""
    errors: List[Tuple[str, Loc, str, Any]] = []
    rules, trader, sim = req.rules, req.trader, req.simulation
    if req.mode == "assessment":
        if rules.profit_target is None:
            errors.append(
                ("missing_for_mode", ("rules", "profitTarget"),
                 "rules.profitTarget is required when mode is 'assessment'", None)
            )
        if rules.max_trading_days is None and sim.horizon_days is None:
            errors.append(
                ("missing_for_mode", ("simulation", "horizonDays"),
                 "an assessment needs rules.maxTradingDays or simulation.horizonDays", None)
            )
    else:
        if rules.profit_target is not None:
            errors.append(
                ("forbidden_for_mode", ("rules", "profitTarget"),
                 "rules.profitTarget must be absent when mode is 'funded'", rules.profit_target)
            )
        if sim.horizon_days is None:
            errors.append(
                ("missing_for_mode", ("simulation", "horizonDays"),
                 "simulation.horizonDays is required when mode is 'funded'", None)
            )
    has_parametric = trader.parametric is not None
    has_history = trader.history is not None
    if has_parametric == has_history:
        errors.append(
            ("one_of", ("trader", "parametric"),
             "exactly one of trader.parametric / trader.history must be set"
             + (" (both are)" if has_parametric else " (neither is)"), None)
        )
    tpd = trader.trades_per_day
    if tpd.distribution == "Fixed" and (tpd.mean < 1 or tpd.mean != int(tpd.mean)):
        errors.append(
            ("fixed_trades_integer", ("trader", "tradesPerDay", "mean"),
             "trader.tradesPerDay.mean must be an integer >= 1 when distribution is 'Fixed'",
             tpd.mean)
        )
    steps = path_steps(req)
    if steps is not None and steps > MAX_PATH_STEPS:
        errors.append(
            ("too_much_work", ("simulation", "paths"),
             f"paths x days simulated x trader.tradesPerDay.mean = {steps:.4g} exceeds the "
             f"simulator's maximum of {MAX_PATH_STEPS:.4g} path-steps", sim.paths)
        )
    return errors


def path_steps(req: SimulationRequest) -> Optional[float]:
    """paths x days simulated x mean trades per day; None when the days are unknown."""
    days = [req.simulation.horizon_days]
    if req.mode == "assessment":
        days.append(req.rules.max_trading_days)
    known = [d for d in days if d is not None]
    if not known:
        return None
    return req.simulation.paths * min(known) * req.trader.trades_per_day.mean


def canonical_payload(req: SimulationRequest) -> dict:
    """The request as hashed for ``meta.requestHash``: wire names, defaults
    filled in, without ``jobId``."""
    data = req.model_dump(mode="json", by_alias=True)
    data.pop("jobId", None)
    return data
