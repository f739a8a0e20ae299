"""The simulator's bearer-token check, without Ray: header parsing, the
verdict, where tokens come from, refusing to start without one, and the
ASGI middleware in front of every simulator route (401, 403, 503, pass)."""

from __future__ import annotations

import hmac
import os

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from montecarlo_sim import auth
from montecarlo_sim.auth import AuthConfigError, TokenSource, Verdict, bearer_token, verdict
from montecarlo_sim.http_auth import BearerAuthMiddleware


@pytest.mark.parametrize(
    "header,want",
    [
        pytest.param(None, None, id="no-header"),
        pytest.param("", None, id="empty"),
        pytest.param("Bearer abc", "abc", id="bearer"),
        pytest.param("bearer abc", "abc", id="scheme-case-insensitive"),
        pytest.param("  Bearer   abc  ", "abc", id="surrounding-space"),
        pytest.param("Basic abc", None, id="other-scheme"),
        pytest.param("Bearer", None, id="no-token"),
        pytest.param("Bearer a b", None, id="two-words"),
        pytest.param("abc", None, id="bare-token"),
    ],
)
def test_bearer_token(header, want):
    assert bearer_token(header) == want


@pytest.mark.parametrize(
    "header,accepted,want",
    [
        pytest.param(None, ("cur",), Verdict.MISSING, id="missing-401"),
        pytest.param("Basic cur", ("cur",), Verdict.MISSING, id="not-bearer-401"),
        pytest.param("Bearer nope", ("cur",), Verdict.WRONG, id="wrong-403"),
        pytest.param("Bearer cu", ("cur",), Verdict.WRONG, id="prefix-403"),
        pytest.param("Bearer curr", ("cur",), Verdict.WRONG, id="longer-403"),
        pytest.param("Bearer cur", ("cur",), Verdict.ALLOWED, id="current"),
        pytest.param("Bearer nxt", ("cur", "nxt"), Verdict.ALLOWED, id="next-during-rotation"),
        pytest.param("Bearer cur", ("cur", "nxt"), Verdict.ALLOWED, id="current-during-rotation"),
    ],
)
def test_verdict(header, accepted, want):
    assert verdict(header, accepted) is want


def test_verdict_compares_every_token_in_constant_time(monkeypatch):
    """Every accepted token is compared, through hmac.compare_digest, on
    digests of one length: the time does not depend on where or whether a
    token matches."""
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert verdict("Bearer first", ("first", "a-much-longer-second")) is Verdict.ALLOWED
    assert calls == [(32, 32), (32, 32)]


@pytest.mark.parametrize(
    "env,want",
    [
        pytest.param({"SIMULATOR_TOKEN": "t"}, ("t",), id="env"),
        pytest.param({"SIMULATOR_TOKEN": "t", "SIMULATOR_NEXT_TOKEN": "n"}, ("t", "n"), id="env-two"),
        pytest.param({"SIMULATOR_AUTH_MODE": "TOKEN", "SIMULATOR_TOKEN": " t \n"}, ("t",), id="trimmed"),
    ],
)
def test_tokens_from_the_environment(env, want):
    assert TokenSource.from_env(env).accepted() == want


def test_tokens_from_files_are_read_again_after_a_rotation(tmp_path):
    current, following = tmp_path / "token", tmp_path / "next"
    current.write_text("old\n")
    env = {"SIMULATOR_TOKEN_FILE": str(current), "SIMULATOR_NEXT_TOKEN_FILE": str(following)}
    source = TokenSource.from_env(env)
    # A missing next file is no next token.
    assert source.accepted() == ("old",)
    following.write_text("new")
    assert source.accepted() == ("old", "new")
    current.write_text("new")
    following.unlink()
    assert source.accepted() == ("new",)


def test_disabled_mode_checks_nothing():
    assert TokenSource.from_env({"SIMULATOR_AUTH_MODE": "disabled"}) is None


