"""ray/serve-config.yaml against Ray Serve's own schema and our contract."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

CONFIG = Path(__file__).resolve().parent.parent / "serve-config.yaml"


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(CONFIG.read_text())


def test_valid_for_serve_deploy_schema(raw):
    from ray.serve.schema import ServeDeploySchema

    schema = ServeDeploySchema.model_validate(raw)
    names = {app.name: app for app in schema.applications}
    assert set(names) == {"simulator", "health"}
    assert names["simulator"].route_prefix == "/"
    assert names["simulator"].import_path == "montecarlo_sim.serve_app:simulator_app"
    assert names["health"].route_prefix == "/health"
    assert names["health"].import_path == "montecarlo_sim.serve_app:health_app"


def test_simulator_deployment_uses_current_names(raw):
    app = next(a for a in raw["applications"] if a["name"] == "simulator")
    (dep,) = app["deployments"]
    assert dep["name"] == "MonteCarloSimulator"
    assert "num_replicas" not in dep  # never beside autoscaling_config
    assert "max_concurrent_queries" not in dep
    assert dep["max_ongoing_requests"] > 0
    assert dep["max_queued_requests"] > 0  # overload -> 503
    auto = dep["autoscaling_config"]
    assert auto["min_replicas"] == 1 and auto["max_replicas"] == 10
    assert auto["target_ongoing_requests"] == 5
    assert "target_num_ongoing_requests_per_replica" not in auto
    for app in raw["applications"]:
        assert "working_dir" not in app.get("runtime_env", {})


def test_deployment_options_accepted_by_serve():
    """The deployment options as Serve's own DeploymentSchema sees them."""
    from ray.serve.schema import DeploymentSchema

    raw = yaml.safe_load(CONFIG.read_text())
    for app in raw["applications"]:
        for dep in app["deployments"]:
            DeploymentSchema.model_validate(dep)


def test_import_paths_resolve_to_applications_with_matching_deployments(raw):
    from ray.serve import Application

    for app in raw["applications"]:
        module, attr = app["import_path"].split(":")
        target = getattr(importlib.import_module(module), attr)
        assert isinstance(target, Application)
        names = {d["name"] for d in app["deployments"]}
        assert target._bound_deployment.name in names


def test_comments_are_kept_for_the_controller():
    text = CONFIG.read_text()
    assert text.count("#") > 10
    assert "target_ongoing_requests: 5" in text
