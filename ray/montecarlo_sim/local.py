"""Run the Serve applications of ray/serve-config.yaml on a private local Ray.

    python -m montecarlo_sim.local --port 8000 --num-cpus 2 [--temp-dir DIR]
        [--dashboard-port 8265] [--ray-token-file FILE]

Starts a new single-node Ray (Ray's internal ports chosen by Ray; the
dashboard, with its Serve and Jobs REST APIs, on 127.0.0.1:DASHBOARD_PORT
only when asked), starts Serve with its HTTP proxy on 127.0.0.1:PORT, deploys the
applications exactly as the config file describes them (same names, route
prefixes, import paths and deployment options: the same path KubeRay's
dashboard PUT takes), prints

    serve ready on http://127.0.0.1:PORT

once GET /health answers and every application is RUNNING, then blocks until
SIGTERM or SIGINT and shuts Serve and Ray down (no raylet or GCS left
behind). Several instances with different ports and temp dirs can run side
by side.

Security (docs/security.md): Ray runs with token authentication
(RAY_AUTH_MODE=token), its token read from --ray-token-file (Ray's
RAY_AUTH_TOKEN_PATH) or, without it, from the RAY_AUTH_TOKEN / _PATH the
environment sets; Ray never falls back to a token shared through
~/.ray/auth_token. The simulator application requires its own bearer token
(montecarlo_sim.auth: SIMULATOR_TOKEN or SIMULATOR_TOKEN_FILE, inherited by
the Serve replicas); without one this command refuses to start (exit 2)
before Ray does.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

from .auth import AuthConfigError, TokenSource

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PACKAGE_ROOT / "serve-config.yaml"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m montecarlo_sim.local", description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=8000, help="HTTP port of the Serve proxy (127.0.0.1)")
    p.add_argument("--num-cpus", type=int, default=2, help="logical CPUs of the local Ray node")
    p.add_argument("--temp-dir", default=None, help="Ray temp/session dir (default: Ray's own)")
    p.add_argument(
        "--dashboard-port",
        type=int,
        default=None,
        help="serve Ray's dashboard (and its Serve and Jobs REST APIs) on 127.0.0.1:PORT",
    )
    p.add_argument("--config", default=str(DEFAULT_CONFIG), help="serveConfigV2 YAML to deploy")
    p.add_argument("--object-store-mb", type=int, default=512, help="object store size in MiB")
    p.add_argument("--ready-timeout", type=float, default=180.0, help="seconds to wait for readiness")
    p.add_argument("--verbose", action="store_true", help="forward Ray worker logs to stderr")
    p.add_argument("--ray-token-file", default=None, help="file holding the Ray cluster's auth token")
    return p.parse_args(argv)


def load_config(path: str):
    """The YAML file, validated by Serve's own multi-application schema."""
    import yaml
    from ray.serve.schema import ServeDeploySchema

    with open(path, "r", encoding="utf-8") as f:
        return ServeDeploySchema.model_validate(yaml.safe_load(f))


def _health_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200 and json.loads(resp.read()) == {"status": "healthy"}
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _all_running(app_names) -> bool:
    from ray import serve

    apps = serve.status().applications
    return all(name in apps and apps[name].status == "RUNNING" for name in app_names)


def wait_ready(base_url: str, app_names, timeout: float, stop: threading.Event) -> None:
    deadline = time.monotonic() + timeout
    while not stop.is_set():
        if _health_ok(base_url + "/health") and _all_running(app_names):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"Serve not ready after {timeout:.0f}s")
        stop.wait(0.5)


def configure_ray_auth(token_file: Optional[str], env=os.environ) -> None:
    """Token authentication for the new cluster, from a token of our own.

    Ray 2.60 would otherwise generate one into ~/.ray/auth_token, shared by
    every local cluster of the user.
    """
    env["RAY_AUTH_MODE"] = "token"
    if token_file:
        env.pop("RAY_AUTH_TOKEN", None)
        env["RAY_AUTH_TOKEN_PATH"] = str(Path(token_file).resolve())
    if not (env.get("RAY_AUTH_TOKEN") or env.get("RAY_AUTH_TOKEN_PATH")):
        raise AuthConfigError("Ray token auth needs --ray-token-file, RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH")


