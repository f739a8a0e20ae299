"""POST /simulate to a running Ray Serve, with the stack's bearer token when one is configured."""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Dict, Tuple

from montecarlo_sim.auth import TokenSource


def post_simulate(url: str, request: Dict[str, Any], timeout: float) -> Tuple[int, bytes]:
    """The HTTP status and body of one POST /simulate."""
    headers = {"content-type": "application/json"}
    source = TokenSource.from_env()
    if source is not None:
        headers["authorization"] = f"Bearer {source.accepted()[0]}"
    req = urllib.request.Request(
        url.rstrip("/") + "/simulate", data=json.dumps(request).encode(), headers=headers
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()
