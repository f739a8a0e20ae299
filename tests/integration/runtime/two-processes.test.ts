import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  configMaps,
  createKubeRequester,
  createTestNamespace,
  deleteNamespace,
  eventually,
  loadKubeConfig,
} from "./kube-env.ts";

const kc = loadKubeConfig();
const request = createKubeRequester(kc);
const FIXTURE = fileURLToPath(new URL("./fixtures/leader-process.ts", import.meta.url));
const ANNOTATION = "runtime-test/reconciled-by";
const LEASE = { name: "two-processes", durationMs: 3_000, retryMs: 500 };

interface Proc {
  identity: string;
  child: ChildProcess;
  events: Array<{ event: string; t: number; key?: string; port?: number; end?: string }>;
  exited: Promise<number | null>;
  stderr: string[];
}

let namespace: string;
const procs: Proc[] = [];

function launch(identity: string): Proc {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, NAMESPACE: namespace, IDENTITY: identity, LEASE_NAME: LEASE.name },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const proc: Proc = {
    identity,
    child,
    events: [],
    stderr: [],
    exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
  };
  let buffer = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl = buffer.indexOf("\n");
    while (nl >= 0) {
      proc.events.push(JSON.parse(buffer.slice(0, nl)));
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf("\n");
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => proc.stderr.push(chunk.toString()));
  procs.push(proc);
  return proc;
}

const has = (p: Proc, event: string) => p.events.some((e) => e.event === event);
const at = (p: Proc, event: string) => p.events.find((e) => e.event === event)?.t;

async function masterStatus(p: Proc): Promise<number> {
  const port = p.events.find((e) => e.event === "started")?.port;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("leader_election_master_status{"));
  return Number(line?.split(" ").pop());
}

beforeAll(async () => {
  namespace = await createTestNamespace(request, "rt-procs");
});

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  await deleteNamespace(request, namespace);
});

describe("two controller processes", () => {
  it("only the leader reconciles; killing it hands over within the lease duration; SIGTERM releases", async () => {
    const cms = configMaps(request, namespace);
    const p1 = launch("p1");
    const p2 = launch("p2");
    const diag = () => [...p1.stderr, ...p2.stderr].join("").slice(-2000);

    await eventually(() => expect(has(p1, "leading") || has(p2, "leading"), diag()).toBe(true));
    const leader = has(p1, "leading") ? p1 : p2;
    const follower = leader === p1 ? p2 : p1;

    await cms.create("c1");
    await cms.create("c2");
    await eventually(async () => {
      expect((await cms.get("c1")).metadata.annotations?.[ANNOTATION]).toBe(leader.identity);
      expect((await cms.get("c2")).metadata.annotations?.[ANNOTATION]).toBe(leader.identity);
    });
    await eventually(async () => expect(await masterStatus(follower)).toBe(0));
    expect(await masterStatus(leader)).toBe(1);
    expect(has(follower, "leading")).toBe(false);
    expect(has(follower, "reconciled")).toBe(false);

    // Kill the leader: no release, the follower must wait out the lease.
    const killedAt = Date.now();
    leader.child.kill("SIGKILL");
    await leader.exited;
    // The follower waits out the lease, then takes it at one of its next
    // (jittered) attempts; exact timing is the unit tests' (fake clock), so
    // here the bounds leave a lease duration's margin for a loaded machine.
    const takeover = LEASE.durationMs + 2.2 * LEASE.retryMs;
    await eventually(() => expect(has(follower, "leading")).toBe(true), {
      timeoutMs: takeover + 2 * LEASE.durationMs,
    });
    const handover = at(follower, "leading")! - killedAt;
    console.info(`leader killed: follower leading after ${handover} ms`);
    expect(handover).toBeGreaterThan(0);
    expect(handover).toBeLessThanOrEqual(takeover + 2 * LEASE.durationMs);

    // The new leader takes over the work: everything is reconciled by it now.
    await cms.create("c3");
    await eventually(async () => {
      for (const name of ["c1", "c2", "c3"]) {
        expect((await cms.get(name)).metadata.annotations?.[ANNOTATION]).toBe(follower.identity);
      }
    });
    await eventually(async () => expect(await masterStatus(follower)).toBe(1));

    // Graceful stop: work winds down, then the Lease is released.
    follower.child.kill("SIGTERM");
    expect(await follower.exited).toBe(0);
    expect(has(follower, "work-stopped")).toBe(true);
    const lease = await request<{ spec: { holderIdentity?: string } }>({
      method: "GET",
      path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${LEASE.name}`,
    });
    expect(lease.spec.holderIdentity ?? "").toBe("");
  });
});
