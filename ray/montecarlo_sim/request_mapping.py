"""Translate a validated HTTP request into the engine's SimulationSpec.

The modelling decisions that bridge the wire format and the engine live here
(and in docs/engine.md):
- days simulated: funded -> horizonDays; assessment -> min(maxTradingDays,
  horizonDays) over those set;
- an assessment still open after the last day failed with reason
  ``timeLimit`` only when maxTradingDays is set and that many days were
  simulated, else it is unresolved;
- funded accounts ignore the pass-only rules (minTradingDays,
  maxTradingDays, consistency).
"""

from __future__ import annotations

from .engine.spec import (
    DailyLossRule,
    HistoryTrader,
    MaxLossRule,
    ParametricTrader,
    SimulationSpec,
    TraderModel,
)
from .schema import SimulationRequest, Trader


def _trader_model(trader: Trader) -> TraderModel:
    if trader.parametric is not None:
        p = trader.parametric
        return ParametricTrader(
            win_rate=p.win_rate,
            average_win=p.average_win,
            average_loss=p.average_loss,
            size_variation=p.size_variation,
        )
    h = trader.history
    return HistoryTrader(
        pnl=tuple(float(x) for x in h.pnl),
        block_bootstrap=h.resample == "StationaryBlock",
        mean_block_length=h.mean_block_length,
    )


def to_spec(req: SimulationRequest) -> SimulationSpec:
    rules = req.rules
    assessment = req.mode == "assessment"
    days = req.simulated_days()
    daily = None
    if rules.daily_loss is not None:
        daily = DailyLossRule(
            amount=rules.daily_loss.amount,
            stop_day=rules.daily_loss.on_breach == "StopDay",
        )
    return SimulationSpec(
        initial_balance=req.account.initial_balance,
        max_loss=MaxLossRule(
            amount=rules.max_loss.amount,
            mode=rules.max_loss.mode,
            lock_at_initial_balance=rules.max_loss.lock_at_initial_balance,
        ),
        trader=_trader_model(req.trader),
        days=days,
        trades_per_day=req.trader.trades_per_day.mean,
        poisson_trades=req.trader.trades_per_day.distribution == "Poisson",
        profit_target=rules.profit_target if assessment else None,
        min_trading_days=rules.min_trading_days if assessment else 0,
        daily_loss=daily,
        consistency_share=(
            rules.consistency.max_best_day_share
            if assessment and rules.consistency is not None
            else None
        ),
        time_limit_at_end=(
            assessment
            and rules.max_trading_days is not None
            and days == rules.max_trading_days
        ),
    )
