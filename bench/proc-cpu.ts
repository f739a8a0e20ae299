// CPU time of the local stack's components, read from /proc (Linux): each
// piece that hack/stack/lib.sh starts is a session leader (its pid file holds
// the session id), and the operator is one process; PostgreSQL's backends are the postmaster's
// children (each leads a session of its own). A component's time is the sum over the live
// processes of its session of user + system time, plus what those processes
// collected from children that exited (cutime + cstime), so Ray workers or
// PostgreSQL backends that come and go are still counted once reaped.
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

interface ProcStat {
  readonly pid: number;
  readonly parent: number;
  readonly session: number;
  readonly ticks: number;
  readonly name: string;
}

/**
 * Field `i` (1-based, as proc(5) numbers them) of a /proc stat file, and the
 * command between its parentheses.
 */
function parseStat(text: string) {
  // The command may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    comm: text.slice(text.indexOf("(") + 1, text.lastIndexOf(")")),
    n: (i: number) => Number(fields[i - 3]),
  };
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const { n } = parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
    const ticks = n(14) + n(15) + n(16) + n(17);
    return { pid, parent: n(4), session: n(6), ticks, name: processName(pid) };
  } catch {
    return undefined; // exited between readdir and read
  }
}

/** "ServeReplica:simulator:MonteCarloSimulator" for Ray actors, else the program's base name. */
function processName(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  const first = argv[0] ?? "";
  if (first.startsWith("ray::")) return first.slice(5).trim();
  if (first.startsWith("ray-dashboard-")) return "dashboard";
  const program = first.split("/").pop() ?? first;
  return /^python/.test(program) ? (argv[1] === "-m" ? (argv[2] ?? program) : program) : program;
}

function allProcesses(): ProcStat[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readStat(Number(d)))
    .filter((s): s is ProcStat => s !== undefined);
}

/** How to find each component's processes. */
export type ComponentSelector =
  | { readonly session: number }
  /** One process; with threadPart, also split by its threads' names. */
  | { readonly pid: number; readonly threadPart?: (threadName: string) => string }
  /** A process and its direct children (PostgreSQL's backends each lead a session). */
  | { readonly parent: number }
  /** Split a session into parts named by a function of the process name. */
  | { readonly session: number; readonly partOf: (name: string) => string };

/** CPU seconds so far, by component (and by part for split sessions). */
export function cpuSeconds(components: Record<string, ComponentSelector>): Map<string, number> {
  const processes = allProcesses();
  const out = new Map<string, number>();
  const add = (key: string, ticks: number) =>
    out.set(key, (out.get(key) ?? 0) + ticks / TICKS_PER_SECOND);
  for (const [component, selector] of Object.entries(components)) {
    out.set(component, 0);
    for (const p of processes) {
      const mine =
        "pid" in selector
          ? p.pid === selector.pid
          : "parent" in selector
            ? p.pid === selector.parent || p.parent === selector.parent
            : p.session === selector.session;
      if (!mine) continue;
      add(component, p.ticks);
      if ("partOf" in selector) add(`${component}/${selector.partOf(p.name)}`, p.ticks);
    }
    if ("threadPart" in selector && selector.threadPart) {
      for (const t of threadsOf(selector.pid))
        add(`${component}/${selector.threadPart(t.name)}`, t.ticks);
    }
  }
  return out;
}

/** A process's live threads: their names (`comm`) and user + system ticks. */
function threadsOf(pid: number): { name: string; ticks: number }[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // the process has exited
  }
  return tids.flatMap((tid) => {
    try {
      const { comm, n } = parseStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8"));
      return [{ name: comm, ticks: n(14) + n(15) }];
    } catch {
      return [];
    }
  });
}

/**
 * Node's threads: the main thread (JavaScript, I/O), V8's workers (optimizing
 * compiles, concurrent and parallel garbage collection), the rest (libuv's
 * pool, the inspector).
 */
export function nodeThreadPart(name: string): string {
  if (name === "V8Worker") return "v8 workers";
  if (name === "MainThread" || name === "node") return "main thread";
  return "other threads";
}

export function cpuDelta(before: Map<string, number>, after: Map<string, number>) {
  return new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]));
}

/** The session id in a stack pid file (hack/stack/lib.sh's mc_spawn). */
export function sessionOfPidFile(file: string): number {
  return Number(readFileSync(file, "utf8").trim());
}

/** PostgreSQL's postmaster: the parent of every backend. */
export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(`${dataDir}/postmaster.pid`, "utf8").split("\n")[0]);
}

/** The parts of Ray a reader cares about: the Serve replica, the HTTP proxy, the rest. */
export function rayPart(name: string): string {
  if (name.startsWith("ServeReplica:simulator")) return "replica";
  if (name === "ProxyActor") return "proxy";
  return "other";
}

/** The local stack's components (hack/stack/env.sh's stack) and the operator process. */
export function stackComponents(operatorPid: number) {
  const dir = process.env.MC_STACK_DIR ?? "";
  const pgPort = new URL(process.env.DATABASE_URL ?? "postgresql://x:1").port;
  return {
    operator: { pid: operatorPid, threadPart: nodeThreadPart },
    apiserver: { session: sessionOfPidFile(`${dir}/apiserver.pid`) },
    etcd: { session: sessionOfPidFile(`${dir}/etcd.pid`) },
    postgres: { parent: postmasterPid(`${process.env.MC_PG_DIR ?? `/tmp/mcpg-${pgPort}`}/data`) },
    ray: { session: sessionOfPidFile(`${dir}/ray.pid`), partOf: rayPart },
  } satisfies Record<string, ComponentSelector>;
}
