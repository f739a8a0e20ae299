// Writes to montecarlosimulations, from the API server's own request counter.
import { kubectlOk } from "../tests/integration/harness.ts";

export type WriteCounts = Record<string, number>;

/** Sum of apiserver_request_total for write verbs on montecarlosimulations, by verb and subresource. */
export async function simulationWrites(): Promise<WriteCounts> {
  const text = await kubectlOk(["get", "--raw", "/metrics"]);
  const sums: WriteCounts = {};
  for (const line of text.split("\n")) {
    if (
      !line.startsWith("apiserver_request_total{") ||
      !line.includes('resource="montecarlosimulations"')
    )
      continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? "";
    if (!["POST", "PUT", "PATCH", "DELETE", "APPLY"].includes(verb)) continue;
    const sub = /subresource="([^"]*)"/.exec(line)?.[1] || "object";
    const key = `${verb} ${sub}`;
    sums[key] = (sums[key] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sums;
}

export const diff = (a: WriteCounts, b: WriteCounts): WriteCounts =>
  Object.fromEntries(
    Object.keys(b)
      .map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)])
      .filter(([, v]) => v !== 0),
  );

export const total = (r: WriteCounts) => Object.values(r).reduce((s, v) => s + v, 0);

/** Writes by the operator: all but the user's creates. */
export const operatorWrites = (r: WriteCounts) => total(r) - (r["POST object"] ?? 0);
