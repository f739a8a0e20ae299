import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpFetch } from "../../../src/adapters/http-fetch.ts";

let server: Server;
let url: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? "-"} ${body}`);
      if (req.url === "/slow") return; // never answers
      res.writeHead(req.url === "/missing" ? 404 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify({ url: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("httpFetch", () => {
  it("sends the method, headers and body, and answers status, ok and text", async () => {
    const response = await httpFetch(`${url}/simulate`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer t" },
      body: '{"a":1}',
    });
    expect([response.status, response.ok, await response.text()]).toEqual([
      200,
      true,
      '{"url":"/simulate"}',
    ]);
    expect(seen.at(-1)).toBe('POST /simulate Bearer t {"a":1}');
    const missing = await httpFetch(`${url}/missing`, {});
    await missing.body?.cancel();
    expect([missing.status, missing.ok]).toEqual([404, false]);
  });

  it("fails as fetch does: refused connections as 'fetch failed' with the socket error as cause", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const failure = httpFetch(`http://127.0.0.1:${port}/version`, {});
    await expect(failure).rejects.toMatchObject({
      name: "TypeError",
      message: "fetch failed",
      cause: { code: "ECONNREFUSED" },
    });
  });

  it("rejects with the signal's reason when it aborts", async () => {
    const failure = httpFetch(`${url}/slow`, { signal: AbortSignal.timeout(50) });
    await expect(failure).rejects.toMatchObject({ name: "TimeoutError" });
  });
});
