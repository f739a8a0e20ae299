// The local stack's Ray runs with token authentication: its dashboard's Jobs
// API (arbitrary code on the cluster, the ShadowRay attack) and the Serve
// REST API KubeRay deploys serveConfigV2 with refuse every call without the
// stack's Ray token, and accept it with the token.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { stack, waitFor } from "../harness.ts";

const token = () => readFileSync(stack.rayTokenFile, "utf8").trim();
const bearer = () => ({ authorization: `Bearer ${token()}` });
/** The header KubeRay (v1.5.1) puts its token in (and the local stand-in too). */
const kuberayBearer = () => ({ "x-ray-authorization": `Bearer ${token()}` });

type Auth = { authorization?: string; "x-ray-authorization"?: string };

/**
 * One dashboard call over node:http: fetch() adds Sec-Fetch-* headers, and
 * the dashboard refuses anything but GET from what looks like a browser.
 */
function call(method: string, path: string, headers: Auth, body?: object) {
  const payload = body ? JSON.stringify(body) : undefined;
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      `${stack.rayDashboardUrl}${path}`,
      {
        method,
        headers: { ...headers, ...(payload ? { "content-type": "application/json" } : {}) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

interface JobDetails {
  submission_id: string | null;
  entrypoint: string;
  status: string;
}

const jobs = async () =>
  JSON.parse((await call("GET", "/api/jobs/", bearer())).text) as JobDetails[];

describe("Ray dashboard with token authentication", () => {
  it.each([
    { name: "without a token", headers: {}, status: 401 },
    { name: "with a wrong token", headers: { authorization: "Bearer not-the-token" }, status: 403 },
    {
      name: "with the token under another scheme",
      headers: { authorization: "Basic x" },
      status: 403,
    },
  ])("refuses a job submission $name, and runs nothing", async ({ headers, status }) => {
    const marker = `never-runs-${randomBytes(6).toString("hex")}`;
    const r = await call("POST", "/api/jobs/", headers, { entrypoint: `echo ${marker}` });
    expect(r.status).toBe(status);
    expect((await jobs()).filter((j) => j.entrypoint.includes(marker))).toEqual([]);
  });

  it("accepts a job submission with the token and runs it", async () => {
    const marker = `ran-${randomBytes(6).toString("hex")}`;
    const r = await call("POST", "/api/jobs/", bearer(), { entrypoint: `echo ${marker}` });
    expect(r.status, r.text).toBe(200);
    const id = (JSON.parse(r.text) as { submission_id: string }).submission_id;
    try {
      const done = await waitFor(
        `job ${id} to finish`,
        async () => {
          const job = JSON.parse((await call("GET", `/api/jobs/${id}`, bearer())).text);
          return ["SUCCEEDED", "FAILED", "STOPPED"].includes(job.status) && job;
        },
        180_000,
        1_000,
      );
      expect(done.status).toBe("SUCCEEDED");
      const logs = JSON.parse((await call("GET", `/api/jobs/${id}/logs`, bearer())).text);
      expect(logs.logs).toContain(marker);
    } finally {
      await call("DELETE", `/api/jobs/${id}`, bearer());
    }
  });

  it.each([
    { name: "without a token", headers: {}, status: 401 },
    { name: "with a wrong token", headers: { authorization: "Bearer not-the-token" }, status: 403 },
    {
      name: "with a wrong token in KubeRay's header",
      headers: { "x-ray-authorization": "Bearer not-the-token" },
      status: 403,
    },
  ])("refuses the Serve REST API $name", async ({ headers, status }) => {
    expect((await call("GET", "/api/serve/applications/", headers)).status).toBe(status);
    // Not a valid config: were the check missing, the handler would refuse it rather than
    // undeploy the stack's applications.
    const put = await call("PUT", "/api/serve/applications/", headers, { invalid: true });
    expect(put.status).toBe(status);
  });

  it.each([
    { header: "Authorization", headers: bearer },
    { header: "X-Ray-Authorization, as KubeRay sends it", headers: kuberayBearer },
  ])(
    "answers the Serve REST API with the token in $header (the simulator is still deployed)",
    async ({ headers }) => {
      const r = await call("GET", "/api/serve/applications/", headers());
      expect(r.status).toBe(200);
      expect(Object.keys(JSON.parse(r.text).applications).sort()).toEqual(["health", "simulator"]);
    },
  );

  it("keeps the health check open (probes carry no token)", async () => {
    expect((await call("GET", "/api/gcs_healthz", {})).status).toBe(200);
  });
});