def use_dynamic_agent_port() -> None:
    """Let the dashboard agent pick a free HTTP port.

    ray.init() offers no parameter for it and always asks for 52365, so of
    several local clusters on one machine only the first gets an agent, and
    the Jobs API of the others answers "No available agent". The agent
    supports port 0 and registers the port it got; ray.init() builds its
    RayParams through this module attribute at call time.
    """
    from ray._private import parameter

    base = parameter.RayParams
    if getattr(base, "_montecarlo_dynamic_agent_port", False):
        return

    class RayParams(base):
        _montecarlo_dynamic_agent_port = True

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("dashboard_agent_listen_port", 0)
            super().__init__(*args, **kwargs)

    parameter.RayParams = RayParams


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        # Both before Ray starts: nothing listens until the credentials are there.
        TokenSource.from_env()
        configure_ray_auth(args.ray_token_file)
    except AuthConfigError as exc:
        print(f"montecarlo_sim.local: {exc}", file=sys.stderr, flush=True)
        return 2
    # Workers (and Serve's build task) import montecarlo_sim from here.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    # Always a new private cluster, never an existing one.
    os.environ.pop("RAY_ADDRESS", None)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

    import ray
    from ray import serve
    from ray.serve.context import _get_global_client

    config = load_config(args.config)
    app_names = [app.name for app in config.applications]
    stop = threading.Event()

    init_kwargs = dict(
        num_cpus=args.num_cpus,
        include_dashboard=args.dashboard_port is not None,
        object_store_memory=args.object_store_mb * 1024 * 1024,
        log_to_driver=args.verbose,
    )
    if args.dashboard_port is not None:
        init_kwargs.update(dashboard_host="127.0.0.1", dashboard_port=args.dashboard_port)
        use_dynamic_agent_port()
    if args.temp_dir:
        Path(args.temp_dir).mkdir(parents=True, exist_ok=True)
        init_kwargs["_temp_dir"] = str(Path(args.temp_dir).resolve())
    ray.init(**init_kwargs)

    def on_signal(signum, _frame):
        stop.set()

    # After ray.init: Ray installs its own handlers for fatal signals.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    base_url = f"http://127.0.0.1:{args.port}"
    exit_code = 0
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": args.port}, proxy_location="HeadOnly")
        # Same call the dashboard's PUT /api/serve/applications/ makes.
        _get_global_client().deploy_apps(config)
        wait_ready(base_url, app_names, args.ready_timeout, stop)
        if not stop.is_set():
            print(f"serve ready on {base_url}", flush=True)
            stop.wait()
    except Exception as exc:  # noqa: BLE001 - report and shut down cleanly
        print(f"montecarlo_sim.local: {exc}", file=sys.stderr, flush=True)
        exit_code = 1
    finally:
        _shutdown()
    return exit_code


def _shutdown(serve_timeout: float = 30.0) -> None:
    """Stop Serve, then the Ray node processes this driver started.

    serve.shutdown() is bounded: if the signal also reached Ray's own
    processes (a terminal's Ctrl-C goes to the whole process group), Serve
    can no longer answer and the driver must still stop its node.
    """
    import ray
    from ray import serve

    def stop_serve() -> None:
        try:
            serve.shutdown()
        except Exception as exc:  # noqa: BLE001
            print(f"serve.shutdown failed: {exc}", file=sys.stderr, flush=True)

    worker = threading.Thread(target=stop_serve, daemon=True)
    worker.start()
    worker.join(serve_timeout)
    if worker.is_alive():
        print("serve.shutdown timed out; stopping Ray", file=sys.stderr, flush=True)
    ray.shutdown()
    print("serve stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
