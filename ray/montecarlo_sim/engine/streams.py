"""Random streams and the fixed chunk plan.

Reproducibility contract: a request's paths are cut into chunks of
``CHUNK_SIZE`` paths (the last one may be shorter). Chunk ``i`` is simulated
with its own PCG64 stream derived from ``SeedSequence(seed, spawn_key=(i,))``
-- the same stream ``SeedSequence(seed).spawn(...)[i]`` would give -- so a
chunk's result depends only on (request, seed, i). However the chunks are
grouped into tasks, and however many workers run them, merging in chunk order
gives bit-identical results.

Changing CHUNK_SIZE changes every result for a given seed: it is part of the
engine version.
"""

from __future__ import annotations

from typing import List, Tuple

import numpy as np

CHUNK_SIZE = 65_536


def chunk_plan(paths: int, chunk_size: int = CHUNK_SIZE) -> List[Tuple[int, int]]:
    """(chunk index, number of paths) for every chunk of a request."""
    if paths < 1:
        raise ValueError("paths must be >= 1")
    full, rest = divmod(paths, chunk_size)
    plan = [(i, chunk_size) for i in range(full)]
    if rest:
        plan.append((full, rest))
    return plan


def chunk_generator(seed: int, chunk_index: int) -> np.random.Generator:
    """The PCG64 generator of one chunk; never ``seed + i``."""
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(chunk_index,))
    return np.random.Generator(np.random.PCG64(sequence))
