"""Trade P&L samplers: the trader model, vectorised across rows.

Randomness per trade is one 32-bit word per row (two per PCG64 64-bit
output, taken with ``random_raw``), drawn for a whole block of trades at once,
plus one standard normal per row and trade when parametric sizes vary. Words
are drawn for every row of the chunk's state, live or not, so the stream
layout depends only on the chunk's own history (see chunk.py).

32 bits of resolution: a win probability is applied as round(p * 2^32) / 2^32
(error below 1.2e-10), and a history index as floor(U * H) with U on a
2^-32 grid (index frequencies within H / 2^32 of uniform, H <= 10,000).

Rows that make no trade at a step (``valid`` False: their Poisson count for
the day is used up) get a P&L of exactly 0 and keep their bootstrap position.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from .spec import HistoryTrader, ParametricTrader, TraderModel

_TWO_32 = 4294967296.0


def draw_words(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """A (rows, cols) array of uniform uint32 words, two per 64-bit output."""
    count = rows * cols
    raw = rng.bit_generator.random_raw((count + 1) // 2)
    return raw.view(np.uint32)[:count].reshape(rows, cols)


class ParametricSampler:
    """Win ``averageWin`` with probability ``winRate``, else lose ``averageLoss``.

    With ``sizeVariation`` (coefficient of variation) > 0 the size is multiplied
    by a lognormal factor exp(mu + sigma Z) with sigma^2 = ln(1 + cv^2) and
    mu = -sigma^2 / 2, whose mean is exactly 1: expected win and loss sizes
    stay ``averageWin`` and ``averageLoss``.
    """

    def __init__(self, model: ParametricTrader, capacity: int) -> None:
        self._win = float(model.average_win)
        self._loss = -float(model.average_loss)
        self._delta = self._win - self._loss
        self._exact_sum = self._loss + self._delta == self._win
        threshold = int(round(float(model.win_rate) * _TWO_32))
        self._always_win = threshold >= 2**32
        self._threshold = np.uint32(min(threshold, 2**32 - 1))
        self._is_win = np.empty(capacity, dtype=bool)
        cv = float(model.size_variation)
        self._varies = cv > 0.0
        if self._varies:
            self._sigma = math.sqrt(math.log1p(cv * cv))
            self._mu = -0.5 * self._sigma * self._sigma
        self._words: Optional[np.ndarray] = None
        self._scale: Optional[np.ndarray] = None

    def start_block(self, rng: np.random.Generator, trades: int, rows: int) -> None:
        self._words = draw_words(rng, trades, rows)
        if self._varies:
            z = rng.standard_normal((trades, rows))
            z *= self._sigma
            z += self._mu
            self._scale = np.exp(z, out=z)

    def trade(self, j: int, out: np.ndarray, valid: Optional[np.ndarray]) -> None:
        words = self._words[j]
        is_win = self._is_win[: words.shape[0]]
        if self._always_win:
            is_win.fill(True)
        else:
            np.less(words, self._threshold, out=is_win)
        if self._exact_sum:
            # loss + (win - loss) == win exactly, so this is win or loss, bit for bit.
            np.multiply(is_win, self._delta, out=out)
            out += self._loss
        else:
            np.copyto(out, np.where(is_win, self._win, self._loss))
        if self._varies:
            out *= self._scale[j]
        if valid is not None:
            out *= valid

    def keep(self, mask: np.ndarray) -> None:
        """Parametric draws carry no per-path state."""


class HistorySampler:
    """Resample a per-trade P&L history of H trades.

    IID: index = floor(U * H). Stationary block bootstrap (Politis & Romano)
    with mean block length L: at each trade a new block starts with
    probability 1/L at a uniform position, otherwise the next trade of the
    history follows (wrapping around). The same uniform U decides both: a
    restart when U < 1/L, at position floor(U * L * H) (U * L is uniform on
    [0, 1) given a restart). A path's first trade always starts a block at
    floor(U * H). With L = 1 every trade restarts at floor(U * H): the draws,
    and so the results, are bit-identical to IID resampling.
    """

    def __init__(self, model: HistoryTrader, capacity: int) -> None:
        self._hist = np.asarray(model.pnl, dtype=np.float64)
        self._h = self._hist.shape[0]
        self._block = bool(model.block_bootstrap)
        self._restart_p = 1.0 / float(model.mean_block_length)
        self._restart_scale = float(model.mean_block_length) * self._h
        self._u = np.empty(capacity)
        self._idx = np.empty(capacity, dtype=np.int64)
        self._words: Optional[np.ndarray] = None
        if self._block:
            # -1: the path has not traded yet.
            self._pos = np.full(capacity, -1, dtype=np.int64)
            self._next = np.empty(capacity, dtype=np.int64)
            self._restart = np.empty(capacity, dtype=bool)

    def start_block(self, rng: np.random.Generator, trades: int, rows: int) -> None:
        self._words = draw_words(rng, trades, rows)

    def trade(self, j: int, out: np.ndarray, valid: Optional[np.ndarray]) -> None:
        words = self._words[j]
        m = words.shape[0]
        u = self._u[:m]
        np.multiply(words, 1.0 / _TWO_32, out=u)
        idx = self._idx[:m]
        if not self._block:
            np.multiply(u, self._h, out=u)
            np.copyto(idx, u, casting="unsafe")
            np.take(self._hist, idx, mode="clip", out=out)
        else:
            self._advance(u, idx, valid)
            np.take(self._hist, self._pos[:m], out=out)
        if valid is not None:
            out *= valid

    def _advance(self, u: np.ndarray, idx: np.ndarray, valid: Optional[np.ndarray]) -> None:
        m = u.shape[0]
        pos = self._pos[:m]
        nxt = self._next[:m]
        restart = self._restart[:m]
        # Continuation: next trade of the history, wrapping around.
        np.add(pos, 1, out=nxt)
        nxt[nxt >= self._h] = 0
        # Restart at a uniform position.
        np.less(u, self._restart_p, out=restart)
        np.copyto(idx, u * self._restart_scale, casting="unsafe")
        np.copyto(nxt, idx, where=restart)
        # First trade of a path: a block starts at floor(U * H).
        first = pos < 0
        if first.any():
            np.copyto(nxt, (u * self._h).astype(np.int64), where=first)
        np.minimum(nxt, self._h - 1, out=nxt)
        if valid is None:
            pos[:] = nxt
        else:
            np.copyto(pos, nxt, where=valid)

    def keep(self, mask: np.ndarray) -> None:
        if self._block:
            kept = self._pos[: mask.shape[0]][mask]
            self._pos[: kept.shape[0]] = kept


def make_sampler(model: TraderModel, capacity: int):
    if isinstance(model, ParametricTrader):
        return ParametricSampler(model, capacity)
    if isinstance(model, HistoryTrader):
        return HistorySampler(model, capacity)
    raise TypeError(f"unknown trader model {type(model).__name__}")
