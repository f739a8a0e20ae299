// The simulation controller's own metrics (montecarlo_*), beside the
// controller-runtime ones the runtime keeps.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function createSimulationMetrics(registry: Registry) {
  const registers = [registry];
  return {
    terminal: new Counter({
      name: "montecarlo_simulations_terminal_total",
      help: "Simulations that reached a terminal phase, by phase and reason.",
      labelNames: ["phase", "reason"] as const,
      registers,
    }),
    executions: new Counter({
      name: "montecarlo_executions_total",
      help: "Executions of POST /simulate by outcome (ok, unavailable, rejected, failed).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    executionSeconds: new Histogram({
      name: "montecarlo_execution_duration_seconds",
      help: "Wall time of successful POST /simulate calls.",
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    inFlight: new Gauge({
      name: "montecarlo_executions_in_flight",
      help: "Executions in flight in this process.",
      registers,
    }),
    statusWrites: new Counter({
      name: "montecarlo_status_writes_total",
      help: "Status subresource writes of MonteCarloSimulations.",
      registers,
    }),
  };
}
export type SimulationMetrics = ReturnType<typeof createSimulationMetrics>;
