"""Monte Carlo simulator for prop-trading assessments and funded accounts.

- ``montecarlo_sim.engine``: the pure NumPy engine (no Ray import).
- ``montecarlo_sim.schema``: the HTTP request model (pydantic, camelCase).
- ``montecarlo_sim.service``: request -> response, with a pluggable runner.
- ``montecarlo_sim.serve_app``: the Ray Serve applications.
- ``montecarlo_sim.local``: run the Serve applications on a local Ray.
"""

# Bump when results for a given request and seed may change.
ENGINE_VERSION = "1.0.0"
