"""Job settings, read once from the environment of the process that creates
the board (a replica); the first creator's values hold for the cluster."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional


@dataclass(frozen=True)
class JobSettings:
    # Finished records (with their results) are kept this long.
    retention_s: float = 600.0
    # A running job with no attached client for this long is cancelled.
    orphan_s: float = 300.0
    # Hard cap on records; the oldest finished one is evicted first.
    max_records: int = 10_000
    # A running job whose computing replica sent no heartbeat for this long
    # is failed as lost (its replica died); a waiting request then restarts it.
    stale_s: float = 30.0
    # Longest interval between two progress reports of a computing worker
    # (reports are also sent every 1/40 of its share of the work).
    progress_s: float = 0.5
    # How often the computing replica checks in with the board (heartbeat,
    # cancellation).
    heartbeat_s: float = 0.5

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "JobSettings":
        env = os.environ if env is None else env
        base = cls()
        return cls(
            retention_s=_positive(env, "MC_JOB_RETENTION_SECONDS", base.retention_s),
            orphan_s=_positive(env, "MC_JOB_ORPHAN_SECONDS", base.orphan_s),
            max_records=int(_positive(env, "MC_JOB_MAX_RECORDS", base.max_records)),
            progress_s=_positive(env, "MC_JOB_PROGRESS_SECONDS", base.progress_s),
        )


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = float(raw)
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {raw!r}")
    return value
