import { describe, expect, it } from "vitest";
import { createControllerMetrics } from "../../../src/runtime/controller-metrics.ts";
import { createRegistry, escapeLabelValue } from "../../../src/runtime/metrics.ts";
import { registerProcessMetrics } from "../../../src/runtime/process-metrics.ts";

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
    expect(Number.isNaN(value) && raw !== "NaN").toBe(false);
    samples.push({ name, labels, value });
  }
  return { types, helps, samples };
}

describe("metrics registry", () => {
  it("exposes counters and gauges with HELP, TYPE and labels", () => {
    const reg = createRegistry();
    const c = reg.counter({ name: "things_total", help: "Things.", labelNames: ["kind"] });
    const g = reg.gauge({ name: "level", help: "A level." });
    c.inc({ kind: "a" });
    c.inc({ kind: "a" }, 2);
    c.inc({ kind: "b" });
    g.set({}, 1.5);
    g.dec();
    const text = reg.metricsText();
    expect(text).toBe(
      [
        "# HELP things_total Things.",
        "# TYPE things_total counter",
        'things_total{kind="a"} 3',
        'things_total{kind="b"} 1',
        "# HELP level A level.",
        "# TYPE level gauge",
        "level 0.5",
        "",
      ].join("\n"),
    );
    parseExposition(text);
  });

  it("escapes label values and help text", () => {
    const reg = createRegistry();
    const c = reg.counter({
      name: "odd_total",
      help: "Back\\slash and\nnewline.",
      labelNames: ["v"],
    });
    const nasty = 'quote " backslash \\ newline \n end';
    c.inc({ v: nasty });
    const text = reg.metricsText();
    expect(text).toContain("# HELP odd_total Back\\\\slash and\\nnewline.");
    expect(text).toContain(`odd_total{v="${escapeLabelValue(nasty)}"} 1`);
    expect(escapeLabelValue(nasty)).toBe('quote \\" backslash \\\\ newline \\n end');
    const { samples } = parseExposition(text);
    expect(samples[0]!.labels.v).toBe(nasty);
  });

  it("renders histograms with cumulative buckets, +Inf, _sum and _count", () => {
    const reg = createRegistry();
    const h = reg.histogram({
      name: "latency_seconds",
      help: "Latency.",
      labelNames: ["op"],
      buckets: [0.1, 1, 10],
    });
    for (const v of [0.05, 0.1, 0.5, 3, 42]) h.observe({ op: "get" }, v);
    const text = reg.metricsText();
    expect(text).toContain(
      [
        'latency_seconds_bucket{op="get",le="0.1"} 2',
        'latency_seconds_bucket{op="get",le="1"} 3',
        'latency_seconds_bucket{op="get",le="10"} 4',
        'latency_seconds_bucket{op="get",le="+Inf"} 5',
        'latency_seconds_sum{op="get"} 45.65',
        'latency_seconds_count{op="get"} 5',
      ].join("\n"),
    );
    const { types } = parseExposition(text);
    expect(types.get("latency_seconds")).toBe("histogram");
    expect(h.get({ op: "get" })).toEqual({ count: 5, sum: 45.65 });
  });

  it("formats special values", () => {
    const reg = createRegistry();
    const g = reg.gauge({ name: "g", help: "g", labelNames: ["k"] });
    g.set({ k: "nan" }, Number.NaN);
    g.set({ k: "inf" }, Number.POSITIVE_INFINITY);
    g.set({ k: "ninf" }, Number.NEGATIVE_INFINITY);
    const text = reg.metricsText();
    expect(text).toContain('g{k="nan"} NaN');
    expect(text).toContain('g{k="inf"} +Inf');
    expect(text).toContain('g{k="ninf"} -Inf');
  });

  it("rejects bad names, duplicates, wrong labels and decreasing counters", () => {
    const reg = createRegistry();
    expect(() => reg.counter({ name: "bad-name", help: "" })).toThrow();
    expect(() => reg.counter({ name: "ok", help: "", labelNames: ["__x"] })).toThrow();
    expect(() => reg.histogram({ name: "h", help: "", labelNames: ["le"] })).toThrow();
    const c = reg.counter({ name: "c_total", help: "", labelNames: ["a"] });
    expect(() => reg.gauge({ name: "c_total", help: "" })).toThrow(/already/);
    expect(() => c.inc({} as { a: string })).toThrow();
    expect(() => c.inc({ a: "x", b: "y" } as unknown as { a: string })).toThrow();
    expect(() => c.inc({ a: "x" }, -1)).toThrow();
  });

  it("runs collect hooks before each exposition", () => {
    const reg = createRegistry();
    const g = reg.gauge({ name: "calls", help: "" });
    let n = 0;
    reg.onCollect(() => g.set({}, ++n));
    reg.metricsText();
    expect(reg.metricsText()).toContain("calls 2");
  });
});

describe("controller-runtime metric names", () => {
  it("registers the standard families and process basics, all parseable", () => {
    const reg = createRegistry();
    const m = createControllerMetrics(reg);
    registerProcessMetrics(reg);
    m.queueSink("sims");
    m.reconcileTotal.inc({ controller: "sims", result: "success" });
    m.reconcileTime.observe({ controller: "sims" }, 0.2);
    m.leaderElectionMasterStatus.set({ name: "ns/lease" }, 1);
    const { types, samples } = parseExposition(reg.metricsText());
    const expected: Record<string, string> = {
      controller_runtime_reconcile_total: "counter",
      controller_runtime_reconcile_errors_total: "counter",
      controller_runtime_terminal_reconcile_errors_total: "counter",
      controller_runtime_reconcile_time_seconds: "histogram",
      controller_runtime_max_concurrent_reconciles: "gauge",
      controller_runtime_active_workers: "gauge",
      workqueue_depth: "gauge",
      workqueue_adds_total: "counter",
      workqueue_retries_total: "counter",
      workqueue_queue_duration_seconds: "histogram",
      workqueue_work_duration_seconds: "histogram",
      workqueue_unfinished_work_seconds: "gauge",
      workqueue_longest_running_processor_seconds: "gauge",
      leader_election_master_status: "gauge",
      process_resident_memory_bytes: "gauge",
      process_start_time_seconds: "gauge",
      process_cpu_seconds_total: "counter",
      nodejs_heap_size_used_bytes: "gauge",
    };
    for (const [name, type] of Object.entries(expected)) expect(types.get(name), name).toBe(type);
    const depth = samples.find((s) => s.name === "workqueue_depth");
    expect(depth?.labels).toEqual({ name: "sims", controller: "sims" });
    const rss = samples.find((s) => s.name === "process_resident_memory_bytes");
    expect(rss!.value).toBeGreaterThan(1e6);
  });
});
