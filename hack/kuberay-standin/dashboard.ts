/**
 * The two calls KubeRay's RayService controller makes to the Ray dashboard
 * for serveConfigV2: PUT the whole multi-application config, and GET what
 * Serve runs. With Ray's token authentication on, every request carries
 * `X-Ray-Authorization: Bearer <token>`, the header KubeRay (v1.5.1) sends.
 *
 * Plain node:http, not fetch: the dashboard refuses a PUT from anything that
 * looks like a browser, and fetch always sends `Sec-Fetch-Mode`.
 */
import { request } from "node:http";
import type { ServeDetails } from "./status.ts";

const APPLICATIONS = "/api/serve/applications/";
/** Deploying imports the applications' code; a loaded machine takes its time. */
const TIMEOUT_MS = 120_000;

export interface Dashboard {
  /** PUT /api/serve/applications/: Serve deploys this config, dropping applications it lacks. */
  deploy(config: unknown): Promise<void>;
  /** GET /api/serve/applications/. */
  applications(): Promise<ServeDetails>;
}

export function createDashboard(baseUrl: string, token?: string): Dashboard {
  const url = new URL(APPLICATIONS, baseUrl);
  const send = (method: "GET" | "PUT", body?: string) =>
    new Promise<string>((resolve, reject) => {
      const headers: Record<string, string> = token
        ? { "x-ray-authorization": `Bearer ${token}` }
        : {};
      if (body !== undefined) headers["content-type"] = "application/json";
      const req = request(url, { method, headers, timeout: TIMEOUT_MS }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(text);
          else
            reject(new Error(`${method} ${APPLICATIONS}: HTTP ${status}: ${text.slice(0, 2000)}`));
        });
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${APPLICATIONS}: timed out`)));
      req.on("error", reject);
      req.end(body);
    });
  return {
    async deploy(config) {
      await send("PUT", JSON.stringify(config));
    },
    async applications() {
      return JSON.parse(await send("GET")) as ServeDetails;
    },
  };
}
