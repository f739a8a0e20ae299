// The process's one Prometheus registry (prom-client): the Node.js and
// process metrics every prom-client user exports, beside controller-runtime's
// (controller-metrics.ts) and the controllers' own montecarlo_* metrics.
import { collectDefaultMetrics, Registry } from "prom-client";

export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
