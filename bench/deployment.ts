// The operator Deployment's Node options and memory limit, read from the base
// manifest, so the bench measures the process as the cluster runs it.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { REPO } from "../tests/integration/harness.ts";

interface Container {
  name: string;
  env?: { name: string; value?: string }[];
  resources?: { limits?: { memory?: string } };
}

export interface DeploymentSettings {
  readonly nodeOptions: string;
  readonly memoryLimitMiB: number;
  /** --max-old-space-size, in MiB, if set. */
  readonly oldSpaceMiB: number | undefined;
}

export function deploymentSettings(): DeploymentSettings {
  const text = readFileSync(`${REPO}manifests/base/operator/deployment.yaml`, "utf8");
  const deployment = parse(text) as {
    spec: { template: { spec: { containers: Container[] } } };
  };
  const container = deployment.spec.template.spec.containers.find((c) => c.name === "operator");
  if (!container) throw new Error("no container named operator in the Deployment");
  const nodeOptions = container.env?.find((e) => e.name === "NODE_OPTIONS")?.value ?? "";
  const limit = container.resources?.limits?.memory ?? "";
  const oldSpace = /--max-old-space-size=(\d+)/.exec(nodeOptions)?.[1];
  return {
    nodeOptions,
    memoryLimitMiB: mebibytes(limit),
    oldSpaceMiB: oldSpace === undefined ? undefined : Number(oldSpace),
  };
}

function mebibytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`unexpected memory limit ${quantity}`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}
