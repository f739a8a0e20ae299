import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { WorkQueue, WorkQueueMetricsSink } from "./workqueue.ts";

/**
 * controller-runtime's metric names and labels, so its dashboards and alerts
 * work unchanged. Create once per registry and share between controllers.
 */
export interface ControllerMetrics {
  reconcileTotal: Counter<"controller" | "result">;
  reconcileErrors: Counter<"controller">;
  terminalReconcileErrors: Counter<"controller">;
  reconcileTime: Histogram<"controller">;
  maxConcurrentReconciles: Gauge<"controller">;
  activeWorkers: Gauge<"controller">;
  workqueueDepth: Gauge<"name" | "controller">;
  workqueueAdds: Counter<"name" | "controller">;
  workqueueRetries: Counter<"name" | "controller">;
  workqueueQueueDuration: Histogram<"name" | "controller">;
  workqueueWorkDuration: Histogram<"name" | "controller">;
  workqueueUnfinishedWork: Gauge<"name" | "controller">;
  workqueueLongestRunningProcessor: Gauge<"name" | "controller">;
  leaderElectionMasterStatus: Gauge<"name">;
  /** Binds the workqueue metrics to one controller's queue. */
  queueSink(controller: string): WorkQueueMetricsSink;
  /** Refreshes the queue's unfinished-work gauges at every scrape. */
  trackQueue(controller: string, queue: WorkQueue): void;
}

export const ReconcileResults = ["success", "error", "requeue", "requeue_after"] as const;
export type ReconcileResultLabel = (typeof ReconcileResults)[number];

// controller-runtime's reconcile_time_seconds buckets.
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9,
  1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

// client-go's workqueue buckets: ExponentialBuckets(10e-9, 10, 12).
const WORKQUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000];

const CONTROLLER = ["controller"] as const;
const QUEUE = ["name", "controller"] as const;

function reconcileMetrics(registers: Registry[]) {
  return {
    reconcileTotal: new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"] as const,
      registers,
    }),
    reconcileErrors: new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: CONTROLLER,
      registers,
    }),
    terminalReconcileErrors: new Counter({
      name: "controller_runtime_terminal_reconcile_errors_total",
      help: "Total number of terminal reconciliation errors per controller",
      labelNames: CONTROLLER,
      registers,
    }),
    reconcileTime: new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: CONTROLLER,
      buckets: RECONCILE_BUCKETS,
      registers,
    }),
    maxConcurrentReconciles: new Gauge({
      name: "controller_runtime_max_concurrent_reconciles",
      help: "Maximum number of concurrent reconciles per controller",
      labelNames: CONTROLLER,
      registers,
    }),
    activeWorkers: new Gauge({
      name: "controller_runtime_active_workers",
      help: "Number of currently used workers per controller",
      labelNames: CONTROLLER,
      registers,
    }),
    leaderElectionMasterStatus: new Gauge({
      name: "leader_election_master_status",
      help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease.",
      labelNames: ["name"] as const,
      registers,
    }),
  };
}

/** `tracked` holds the queues whose in-progress gauges are computed at scrape time. */
function workqueueMetrics(registers: Registry[], tracked: Map<string, WorkQueue>) {
  const perQueue = (read: (queue: WorkQueue) => number) =>
    function collect(this: Gauge<"name" | "controller">) {
      for (const [controller, queue] of tracked)
        this.set({ name: controller, controller }, read(queue));
    };
  return {
    workqueueDepth: new Gauge({
      name: "workqueue_depth",
      help: "Current depth of workqueue",
      labelNames: QUEUE,
      registers,
    }),
    workqueueAdds: new Counter({
      name: "workqueue_adds_total",
      help: "Total number of adds handled by workqueue",
      labelNames: QUEUE,
      registers,
    }),
    workqueueRetries: new Counter({
      name: "workqueue_retries_total",
      help: "Total number of retries handled by workqueue",
      labelNames: QUEUE,
      registers,
    }),
    workqueueQueueDuration: new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "How long in seconds an item stays in workqueue before being requested",
      labelNames: QUEUE,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    }),
    workqueueWorkDuration: new Histogram({
      name: "workqueue_work_duration_seconds",
      help: "How long in seconds processing an item from workqueue takes",
      labelNames: QUEUE,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    }),
    workqueueUnfinishedWork: new Gauge({
      name: "workqueue_unfinished_work_seconds",
      help:
        "How many seconds of work has been done that is in progress and hasn't been observed by " +
        "work_duration. Large values indicate stuck threads. One can deduce the number of stuck " +
        "threads by observing the rate at which this increases.",
      labelNames: QUEUE,
      registers,
      collect: perQueue((q) => q.unfinishedWorkSeconds()),
    }),
    workqueueLongestRunningProcessor: new Gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running.",
      labelNames: QUEUE,
      registers,
      collect: perQueue((q) => q.longestRunningProcessorSeconds()),
    }),
  };
}

export function createControllerMetrics(registry: Registry): ControllerMetrics {
  const tracked = new Map<string, WorkQueue>();
  const m = { ...reconcileMetrics([registry]), ...workqueueMetrics([registry], tracked) };
  return {
    ...m,
    queueSink(controller) {
      const labels = { name: controller, controller };
      // Series exist from the start, as in the Go client, so rate() has a baseline.
      m.workqueueDepth.set(labels, 0);
      m.workqueueAdds.inc(labels, 0);
      m.workqueueRetries.inc(labels, 0);
      return {
        depth: (n) => m.workqueueDepth.set(labels, n),
        added: () => m.workqueueAdds.inc(labels),
        retried: () => m.workqueueRetries.inc(labels),
        queueLatency: (s) => m.workqueueQueueDuration.observe(labels, s),
        workDuration: (s) => m.workqueueWorkDuration.observe(labels, s),
      };
    },
    trackQueue(controller, queue) {
      tracked.set(controller, queue);
    },
  };
}
