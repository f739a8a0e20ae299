"""Fixtures that start real Ray processes (marked tests only).

- ``ray_cluster``: an in-process local Ray (``ray.init``), for the fan-out.
- ``serve_url``: ``python -m montecarlo_sim.local`` in a subprocess on a free
  loopback port with its own temp dir, stopped with SIGTERM at the end.

Every local Serve runs as the stack does: Ray token auth with a token of its
own, and the simulator requiring ``SERVE_TOKEN`` (send ``AUTH`` as headers).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest

RAY_DIR = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 240.0
# The simulator's bearer token for every local Serve of this session.
SERVE_TOKEN = secrets.token_hex(32)
AUTH = {"Authorization": f"Bearer {SERVE_TOKEN}"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _short_temp_dir() -> str:
    # Ray's unix socket paths live under the temp dir and must stay short.
    return tempfile.mkdtemp(prefix="mcs-", dir="/tmp")


@pytest.fixture(scope="module")
def ray_cluster():
    # A plain import: in this project a missing Ray is a failure, not a skip.
    import ray
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(RAY_DIR), os.environ.get("PYTHONPATH", "")) if p
    )
    os.environ.pop("RAY_ADDRESS", None)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    temp_dir = _short_temp_dir()
    # A token of its own: Ray 2.60 enables token auth for a new local cluster
    # (RAY_AUTH_MODE unset: ray.init sets it and reloads its config, which an
    # environment change after `import ray` would not) and would otherwise
    # share ~/.ray/auth_token with every other cluster of the user.
    ray_token = Path(temp_dir) / "ray-token"
    ray_token.write_text(secrets.token_hex(32))
    os.environ["RAY_AUTH_TOKEN_PATH"] = str(ray_token)
    for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN"):
        os.environ.pop(name, None)
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=256 * 1024 * 1024,
        log_to_driver=False,
        _temp_dir=temp_dir,
    )
    try:
        yield ray
    finally:
        ray.shutdown()
        shutil.rmtree(temp_dir, ignore_errors=True)


@contextlib.contextmanager
def local_serve(config: Optional[str] = None, env: Optional[Dict[str, str]] = None) -> Iterator[str]:
    """Run ``python -m montecarlo_sim.local`` until the block ends; yields its URL.

    ``env`` adds variables to its environment (Ray's workers inherit them)."""
    port = _free_port()
    temp_dir = _short_temp_dir()
    log_path = Path(temp_dir) / "local-serve.log"
    ray_token = Path(temp_dir) / "ray-token"
    ray_token.write_text(secrets.token_hex(32))
    cmd = [
        sys.executable, "-m", "montecarlo_sim.local",
        "--port", str(port), "--num-cpus", "2", "--temp-dir", os.path.join(temp_dir, "ray"),
        "--ray-token-file", str(ray_token),
    ]
    if config:
        cmd += ["--config", config]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SIMULATOR_")},
        **(env or {}),
        "PYTHONPATH": str(RAY_DIR),
        "PYTHONUNBUFFERED": "1",
        "SIMULATOR_TOKEN": SERVE_TOKEN,
    }
    proc = subprocess.Popen(
        cmd, cwd=str(RAY_DIR), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    ready = threading.Event()
    lines = []

    def pump() -> None:
        with open(log_path, "w", encoding="utf-8") as log:
            for line in proc.stdout:
                lines.append(line)
                log.write(line)
                log.flush()
                if line.startswith("serve ready on "):
                    ready.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + READY_TIMEOUT
    try:
        while not ready.wait(0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("local Serve did not start:\n" + "".join(lines[-40:]))
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def serve_url():
    with local_serve() as url:
        yield url
