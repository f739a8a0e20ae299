import { Counter, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createHealthServer, type HealthServer } from "../../../src/runtime/health-server.ts";

let server: HealthServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(configure: (s: HealthServer) => void = () => {}) {
  const registry = new Registry();
  new Counter({ name: "hits_total", help: "Hits.", registers: [registry] }).inc();
  server = createHealthServer({ host: "127.0.0.1", port: 0, registry, checkTimeoutMs: 200 });
  configure(server);
  const port = await server.start();
  return async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
  };
}

describe("health server", () => {
  it("serves /healthz, /readyz and /metrics", async () => {
    const get = await start((s) => s.addReadinessCheck("informers-synced", () => true));
    expect(await get("/healthz")).toMatchObject({ status: 200, body: "ok" });
    expect(await get("/readyz")).toMatchObject({ status: 200, body: "ok" });
    const metrics = await get("/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.type).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(metrics.body).toContain("hits_total 1");
    expect((await get("/nope")).status).toBe(404);
  });

  it("lists each check with ?verbose, as kube-apiserver does", async () => {
    const get = await start((s) => {
      s.addReadinessCheck("informers-synced", () => true);
      s.addReadinessCheck("database", async () => {});
    });
    const r = await get("/readyz?verbose");
    expect(r.status).toBe(200);
    expect(r.body).toBe(
      "[+]ping ok\n[+]informers-synced ok\n[+]database ok\nreadyz check passed\n",
    );
  });

  it("fails with 503 when a check throws, returns false or hangs", async () => {
    const get = await start((s) => {
      s.addReadinessCheck("database", async () => {
        throw new Error("connection refused");
      });
      s.addReadinessCheck("ray", () => false);
      s.addReadinessCheck("slow", () => new Promise(() => {}));
    });
    const r = await get("/readyz");
    expect(r.status).toBe(503);
    expect(r.body).toBe(
      [
        "[+]ping ok",
        "[-]database failed: reason withheld",
        "[-]ray failed: reason withheld",
        "[-]slow failed: reason withheld",
        "readyz check failed",
        "",
      ].join("\n"),
    );
    expect((await get("/readyz/ping")).status).toBe(200);
    expect(await get("/readyz/database")).toMatchObject({ status: 503 });
    expect((await get("/readyz/unknown")).status).toBe(404);
    const excluded = await get("/readyz?exclude=database&exclude=ray&exclude=slow&verbose");
    expect(excluded.status).toBe(200);
    expect(excluded.body).toContain("[+]database excluded: ok");
    // Liveness is separate from readiness.
    expect((await get("/healthz")).status).toBe(200);
  });

  it("closes cleanly, also with a keep-alive connection open", async () => {
    const get = await start();
    await get("/healthz");
    await server!.close();
    server = undefined;
    await expect(get("/healthz")).rejects.toThrow();
  });
});
