"""Simulate one chunk of paths, vectorised across paths.

Loop structure: days, then blocks of up to ``TRADE_BLOCK`` trades within a
day, then trades; each trade is a handful of NumPy operations over all of the
chunk's rows. There is no per-path Python loop.

Each block runs in two passes:
1. Fast pass, over all rows: draw the trade P&L, move the balance, the
   intraday peak and the maximum drawdown, and flag every row that may have
   had an event in the block: its lowest balance in the block is at or below
   the day's breach level (max loss floor or daily limit; the
   TrailingIntraday floor is checked trade by trade), or its high is at or
   above the lowest balance that could pass today. Flags are a superset of
   the events. No row is examined individually.
2. Replay, over the flagged rows only (few): the block's trades are replayed
   from the block's starting state with the same P&L and the same
   floating-point operations, applying the exact rules trade by trade
   (simulation.md: after each trade the balance moves, the peak and drawdown
   update, then breaches -- max loss floor, daily loss -- are checked before
   the profit target, so a breach wins on the same trade). The first event
   decides: the path fails, passes, or (StopDay) stops trading for the day
   with its state at that trade.

A finished path's balance becomes NaN: NaN never compares true, so the row is
inert afterwards at no cost (it still receives its random draws, which keeps
the stream layout a pure function of the chunk). At day end, once enough
rows are dead, the state arrays are compacted so the work follows the live
paths. Day end also moves the TrailingEndOfDay floor, the best day and the
trading day count.
"""

from __future__ import annotations

from typing import Callable, List, Optional, Tuple

import numpy as np

from .outcome import DAILY_LOSS, FAILED, MAX_LOSS, PASSED, TIME_LIMIT, UNRESOLVED, PathOutcomes
from .rules import RuleSet
from .spec import SimulationSpec
from .streams import chunk_generator
from .trader import make_sampler

# Trades per block: bounds the memory kept for a replay (TRADE_BLOCK rows of
# P&L). Random words are drawn per block, so it is part of the stream layout.
TRADE_BLOCK = 32
# Compact when at least 1/COMPACT_DIVISOR of the rows are dead. Results do
# depend on it (it changes which row receives which draw), so it is fixed.
COMPACT_DIVISOR = 8

# Called after every trade block and every day end with the fraction of the
# chunk's days done and a function giving the path-steps made so far (as of
# the start of the current day; exact at a day end). It may raise to stop the
# chunk (cancellation). The count is a function because it costs O(rows):
# an observer calls it only when it reports.
BlockHook = Callable[[float, Callable[[], int]], None]


def simulate_chunk(
    spec: SimulationSpec, seed: int, chunk_index: int, paths: int, on_block: Optional[BlockHook] = None
) -> PathOutcomes:
    """Outcomes of ``paths`` paths simulated with chunk ``chunk_index``'s stream."""
    return _ChunkRun(spec, chunk_generator(seed, chunk_index), paths, on_block).run()


def _accumulate(ufunc, mat: np.ndarray) -> None:
    """In-place running ``ufunc`` down the trade axis (axis 0).

    A loop over the few trade rows: ufunc.accumulate(axis=0) on a short,
    wide matrix is several times slower.
    """
    for j in range(1, mat.shape[0]):
        ufunc(mat[j - 1], mat[j], out=mat[j])


