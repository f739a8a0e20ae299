"""The ASGI shell of montecarlo_sim.auth: refuses a request before any route,
body parsing or validation sees it.

The accepted tokens are looked up on every request from the process
environment (and the token files it names), not captured when the app is
built: Serve runs a pickled copy of the FastAPI app in each replica, and a
rotated Secret must take effect without a restart.
"""

from __future__ import annotations

import os
from typing import Any, Awaitable, Callable, Mapping, MutableMapping, Optional

from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from .auth import AuthConfigError, TokenSource, Verdict, verdict

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def refusal(authorization: Optional[str], env: Mapping[str, str]) -> Optional[JSONResponse]:
    """The response that refuses this request, or None to let it through."""
    try:
        source = TokenSource.from_env(env)
        if source is None:
            return None
        accepted = source.accepted()
    except AuthConfigError:
        # Fail closed; the message names no path or value. 503 makes the
        # operator retry with backoff while someone fixes the Secret.
        return JSONResponse({"detail": "simulator credentials unavailable"}, status_code=503)
    outcome = verdict(authorization, accepted)
    if outcome is Verdict.MISSING:
        return JSONResponse(
            {"detail": "missing bearer token"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    if outcome is Verdict.WRONG:
        return JSONResponse({"detail": "invalid bearer token"}, status_code=403)
    return None


class BearerAuthMiddleware:
    """Every HTTP request needs a bearer token the simulator accepts."""

    def __init__(self, app: ASGIApp, env: Mapping[str, str] = os.environ) -> None:
        self.app = app
        self.env = env

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response = refusal(Headers(scope=scope).get("authorization"), self.env)
        if response is None:
            await self.app(scope, receive, send)
        else:
            await response(scope, receive, send)
