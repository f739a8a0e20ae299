/**
 * Ray Serve's own reading of a serveConfigV2 document: ServeDeploySchema
 * validates it and AutoscalingConfig interprets the deployment's autoscaling
 * block, in the stack's Python venv (where `ray[serve]` is installed), so a
 * test sees the values Serve would really use (a removed key name is silently
 * ignored there, not rejected).
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";

const SCRIPT = `
import json, sys, warnings
warnings.simplefilter("ignore")
import yaml
from ray.serve.schema import ServeDeploySchema
from ray.serve.config import AutoscalingConfig
req = json.load(sys.stdin)
schema = ServeDeploySchema.model_validate(yaml.safe_load(req["doc"]))
app = next(a for a in schema.applications if a.name == req["application"])
dep = next(d for d in app.deployments if d.name == req["deployment"])
cfg = dep.autoscaling_config
auto = AutoscalingConfig(**(cfg if isinstance(cfg, dict) else cfg.dict()))
moq = dep.max_ongoing_requests
if not isinstance(moq, int):
  # Unset in the config: the deployment gets Serve's default.
  from ray.serve._private.config import DeploymentConfig
  moq = DeploymentConfig().max_ongoing_requests
print(json.dumps({
  "applications": [a.name for a in schema.applications],
  "max_ongoing_requests": moq,
  "min_replicas": auto.min_replicas,
  "max_replicas": auto.max_replicas,
  "initial_replicas": auto.initial_replicas,
  "target_ongoing_requests": auto.target_ongoing_requests,
}))
`;

export interface ServeReading {
  applications: string[];
  max_ongoing_requests: number;
  min_replicas: number;
  max_replicas: number;
  initial_replicas: number | null;
  target_ongoing_requests: number;
}

/**
 * A venv's python with ray and yaml installed: $MC_VENV (hack/stack/env.sh)
 * first, else any stack venv (one may still be installing).
 */
export function rayPython(): string {
  const cache = `${homedir()}/.cache/montecarlo-stack`;
  const candidates = [
    ...(process.env.MC_VENV ? [process.env.MC_VENV] : []),
    ...(existsSync(cache)
      ? readdirSync(cache)
          .filter((d) => d.startsWith("venv"))
          .map((d) => `${cache}/${d}`)
      : []),
  ];
  for (const venv of candidates) {
    if (hasPackages(venv, ["ray/serve", "yaml"])) return `${venv}/bin/python`;
  }
  throw new Error(
    `no Python venv with ray[serve] and pyyaml among ${candidates.join(", ") || "none"}: ` +
      "run hack/stack/install.sh (it builds one from ray/requirements.txt)",
  );
}

function hasPackages(venv: string, packages: string[]): boolean {
  const lib = `${venv}/lib`;
  if (!existsSync(`${venv}/bin/python`) || !existsSync(lib)) return false;
  return readdirSync(lib)
    .filter((d) => d.startsWith("python3"))
    .some((py) => packages.every((p) => existsSync(`${lib}/${py}/site-packages/${p}`)));
}

/** Validates `doc` with Ray Serve's schema; rejects with Serve's message when it is invalid. */
export function readWithRayServe(
  doc: string,
  application: string,
  deployment: string,
): Promise<ServeReading> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      rayPython(),
      ["-c", SCRIPT],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`Ray Serve refused the document: ${stderr || err.message}`));
        else resolve(JSON.parse(stdout) as ServeReading);
      },
    );
    child.stdin?.end(JSON.stringify({ doc, application, deployment }));
  });
}