class _ChunkRun:
    def __init__(
        self, spec: SimulationSpec, rng: np.random.Generator, n: int, on_block: Optional[BlockHook] = None
    ) -> None:
        self.spec = spec
        self.on_block = on_block
        # The day whose start the path-step count refers to.
        self._steps_day = 1
        self.rng = rng
        self.rules = RuleSet(spec)
        self.out = PathOutcomes.empty(n)
        self.sampler = make_sampler(spec.trader, n)
        r = self.rules
        init = r.initial
        self.poisson = bool(spec.poisson_trades)
        self.fixed_trades = 0 if self.poisson else int(round(spec.trades_per_day))
        # The start-of-day balance is only kept for the consistency rule; the
        # daily limit is computed from it once, at day start.
        self.needs_sod = r.share is not None
        # Row state, rows in path order; a dead row's balance is NaN.
        self.path = np.arange(n, dtype=np.int32)
        # Balance, peak and drawdown live in one of two buffer sets; a block
        # (or a compaction) writes the other one, then they swap.
        self._state = (np.full(n, init), np.full(n, init), np.zeros(n))
        self._spare = (np.empty(n), np.empty(n), np.empty(n))
        self.bal, self.peak, self.maxdd = self._state
        # Poisson: trades made before today. Fixed: trades skipped by StopDay
        # so far (trades before day d = (d - 1) x k - skipped).
        self.trades = np.zeros(n, dtype=np.int32)
        # Rows finished since the last compaction.
        self._n_dead = 0
        self.sod = np.full(n, init) if self.needs_sod else None
        self.eod_high = np.full(n, init) if r.trailing_eod else None
        self.best = np.zeros(n) if r.share is not None else None
        self.tdays = np.zeros(n, dtype=np.int32) if r.min_days > 0 else None
        # Scratch buffers, used through [:m] views.
        self._flag = np.empty(n, dtype=bool)
        self._tmp = np.empty(n, dtype=bool)
        self._dd = np.empty(n)
        self._trough = np.empty(n)
        block_rows = TRADE_BLOCK if self.poisson else max(1, min(TRADE_BLOCK, self.fixed_trades))
        self._pnl = np.empty((block_rows, n))
        self._floor_buf = np.empty(n)
        self._limit_buf = np.empty(n)
        self._level_buf = np.empty(n)
        self._dead = np.empty(n, dtype=bool)
        self._floor = np.empty(n) if r.trailing_intraday else None
        self._valid = np.empty((TRADE_BLOCK, n), dtype=bool) if self.poisson else None
        # Per-day values.
        self._cnt: Optional[np.ndarray] = None
        self._day_floor = None
        self._daily_limit: Optional[np.ndarray] = None
        self._breach_level = None
        self._low = None
        # Rows stopped for the day: (rows, balance, peak, maxdd, trades made).
        self._stopped: List[Tuple[np.ndarray, ...]] = []

    @property
    def m(self) -> int:
        return int(self.bal.shape[0])

    # -- driver ---------------------------------------------------------------

    def run(self) -> PathOutcomes:
        days = int(self.spec.days)
        for day in range(1, days + 1):
            if self.m == 0:
                break
            self._day(day)
        self._close_open(days)
        return self.out

    def _day(self, day: int) -> None:
        if self.poisson:
            self._cnt = self.rng.poisson(self.spec.trades_per_day, self.m)
            k = int(self._cnt.max())
        else:
            k = self.fixed_trades
        self._start_day()
        self._steps_day = day
        hook = self.on_block
        days = int(self.spec.days)
        for j0 in range(0, k, TRADE_BLOCK):
            kb = min(TRADE_BLOCK, k - j0)
            self._block(day, j0, kb)
            if hook is not None:
                hook((day - 1 + (j0 + kb) / k) / days, self._steps_so_far)
        self._end_day(k)
        self._steps_day = day + 1
        if hook is not None:
            hook(day / days, self._steps_so_far)

    def _steps_so_far(self) -> int:
        """Path-steps made before ``_steps_day``: ended paths' trades plus the
        live rows' trades before that day (rows stopped for the day by StopDay
        count from the day end)."""
        live = np.flatnonzero(~np.isnan(self.bal))
        done = int(self.out.trades.sum(dtype=np.int64))
        return done + int(self._trades_before(live, self._steps_day).sum(dtype=np.int64))

    def _start_day(self) -> None:
        r = self.rules
        if self.needs_sod:
            np.copyto(self.sod, self.bal)
        m = self.m
        self._day_floor = r.day_floor(self.eod_high, out=self._floor_buf[:m])
        # Before the day's first trade the balance is the start-of-day balance.
        self._daily_limit = (
            r.daily_limit(self.bal, out=self._limit_buf[:m]) if r.daily_amount is not None else None
        )
        if self._day_floor is None:
            self._breach_level = None
        elif self._daily_limit is None:
            self._breach_level = self._day_floor
        else:
            self._breach_level = np.maximum(self._day_floor, self._daily_limit, out=self._level_buf[:m])
        if r.assessment:
            self._low = r.target_low(self.best, self.tdays, self._cnt)
        self._stopped = []

    # -- pass 1: all rows -----------------------------------------------------

    def _block(self, day: int, j0: int, kb: int) -> None:
        m = self.m
        r = self.rules
        bal0, peak0, maxdd0 = self.bal, self.peak, self.maxdd
        spare = self._spare
        bal, peak, maxdd = spare[0][:m], spare[1][:m], spare[2][:m]
        flag = self._flag[:m]
        tmp = self._tmp[:m]
        dd = self._dd[:m]
        trough = self._trough[:m]
        valids: List[Optional[np.ndarray]] = []
        self.sampler.start_block(self.rng, kb, m)
        for jj in range(kb):
            valid = None
            if self.poisson:
                valid = self._valid[jj, :m]
                np.greater(self._cnt, j0 + jj, out=valid)
            valids.append(valid)
            pnl = self._pnl[jj, :m]
            self.sampler.trade(jj, pnl, valid)
            # The first trade writes into the spare buffers: the block's
            # starting state stays intact for a replay.
            np.add(bal0 if jj == 0 else bal, pnl, out=bal)
            np.maximum(peak0 if jj == 0 else peak, bal, out=peak)
            np.subtract(peak, bal, out=dd)
            np.maximum(maxdd0 if jj == 0 else maxdd, dd, out=maxdd)
            if r.trailing_intraday:
                # The floor moves with the intraday high: check every trade.
                hit = flag if jj == 0 else tmp
                level = r.trailing_floor(peak, out=self._floor[:m])
                if self._daily_limit is not None:
                    np.maximum(level, self._daily_limit, out=level)
                np.less_equal(bal, level, out=hit)
                if jj > 0:
                    flag |= tmp
            elif jj == 0:
                np.copyto(trough, bal)
            else:
                np.minimum(trough, bal, out=trough)
        # Fixed levels for the day: the block's lowest balance decides.
        if not r.trailing_intraday:
            np.less_equal(trough, self._breach_level, out=flag)
        # Target candidates: the high reached (a superset of the trades at or
        # above the lower target bound; the replay applies the exact rule).
        if r.assessment:
            np.greater_equal(peak, self._low, out=tmp)
            flag |= tmp
        self._spare = self._state
        self._state = spare
        self.bal, self.peak, self.maxdd = bal, peak, maxdd
        rows = np.flatnonzero(flag)
        if rows.size:
            self._replay(day, j0, rows, bal0[rows], peak0[rows], maxdd0[rows], kb, valids)

    # -- pass 2: flagged rows -------------------------------------------------

    def _replay(self, day, j0, rows, b0, pk0, md0, kb, valids) -> None:
        """Replay the block's trades for ``rows`` as (trade, row) matrices.

        Sums run trade by trade in the fast pass's order, and max is exact,
        so balances, highs and drawdowns equal the fast pass's bit for bit.
        """
        r = self.rules
        bal = self._pnl[:kb][:, rows]
        bal[0] += b0
        _accumulate(np.add, bal)
        high = np.maximum(bal, pk0)
        _accumulate(np.maximum, high)
        maxdd = high - bal
        np.maximum(maxdd, md0, out=maxdd)
        _accumulate(np.maximum, maxdd)

        if r.trailing_intraday:
            floor = r.trailing_floor(high)
        elif r.trailing_eod:
            floor = self._day_floor[rows]
        else:
            floor = self._day_floor
        max_loss = bal <= floor
        if self._daily_limit is not None:
            daily = (bal <= self._daily_limit[rows]) & ~max_loss
        else:
            daily = np.zeros_like(max_loss)
        event = max_loss | daily
        if r.assessment:
            passed = ~event & r.passes(
                bal,
                None if self.sod is None else self.sod[rows],
                None if self.best is None else self.best[rows],
                None if self.tdays is None else self.tdays[rows],
            )
            event |= passed
        else:
            passed = np.zeros_like(max_loss)
        if valids[0] is not None:
            event &= self._valid[:kb][:, rows]

        # The first event of each row decides.
        hit = np.flatnonzero(event.any(axis=0))
        if hit.size == 0:
            return
        j = event[:, hit].argmax(axis=0)
        rows = rows[hit]
        at = (j, hit)
        b, md = bal[at], maxdd[at]
        ml, dl, ps = max_loss[at], daily[at], passed[at]
        made = j0 + j + 1
        failed = ml if r.stop_day else (ml | dl)
        if failed.any():
            reason = np.where(ml[failed], MAX_LOSS, DAILY_LOSS).astype(np.int8)
            self._record(rows[failed], FAILED, reason, day, made[failed], b[failed], md[failed])
        if ps.any():
            self._record(rows[ps], PASSED, 0, day, made[ps], b[ps], md[ps])
        if r.stop_day and dl.any():
            self._stopped.append((rows[dl], b[dl], high[at][dl], md[dl], made[dl]))
        self._n_dead += int(np.count_nonzero(failed | ps))
        self.bal[rows] = np.nan

    def _trades_before(self, rows: np.ndarray, day: int) -> np.ndarray:
        """Trades the rows made before ``day``."""
        if self.poisson:
            return self.trades[rows]
        return (day - 1) * self.fixed_trades - self.trades[rows]

    def _record(self, rows, outcome, reason, day, trades_today, balance, maxdd) -> None:
        p = self.path[rows]
        out = self.out
        out.outcome[p] = outcome
        out.reason[p] = reason
        out.day[p] = day
        out.trades[p] = self._trades_before(rows, day) + trades_today
        out.final_balance[p] = balance
        out.max_drawdown[p] = maxdd

    # -- day end --------------------------------------------------------------

    def _end_day(self, k: int) -> None:
        cnt = self._cnt
        if self.poisson:
            self.trades += cnt
        for rows, bal, peak, maxdd, made in self._stopped:
            self.bal[rows] = bal
            self.peak[rows] = peak
            self.maxdd[rows] = maxdd
            if self.poisson:
                self.trades[rows] -= cnt[rows] - made
            else:
                self.trades[rows] += k - made
        self._stopped = []
        if self.best is not None:
            np.maximum(self.best, self.bal - self.sod, out=self.best)
        if self.tdays is not None:
            self.tdays += (cnt > 0) if self.poisson else (k > 0)
        if self.eod_high is not None:
            np.maximum(self.eod_high, self.bal, out=self.eod_high)
        self._compact()

    def _compact(self) -> None:
        if self._n_dead == 0 or self._n_dead * COMPACT_DIVISOR < self.m:
            return
        dead = np.isnan(self.bal, out=self._dead[: self.m])
        n_dead = int(np.count_nonzero(dead))
        assert n_dead == self._n_dead, "dead row count out of step"
        self._n_dead = 0
        keep = ~dead
        m = self.m - n_dead
        spare = self._spare
        for src, dst in zip((self.bal, self.peak, self.maxdd), spare):
            np.compress(keep, src, out=dst[:m])
        self._spare = self._state
        self._state = spare
        self.bal, self.peak, self.maxdd = (a[:m] for a in spare)
        for name in ("path", "trades", "sod", "eod_high", "best", "tdays"):
            arr = getattr(self, name)
            if arr is not None:
                setattr(self, name, arr[keep])
        self.sampler.keep(keep)

    def _close_open(self, days: int) -> None:
        """Paths still open after the last day: unresolved, or failed by time limit."""
        live = np.flatnonzero(~np.isnan(self.bal))
        if live.size == 0:
            return
        if self.spec.is_assessment and self.spec.time_limit_at_end:
            outcome, reason = FAILED, TIME_LIMIT
        else:
            outcome, reason = UNRESOLVED, 0
        trades = self._trades_before(live, days + 1)
        self._record(live, outcome, reason, days, 0, self.bal[live], self.maxdd[live])
        self.out.trades[self.path[live]] = trades
