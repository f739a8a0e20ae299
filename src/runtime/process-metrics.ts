import { readdirSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Registry } from "./metrics.ts";

/**
 * The process basics every Prometheus client exports (prom-client's names for
 * the Node-specific ones), refreshed at scrape time.
 */
export function registerProcessMetrics(registry: Registry): void {
  const rss = registry.gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
  });
  const startTime = registry.gauge({
    name: "process_start_time_seconds",
    help: "Start time of the process since unix epoch in seconds.",
  });
  const cpu = registry.counter({
    name: "process_cpu_seconds_total",
    help: "Total user and system CPU time spent in seconds.",
  });
  const openFds = registry.gauge({
    name: "process_open_fds",
    help: "Number of open file descriptors.",
  });
  const heapUsed = registry.gauge({
    name: "nodejs_heap_size_used_bytes",
    help: "Process heap size used from Node.js in bytes.",
  });
  const heapTotal = registry.gauge({
    name: "nodejs_heap_size_total_bytes",
    help: "Process heap size from Node.js in bytes.",
  });
  const external = registry.gauge({
    name: "nodejs_external_memory_bytes",
    help: "Node.js external memory size in bytes.",
  });
  const lagP99 = registry.gauge({
    name: "nodejs_eventloop_lag_p99_seconds",
    help: "The 99th percentile of the event loop delays recorded since the previous scrape.",
  });

  startTime.set({}, Math.round(Date.now() / 1000 - process.uptime()));
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  let cpuReported = 0;

  registry.onCollect(() => {
    const mem = process.memoryUsage();
    rss.set({}, mem.rss);
    heapUsed.set({}, mem.heapUsed);
    heapTotal.set({}, mem.heapTotal);
    external.set({}, mem.external);
    const usage = process.cpuUsage();
    const cpuSeconds = (usage.user + usage.system) / 1e6;
    if (cpuSeconds > cpuReported) {
      cpu.inc({}, cpuSeconds - cpuReported);
      cpuReported = cpuSeconds;
    }
    // Per scrape interval, not since start.
    lagP99.set({}, loop.percentile(99) / 1e9);
    loop.reset();
    try {
      openFds.set({}, readdirSync("/proc/self/fd").length);
    } catch {
      // not Linux: leave the gauge at its last value
    }
  });
}
