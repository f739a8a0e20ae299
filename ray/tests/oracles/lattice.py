"""Exact finite-horizon answers by dynamic programming over an integer lattice.

An independent, scalar re-statement of simulation.md's rules: balances are
integers (units), the trader wins ``win`` units with probability ``p`` and
loses ``loss`` units otherwise, and the distribution over account states is
pushed forward trade by trade. States that coincide are merged, so the
number of states stays small for small lattices.

State: (balance, start-of-day balance, intraday high, best end-of-day
balance, trading days before today, best day's profit, stopped today,
trades made).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple


@dataclass(frozen=True)
class LatticeCase:
    p: float
    win: int
    loss: int
    days: int
    max_loss: int
    mode: str = "Static"  # Static | TrailingEndOfDay | TrailingIntraday
    lock: bool = False
    target: Optional[int] = None  # None: funded
    min_days: int = 0
    daily: Optional[int] = None
    stop_day: bool = False
    share: Optional[float] = None
    trades_per_day: int = 1
    poisson_mean: Optional[float] = None  # Poisson trades per day instead of fixed
    time_limit: bool = False  # a path open after the last day fails (timeLimit)
    # The wrong rule order, for tests that prove a case can tell the two apart:
    # the target checked before the breaches on the same trade.
    target_first: bool = False


@dataclass
class LatticeResult:
    pass_p: float = 0.0
    max_loss_p: float = 0.0
    daily_loss_p: float = 0.0
    open_p: float = 0.0  # open after the last day (unresolved or timeLimit)
    pass_days_sum: float = 0.0  # E[day * 1{pass}]
    pass_trades_sum: float = 0.0  # E[trades * 1{pass}] (fixed trade counts only)
    final_sum: float = 0.0  # E[final balance] in units relative to initial
    by_day: Dict[int, float] = field(default_factory=dict)

    @property
    def mean_days_to_pass(self) -> float:
        return self.pass_days_sum / self.pass_p

    @property
    def mean_trades_to_pass(self) -> float:
        return self.pass_trades_sum / self.pass_p


def _poisson_pmf(mean: float, tail: float = 1e-13):
    n, pmf, total = 0, math.exp(-mean), 0.0
    out = []
    while True:
        out.append((n, pmf))
        total += pmf
        if 1.0 - total < tail:
            return out
        n += 1
        pmf *= mean / n


def _record_pass(res: LatticeResult, q: float, day: int, trades: int, balance: int) -> None:
    res.pass_p += q
    res.pass_days_sum += q * day
    res.pass_trades_sum += q * trades
    res.final_sum += q * balance
    res.by_day[day] = res.by_day.get(day, 0.0) + q


def solve(case: LatticeCase) -> LatticeResult:
    res = LatticeResult()
    init = 0
    State = Tuple[int, int, int, int, int, float, bool, int]
    # bal, sod, high, eod_high, tdays, best, stopped, trades
    states: Dict[State, float] = {(init, init, init, init, 0, 0.0, False, 0): 1.0}

    def floor_of(high: int, eod_high: int) -> int:
        if case.mode == "Static":
            return init - case.max_loss
        base = high if case.mode == "TrailingIntraday" else eod_high
        f = base - case.max_loss
        return min(f, init) if case.lock else f

    def passes(bal, sod, tdays, best) -> bool:
        if case.target is None or bal < init + case.target:
            return False
        if tdays + 1 < case.min_days:
            return False
        if case.share is not None:
            best_today = max(best, bal - sod)
            if best_today > case.share * (bal - init):
                return False
        return True

    # Trade counts in the state multiply the states under Poisson counts:
    # E[trades | pass] is only computed for fixed counts.
    track_trades = case.poisson_mean is None
    if case.poisson_mean is not None:
        counts = _poisson_pmf(case.poisson_mean)
    else:
        counts = [(case.trades_per_day, 1.0)]

    for day in range(1, case.days + 1):
        ended: Dict[State, float] = defaultdict(float)
        for n, pn in counts:
            # Start of day: sod = balance, not stopped.
            cur: Dict[State, float] = defaultdict(float)
            for (bal, _sod, high, eod_high, tdays, best, _st, tr), pr in states.items():
                cur[(bal, bal, high, eod_high, tdays, best, False, tr)] += pr * pn
            for j in range(n):
                nxt: Dict[State, float] = defaultdict(float)
                for st, pr in cur.items():
                    bal, sod, high, eod_high, tdays, best, stopped, tr = st
                    if stopped:
                        nxt[st] += pr
                        continue
                    for step, ps in ((case.win, case.p), (-case.loss, 1.0 - case.p)):
                        if ps == 0.0:
                            continue
                        q = pr * ps
                        b = bal + step
                        t = tr + 1 if track_trades else 0
                        h = max(high, b)
                        if case.target_first and passes(b, sod, tdays, best):
                            _record_pass(res, q, day, t, b)
                            continue
                        if b <= floor_of(h, eod_high):
                            res.max_loss_p += q
                            res.final_sum += q * b
                            continue
                        if case.daily is not None and b <= sod - case.daily:
                            if not case.stop_day:
                                res.daily_loss_p += q
                                res.final_sum += q * b
                                continue
                            nxt[(b, sod, h, eod_high, tdays, best, True, t)] += q
                            continue
                        if passes(b, sod, tdays, best):
                            _record_pass(res, q, day, t, b)
                            continue
                        nxt[(b, sod, h, eod_high, tdays, best, False, t)] += q
                cur = nxt
            # Day end. Components a case does not use are dropped (set to 0)
            # so that equivalent states merge.
            for (bal, sod, high, eod_high, tdays, best, _st, tr), pr in cur.items():
                key = (
                    bal,
                    0,
                    high if case.mode == "TrailingIntraday" else 0,
                    max(eod_high, bal) if case.mode == "TrailingEndOfDay" else 0,
                    min(tdays + (1 if n > 0 else 0), case.min_days),
                    max(best, float(bal - sod)) if case.share is not None else 0.0,
                    False,
                    tr,
                )
                ended[key] += pr
        states = ended
    for (bal, *_rest), pr in states.items():
        res.open_p += pr
        res.final_sum += pr * bal
    return res
