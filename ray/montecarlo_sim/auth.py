"""Bearer-token authentication of the simulator's HTTP API.

Every route of the simulator application requires ``Authorization: Bearer
<token>``: no usable header is 401 (with ``WWW-Authenticate: Bearer``), a
token that matches none of the accepted ones is 403. ``GET /health`` is a
separate Serve application and stays open.

Up to two tokens are accepted at once, the current one and the next, so a
token can be rotated without downtime (docs/security.md). Each comes from
an environment variable or from a file (a mounted Kubernetes Secret); files
are read again on every request, so a rotated Secret takes effect without a
restart:

    SIMULATOR_AUTH_MODE        token (default) or disabled
    SIMULATOR_TOKEN            the current token, or
    SIMULATOR_TOKEN_FILE       a file holding it
    SIMULATOR_NEXT_TOKEN       the next token (optional), or
    SIMULATOR_NEXT_TOKEN_FILE  a file holding it; a missing file is no token

With the mode ``token`` and no current token the simulator refuses to start
(``TokenSource.from_env`` raises). Tokens are compared in constant time
(``hmac.compare_digest`` over SHA-256 digests, so not even their length
shows) and never logged or echoed.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Tuple

MODE_ENV = "SIMULATOR_AUTH_MODE"
TOKEN_ENV = "SIMULATOR_TOKEN"
TOKEN_FILE_ENV = "SIMULATOR_TOKEN_FILE"
NEXT_TOKEN_ENV = "SIMULATOR_NEXT_TOKEN"
NEXT_TOKEN_FILE_ENV = "SIMULATOR_NEXT_TOKEN_FILE"
MODES = ("token", "disabled")


class AuthConfigError(RuntimeError):
    """The simulator's token configuration cannot work; it must not start."""


class Verdict(enum.Enum):
    ALLOWED = 200
    MISSING = 401
    WRONG = 403


def bearer_token(authorization: Optional[str]) -> Optional[str]:
    """The token of an ``Authorization: Bearer <token>`` header, else None.

    The scheme is case-insensitive (RFC 7235); anything else is no token.
    """
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def verdict(authorization: Optional[str], accepted: Tuple[str, ...]) -> Verdict:
    """Whether a request's Authorization header carries one of ``accepted``.

    Compares against every accepted token, without stopping at a match, so
    the time taken does not tell which one matched.
    """
    given = bearer_token(authorization)
    if given is None:
        return Verdict.MISSING
    digest = _digest(given)
    matched = False
    for token in accepted:
        matched |= hmac.compare_digest(digest, _digest(token))
    return Verdict.ALLOWED if matched else Verdict.WRONG


def _read_token_file(path: str, required: bool) -> Optional[str]:
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if required:
            raise AuthConfigError(f"the token file {path} does not exist") from None
        return None
    except OSError as exc:
        raise AuthConfigError(f"cannot read the token file {path}: {exc.strerror}") from None
    if not text and required:
        raise AuthConfigError(f"the token file {path} is empty")
    return text or None


@dataclass(frozen=True)
class TokenSource:
    """Where the accepted tokens come from; ``accepted()`` reads them now."""

    token: Optional[str] = None
    token_file: Optional[str] = None
    next_token: Optional[str] = None
    next_token_file: Optional[str] = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Optional["TokenSource"]:
        """The configured source; None when the mode is ``disabled``.

        Raises AuthConfigError for an unknown mode, or for the mode ``token``
        without a readable, non-empty current token.
        """
        mode = env.get(MODE_ENV, "token").strip().lower() or "token"
        if mode not in MODES:
            raise AuthConfigError(f"{MODE_ENV} must be one of {', '.join(MODES)}")
        if mode == "disabled":
            return None
        source = cls(
            token=env.get(TOKEN_ENV, "").strip() or None,
            token_file=env.get(TOKEN_FILE_ENV, "").strip() or None,
            next_token=env.get(NEXT_TOKEN_ENV, "").strip() or None,
            next_token_file=env.get(NEXT_TOKEN_FILE_ENV, "").strip() or None,
        )
        for value, file, names in (
            (source.token, source.token_file, (TOKEN_ENV, TOKEN_FILE_ENV)),
            (source.next_token, source.next_token_file, (NEXT_TOKEN_ENV, NEXT_TOKEN_FILE_ENV)),
        ):
            if value is not None and file is not None:
                raise AuthConfigError(f"set {names[0]} or {names[1]}, not both")
        if source.token is None and source.token_file is None:
            raise AuthConfigError(
                f"{MODE_ENV}=token needs {TOKEN_ENV} or {TOKEN_FILE_ENV}; refusing to start without a token"
            )
        source.accepted()
        return source

    def accepted(self) -> Tuple[str, ...]:
        """The current token and, if any, the next; raises AuthConfigError
        when the current one cannot be read."""
        current = self.token or _read_token_file(self.token_file or "", required=True)
        following = self.next_token
        if following is None and self.next_token_file:
            following = _read_token_file(self.next_token_file, required=False)
        return (current,) if following is None else (current, following)
