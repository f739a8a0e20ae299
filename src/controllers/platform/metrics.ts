/** The platform controller's own metrics, beside controller-runtime's. */
import { Counter, type Registry } from "prom-client";

export interface PlatformMetrics {
  /** Guarded writes of serveConfigV2 by outcome: success, conflict (409), error. */
  serveConfigWrites: Counter<"result">;
  /** Hand edits of the bounds that were undone. */
  driftCorrections: Counter;
}

export function createPlatformMetrics(registry: Registry): PlatformMetrics {
  const serveConfigWrites = new Counter({
    name: "montecarlo_platform_serve_config_writes_total",
    help: "Writes of a RayService's serveConfigV2 by the platform controller, by result",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  for (const result of ["success", "conflict", "error"]) serveConfigWrites.inc({ result }, 0);
  return {
    serveConfigWrites,
    driftCorrections: new Counter({
      name: "montecarlo_platform_drift_corrections_total",
      help: "Hand edits of the Serve autoscaling bounds that the platform controller undid",
      registers: [registry],
    }),
  };
}
