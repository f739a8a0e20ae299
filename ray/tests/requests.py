"""Example wire requests (camelCase JSON bodies)."""

from __future__ import annotations

import copy
from typing import Any, Dict


def standard_assessment(paths: int = 20_000, seed: int = 42, job_id: str = "job-1") -> Dict[str, Any]:
    return {
        "jobId": job_id,
        "seed": seed,
        "mode": "assessment",
        "account": {"initialBalance": 100_000},
        "rules": {
            "profitTarget": 10_000,
            "minTradingDays": 4,
            "maxTradingDays": 30,
            "maxLoss": {"amount": 10_000, "mode": "TrailingEndOfDay", "lockAtInitialBalance": False},
            "dailyLoss": {"amount": 5_000, "onBreach": "Fail"},
            "consistency": {"maxBestDayShare": 0.4},
        },
        "trader": {
            "tradesPerDay": {"mean": 3, "distribution": "Fixed"},
            "parametric": {"winRate": 0.5, "averageWin": 600, "averageLoss": 400, "sizeVariation": 0.3},
        },
        "simulation": {"paths": paths, "horizonDays": 60, "confidenceLevel": 0.95},
    }


def funded_history(paths: int = 20_000, seed: int = 7) -> Dict[str, Any]:
    return {
        "jobId": "fa-77-run",
        "seed": seed,
        "mode": "funded",
        "account": {"initialBalance": 50_000},
        "rules": {
            "maxLoss": {"amount": 2_500, "mode": "TrailingIntraday", "lockAtInitialBalance": True},
            "dailyLoss": {"amount": 1_000, "onBreach": "StopDay"},
        },
        "trader": {
            "tradesPerDay": {"mean": 2.5, "distribution": "Poisson"},
            "history": {
                "pnl": [120, -80, 310, -150, 45, -60, 220, -300, 90, -20],
                "resample": "StationaryBlock",
                "meanBlockLength": 3,
            },
        },
        "simulation": {"paths": paths, "horizonDays": 40},
    }


def with_changes(body: Dict[str, Any], *changes) -> Dict[str, Any]:
    """Copy of ``body`` with (path tuple, value) changes; value ``...`` deletes."""
    out = copy.deepcopy(body)
    for path, value in changes:
        node = out
        for key in path[:-1]:
            node = node[key]
        if value is ...:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
    return out