@pytest.mark.parametrize(
    "env,message",
    [
        pytest.param({}, "refusing to start without a token", id="default-mode-no-token"),
        pytest.param({"SIMULATOR_AUTH_MODE": "token"}, "refusing to start without a token", id="no-token"),
        pytest.param({"SIMULATOR_TOKEN": "  "}, "refusing to start without a token", id="blank-token"),
        pytest.param({"SIMULATOR_AUTH_MODE": "basic", "SIMULATOR_TOKEN": "t"}, "must be one of", id="bad-mode"),
        pytest.param({"SIMULATOR_TOKEN_FILE": "/nonexistent/token"}, "does not exist", id="missing-file"),
        pytest.param(
            {"SIMULATOR_TOKEN": "secret-a", "SIMULATOR_TOKEN_FILE": "/x"}, "not both", id="value-and-file"
        ),
    ],
)
def test_refuses_to_start_without_a_usable_token(env, message):
    with pytest.raises(AuthConfigError, match=message) as raised:
        TokenSource.from_env(env)
    assert "secret-a" not in str(raised.value)


def test_an_empty_token_file_is_refused(tmp_path):
    empty = tmp_path / "token"
    empty.write_text("\n")
    with pytest.raises(AuthConfigError, match="is empty"):
        TokenSource.from_env({"SIMULATOR_TOKEN_FILE": str(empty)})


def _client(env) -> TestClient:
    app = FastAPI()
    app.add_middleware(BearerAuthMiddleware, env=env)

    @app.post("/simulate")
    async def simulate(body: dict):
        return {"ran": True}

    return TestClient(app)


@pytest.mark.parametrize(
    "headers,status,detail",
    [
        pytest.param({}, 401, "missing bearer token", id="no-header"),
        pytest.param({"Authorization": "Token good"}, 401, "missing bearer token", id="wrong-scheme"),
        pytest.param({"Authorization": "Bearer bad"}, 403, "invalid bearer token", id="wrong-token"),
        pytest.param({"Authorization": "Bearer good"}, 200, None, id="current"),
        pytest.param({"Authorization": "Bearer later"}, 200, None, id="next"),
    ],
)
def test_middleware_guards_every_route(headers, status, detail):
    client = _client({"SIMULATOR_TOKEN": "good", "SIMULATOR_NEXT_TOKEN": "later"})
    r = client.post("/simulate", json={}, headers=headers)
    assert r.status_code == status
    if detail:
        assert r.json() == {"detail": detail}
        assert "good" not in r.text and "later" not in r.text
    else:
        assert r.json() == {"ran": True}
    if status == 401:
        assert r.headers["www-authenticate"] == "Bearer"


def test_middleware_refuses_before_the_body_is_parsed():
    # Malformed JSON without a token: 401, not FastAPI's 422.
    r = _client({"SIMULATOR_TOKEN": "good"}).post(
        "/simulate", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 401


def test_middleware_guards_unknown_paths_too():
    assert _client({"SIMULATOR_TOKEN": "good"}).get("/docs").status_code == 401


def test_middleware_fails_closed_when_the_token_file_goes_away(tmp_path):
    token = tmp_path / "token"
    token.write_text("good")
    client = _client({"SIMULATOR_TOKEN_FILE": str(token)})
    assert client.post("/simulate", json={}, headers={"Authorization": "Bearer good"}).status_code == 200
    token.unlink()
    r = client.post("/simulate", json={}, headers={"Authorization": "Bearer good"})
    assert r.status_code == 503
    assert str(tmp_path) not in r.text


def test_a_simulator_replica_refuses_to_start_without_a_token(monkeypatch):
    """The replica's constructor checks the configuration, so a RayService
    without the Secret never serves /simulate open (Serve marks the
    deployment unhealthy instead)."""
    from montecarlo_sim.serve_app import MonteCarloSimulator

    wrapper = MonteCarloSimulator.func_or_class
    # Serve's ingress wrapper subclasses the class the module defines.
    replica_class = next(c for c in wrapper.__mro__[1:] if c.__name__ == "MonteCarloSimulator")
    for name in [n for n in list(os.environ) if n.startswith("SIMULATOR_")]:
        monkeypatch.delenv(name)
    with pytest.raises(AuthConfigError, match="refusing to start"):
        replica_class()
    monkeypatch.setenv("SIMULATOR_TOKEN", "t")
    assert replica_class()._jobs._inline_max_chunks > 0
