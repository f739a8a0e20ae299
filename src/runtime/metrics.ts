/**
 * A small Prometheus registry: counters, gauges and histograms with labels,
 * exposed in the text format 0.0.4. Just what an operator needs, with no
 * dependency; names and semantics follow the Go client so dashboards carry over.
 */

export type LabelValues<L extends string> = { readonly [K in L]: string };

export interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds, ascending; +Inf is implied. Default: the Go client's defaults. */
  buckets?: readonly number[];
}

export interface Counter<L extends string = never> {
  inc(labels?: LabelValues<L>, value?: number): void;
  get(labels?: LabelValues<L>): number;
}

export interface Gauge<L extends string = never> {
  set(labels: LabelValues<L>, value: number): void;
  inc(labels?: LabelValues<L>, value?: number): void;
  dec(labels?: LabelValues<L>, value?: number): void;
  get(labels?: LabelValues<L>): number;
}

export interface Histogram<L extends string = never> {
  observe(labels: LabelValues<L>, value: number): void;
  /** Count and sum of observations, for tests. */
  get(labels?: LabelValues<L>): { count: number; sum: number };
}

export interface Registry {
  counter<L extends string = never>(options: MetricOptions<L>): Counter<L>;
  gauge<L extends string = never>(options: MetricOptions<L>): Gauge<L>;
  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L>;
  /** Runs before every exposition, to refresh gauges computed on demand. */
  onCollect(fn: () => void): void;
  /** The exposition text. */
  metricsText(): string;
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type MetricType = "counter" | "gauge" | "histogram";

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  render(lines: string[]): void;
}

export function createRegistry(): Registry {
  const families = new Map<string, Family>();
  const collectors: Array<() => void> = [];

  const register = (family: Family) => {
    if (!METRIC_NAME.test(family.name)) throw new Error(`invalid metric name ${family.name}`);
    if (families.has(family.name)) throw new Error(`metric ${family.name} already registered`);
    families.set(family.name, family);
  };

  return {
    counter<L extends string = never>(options: MetricOptions<L>): Counter<L> {
      const series = new SeriesMap<L, { value: number }>(options.labelNames ?? []);
      register({
        name: options.name,
        help: options.help,
        type: "counter",
        render: (lines) => renderSimple(lines, options.name, series),
      });
      return {
        inc(labels = {} as LabelValues<L>, value = 1) {
          if (value < 0) throw new Error(`counter ${options.name} cannot decrease`);
          series.at(labels, () => ({ value: 0 })).value += value;
        },
        get(labels = {} as LabelValues<L>) {
          return series.find(labels)?.value ?? 0;
        },
      };
    },

    gauge<L extends string = never>(options: MetricOptions<L>): Gauge<L> {
      const series = new SeriesMap<L, { value: number }>(options.labelNames ?? []);
      register({
        name: options.name,
        help: options.help,
        type: "gauge",
        render: (lines) => renderSimple(lines, options.name, series),
      });
      return {
        set(labels, value) {
          series.at(labels, () => ({ value: 0 })).value = value;
        },
        inc(labels = {} as LabelValues<L>, value = 1) {
          series.at(labels, () => ({ value: 0 })).value += value;
        },
        dec(labels = {} as LabelValues<L>, value = 1) {
          series.at(labels, () => ({ value: 0 })).value -= value;
        },
        get(labels = {} as LabelValues<L>) {
          return series.find(labels)?.value ?? 0;
        },
      };
    },

    histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
      const labelNames = options.labelNames ?? [];
      if (labelNames.includes("le" as L)) throw new Error("histogram label 'le' is reserved");
      const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)];
      for (let i = 1; i < buckets.length; i++) {
        if (!(buckets[i]! > buckets[i - 1]!)) throw new Error("buckets must be increasing");
      }
      const series = new SeriesMap<L, { counts: number[]; sum: number; count: number }>(labelNames);
      register({
        name: options.name,
        help: options.help,
        type: "histogram",
        render: (lines) => {
          for (const { labels, state } of series.entries()) {
            let cumulative = 0;
            buckets.forEach((bound, i) => {
              cumulative += state.counts[i]!;
              lines.push(
                `${options.name}_bucket${labelText(labels, ["le", formatValue(bound)])} ${cumulative}`,
              );
            });
            lines.push(`${options.name}_bucket${labelText(labels, ["le", "+Inf"])} ${state.count}`);
            lines.push(`${options.name}_sum${labelText(labels)} ${formatValue(state.sum)}`);
            lines.push(`${options.name}_count${labelText(labels)} ${state.count}`);
          }
        },
      });
      return {
        observe(labels, value) {
          const state = series.at(labels, () => ({
            counts: buckets.map(() => 0),
            sum: 0,
            count: 0,
          }));
          const i = buckets.findIndex((bound) => value <= bound);
          if (i >= 0) state.counts[i]!++;
          state.sum += value;
          state.count++;
        },
        get(labels = {} as LabelValues<L>) {
          const state = series.find(labels);
          return { count: state?.count ?? 0, sum: state?.sum ?? 0 };
        },
      };
    },

    onCollect(fn) {
      collectors.push(fn);
    },

    metricsText() {
      for (const collect of collectors) collect();
      const lines: string[] = [];
      for (const family of families.values()) {
        lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
        lines.push(`# TYPE ${family.name} ${family.type}`);
        family.render(lines);
      }
      return `${lines.join("\n")}\n`;
    },
  };
}

/** Series of one family, keyed by their label values in declared order. */
class SeriesMap<L extends string, S> {
  private readonly labelNames: readonly L[];
  private readonly byKey = new Map<string, { labels: Array<[string, string]>; state: S }>();

  constructor(labelNames: readonly L[]) {
    for (const n of labelNames) {
      if (!LABEL_NAME.test(n) || n.startsWith("__")) throw new Error(`invalid label name ${n}`);
    }
    this.labelNames = labelNames;
  }

  at(labels: LabelValues<L>, init: () => S): S {
    const key = this.key(labels);
    let entry = this.byKey.get(key);
    if (entry === undefined) {
      entry = { labels: this.labelNames.map((n) => [n, labels[n]]), state: init() };
      this.byKey.set(key, entry);
    }
    return entry.state;
  }

  find(labels: LabelValues<L>): S | undefined {
    return this.byKey.get(this.key(labels))?.state;
  }

  entries(): Iterable<{ labels: Array<[string, string]>; state: S }> {
    return this.byKey.values();
  }

  private key(labels: LabelValues<L>): string {
    const given = Object.keys(labels);
    if (given.length !== this.labelNames.length) {
      throw new Error(`expected labels [${this.labelNames.join(", ")}], got [${given.join(", ")}]`);
    }
    return this.labelNames
      .map((n) => {
        const v = labels[n];
        if (typeof v !== "string") throw new Error(`missing label ${n}`);
        return v;
      })
      .join("\u0000");
  }
}

function renderSimple<L extends string>(
  lines: string[],
  name: string,
  series: SeriesMap<L, { value: number }>,
): void {
  for (const { labels, state } of series.entries()) {
    lines.push(`${name}${labelText(labels)} ${formatValue(state.value)}`);
  }
}

function labelText(labels: Array<[string, string]>, extra?: [string, string]): string {
  const all = extra ? [...labels, extra] : labels;
  if (all.length === 0) return "";
  return `{${all.map(([n, v]) => `${n}="${escapeLabelValue(v)}"`).join(",")}}`;
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}
