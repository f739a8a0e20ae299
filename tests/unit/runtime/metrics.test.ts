import pino from "pino";
import { describe, expect, it } from "vitest";
import { createPlatformMetrics } from "../../../src/controllers/platform/metrics.ts";
import { createSimulationMetrics } from "../../../src/controllers/simulation/metrics.ts";
import { createController } from "../../../src/runtime/controller.ts";
import { createControllerMetrics } from "../../../src/runtime/controller-metrics.ts";
import { createMetricsRegistry } from "../../../src/runtime/metrics.ts";
import { familiesOf, OPERATOR_METRICS } from "../../fixtures/metric-names.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the text format 0.0.4: every line is a HELP, a TYPE or
 * a sample of the family declared just before it.
 */
function parseExposition(text: string) {
  expect(text.endsWith("\n")).toBe(true);
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  let family = "";
  for (const line of text.slice(0, -1).split("\n")) {
    // The format allows empty lines; prom-client puts one between families.
    if (line === "") continue;
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      family = m[1]!;
      helps.set(family, m[2]!);
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      expect(m[1]).toBe(family);
      types.set(m[1]!, m[2]!);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable line: ${line}`);
    const name = m[1]!;
    expect(
      name === family || (types.get(family) === "histogram" && name.startsWith(`${family}_`)),
      `${name} outside its family ${family}`,
    ).toBe(true);
    const labels: Record<string, string> = {};
    const labelText = m[3] ?? "";
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let consumed = 0;
    for (let lm = re.exec(labelText); lm; lm = re.exec(labelText)) {
      labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
      consumed = re.lastIndex;
      if (consumed >= labelText.length) break;
    }
    expect(consumed).toBe(labelText.length);
    const raw = m[4]!;
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    // Prometheus parses floats as Go's ParseFloat does: NaN in any case
    // (prom-client writes "Nan" for an event-loop statistic with no samples yet).
    expect(Number.isNaN(value) && !/^nan$/i.test(raw), line).toBe(false);
    samples.push({ name, labels, value });
  }
  return { types, helps, samples };
}

/** The registry as main.ts assembles it, with one controller of each kind. */
function operatorRegistry() {
  const registry = createMetricsRegistry();
  const metrics = createControllerMetrics(registry);
  createSimulationMetrics(registry);
  createPlatformMetrics(registry);
  for (const name of ["montecarlosimulation", "montecarloplatform"]) {
    createController({ name, workers: 2, reconcile: async () => undefined, logger, metrics });
  }
  metrics.leaderElectionMasterStatus.set({ name: "ns/lease" }, 1);
  return { registry, metrics };
}

const logger = pino({ level: "silent" });

describe("the operator's /metrics", () => {
  it("serves exactly the listed families, each of its listed type, in a strict exposition", async () => {
    const { registry } = operatorRegistry();
    const text = await registry.metrics();
    const { types } = parseExposition(text);
    expect(Object.fromEntries(types)).toEqual(OPERATOR_METRICS);
    expect(familiesOf(text)).toEqual(OPERATOR_METRICS);
  });

  it("keeps controller-runtime's labels and computes the queue gauges at scrape time", async () => {
    const { registry, metrics } = operatorRegistry();
    metrics.reconcileTotal.inc({ controller: "montecarlosimulation", result: "success" });
    metrics.reconcileTime.observe({ controller: "montecarlosimulation" }, 0.2);
    const { samples } = parseExposition(await registry.metrics());
    const depth = samples.filter((s) => s.name === "workqueue_depth").map((s) => s.labels);
    expect(depth).toEqual([
      { name: "montecarlosimulation", controller: "montecarlosimulation" },
      { name: "montecarloplatform", controller: "montecarloplatform" },
    ]);
    const unfinished = samples.filter((s) => s.name === "workqueue_unfinished_work_seconds");
    expect(unfinished.map((s) => [s.labels.controller, s.value])).toEqual([
      ["montecarlosimulation", 0],
      ["montecarloplatform", 0],
    ]);
    const success = samples.find(
      (s) =>
        s.name === "controller_runtime_reconcile_total" &&
        s.labels.controller === "montecarlosimulation" &&
        s.labels.result === "success",
    );
    expect(success?.value).toBe(1);
    const count = samples.find(
      (s) =>
        s.name === "controller_runtime_reconcile_time_seconds_count" &&
        s.labels.controller === "montecarlosimulation",
    );
    expect(count?.value).toBe(1);
    const rss = samples.find((s) => s.name === "process_resident_memory_bytes");
    expect(rss!.value).toBeGreaterThan(1e6);
  });
});
