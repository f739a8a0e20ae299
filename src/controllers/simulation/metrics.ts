// The simulation controller's own metrics (montecarlo_*), beside the
// controller-runtime ones the runtime keeps.
import type { Registry } from "../../runtime/metrics.ts";

export function createSimulationMetrics(registry: Registry) {
  return {
    terminal: registry.counter<"phase" | "reason">({
      name: "montecarlo_simulations_terminal_total",
      help: "Simulations that reached a terminal phase, by phase and reason.",
      labelNames: ["phase", "reason"],
    }),
    executions: registry.counter<"outcome">({
      name: "montecarlo_executions_total",
      help: "Executions of POST /simulate by outcome (ok, unavailable, rejected, failed).",
      labelNames: ["outcome"],
    }),
    executionSeconds: registry.histogram({
      name: "montecarlo_execution_duration_seconds",
      help: "Wall time of successful POST /simulate calls.",
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    }),
    inFlight: registry.gauge({
      name: "montecarlo_executions_in_flight",
      help: "Executions in flight in this process.",
    }),
    statusWrites: registry.counter({
      name: "montecarlo_status_writes_total",
      help: "Status subresource writes of MonteCarloSimulations.",
    }),
  };
}
export type SimulationMetrics = ReturnType<typeof createSimulationMetrics>;
