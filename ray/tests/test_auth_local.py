"""``python -m montecarlo_sim.local`` refuses to start without its tokens,
before it starts Ray (so nothing ever listens unauthenticated)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import RAY_DIR


def run_local(env_overrides, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMULATOR_", "RAY_AUTH"))}
    env.update(PYTHONPATH=str(RAY_DIR), **env_overrides)
    # The timeout only keeps a broken build from hanging the suite.
    return subprocess.run(
        [sys.executable, "-m", "montecarlo_sim.local", "--port", "1", *args],
        cwd=str(RAY_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "env,args,message",
    [
        pytest.param({}, ["--ray-token-file", "/dev/null"], "refusing to start without a token", id="no-simulator-token"),
        pytest.param(
            {"SIMULATOR_AUTH_MODE": "token", "SIMULATOR_TOKEN_FILE": "/nonexistent/token"},
            ["--ray-token-file", "/dev/null"],
            "does not exist",
            id="simulator-token-file-missing",
        ),
        pytest.param({"SIMULATOR_TOKEN": "t"}, [], "Ray token auth needs", id="no-ray-token"),
    ],
)
def test_refuses_to_start_without_tokens(env, args, message):
    r = run_local(env, *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert "serve ready" not in r.stdout
    # It stopped before Ray: no Ray start-up line.
    assert "Started a local Ray instance" not in r.stdout + r.stderr
