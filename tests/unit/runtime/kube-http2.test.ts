// The API server transport over TLS: HTTP/2 when the server offers it,
// HTTP/1.1 when it does not or DISABLE_HTTP2=true, a new session after the
// server drops one, and stream failures in the runtime's network class.
// Loopback servers with a throwaway certificate (openssl).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import http2, { type Http2SecureServer } from "node:http2";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { normalizeError, TransientError } from "../../../src/runtime/errors.ts";
import type { KubeConnection } from "../../../src/runtime/kube-config.ts";
import { createKubeTransport } from "../../../src/runtime/kube-transport.ts";

let pem: { cert: string; key: string };

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "kube-http2-"));
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
      ...["-nodes", "-days", "1", "-subj", "/CN=localhost"],
      ...["-addext", "subjectAltName=IP:127.0.0.1"],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
    ],
    { stdio: "ignore" },
  );
  pem = {
    cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    key: readFileSync(join(dir, "key.pem"), "utf8"),
  };
});

type Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

const servers: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** An HTTPS server speaking h2 (and HTTP/1.1 to clients that ask for it); counts connections. */
async function h2Server(handler: Handler) {
  const s: Http2SecureServer = http2.createSecureServer({ ...pem, allowHTTP1: true }, handler);
  const sessions: http2.ServerHttp2Session[] = [];
  s.on("session", (session) => sessions.push(session));
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  servers.push({ close: () => s.close() });
  return { sessions, connection: connectionTo((s.address() as AddressInfo).port) };
}

const connectionTo = (port: number): KubeConnection => ({
  server: `https://127.0.0.1:${port}`,
  ca: pem.cert,
  insecureSkipTlsVerify: false,
  token: "t0ken",
});

const get = (connection: KubeConnection, path = "/api", env: NodeJS.ProcessEnv = {}) =>
  createKubeTransport(connection, env).send({ method: "GET", path, timeoutMs: 5_000 });

describe("the API server transport over TLS", () => {
  it("speaks HTTP/2 to a server that offers it, with the bearer token and the body", async () => {
    const seen: string[] = [];
    const { connection } = await h2Server((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push(
          `${req.httpVersion} ${req.method} ${req.url} ${req.headers.authorization} ${body}`,
        );
        res.writeHead(req.url === "/missing" ? 404 : 200, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "Status", message: "here" }));
      });
    });
    const transport = createKubeTransport(connection, {});
    const body = JSON.stringify({ spec: { a: 1 } });
    const sent = await transport.send({ method: "PATCH", path: "/x", body, timeoutMs: 5_000 });
    const missing = await transport.send({ method: "GET", path: "/missing", timeoutMs: 5_000 });
    expect(sent.status).toBe(200);
    expect(missing).toMatchObject({ status: 404, text: expect.stringContaining("here") });
    expect(seen).toEqual([`2.0 PATCH /x Bearer t0ken ${body}`, "2.0 GET /missing Bearer t0ken "]);
  });

  it("carries many requests and a watch on one connection", async () => {
    const { sessions, connection } = await h2Server((req, res) => {
      if (req.url?.includes("watch=true")) {
        res.write(`${JSON.stringify({ type: "ADDED", object: { n: 1 } })}\n`);
        res.end(`${JSON.stringify({ type: "MODIFIED", object: { n: 2 } })}\n`);
        return;
      }
      res.end("{}");
    });
    const transport = createKubeTransport(connection, {});
    const events: string[] = [];
    await Promise.all([
      ...Array.from({ length: 20 }, () =>
        transport.send({ method: "GET", path: "/a", timeoutMs: 5_000 }),
      ),
      transport.watch("/w?watch=true", (type) => events.push(type), new AbortController().signal),
    ]);
    expect(events).toEqual(["ADDED", "MODIFIED"]);
    expect(sessions).toHaveLength(1);
  });

  it("falls back to HTTP/1.1 when the server does not offer h2, and when DISABLE_HTTP2=true", async () => {
    const versions: string[] = [];
    const s = https.createServer(pem, (req, res) => {
      versions.push(req.httpVersion);
      res.end("{}");
    });
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    servers.push({ close: () => s.close() });
    const transport = createKubeTransport(connectionTo((s.address() as AddressInfo).port), {});
    await transport.send({ method: "GET", path: "/a", timeoutMs: 5_000 });
    await transport.send({ method: "GET", path: "/b", timeoutMs: 5_000 });

    const { connection } = await h2Server((req, res) => {
      versions.push(`h2-capable ${req.httpVersion}`);
      res.end("{}");
    });
    await get(connection, "/c", { DISABLE_HTTP2: "true" });
    expect(versions).toEqual(["1.1", "1.1", "h2-capable 1.1"]);
  });

  it("dials a new session after the server closes one", async () => {
    const { sessions, connection } = await h2Server((_req, res) => res.end("{}"));
    const transport = createKubeTransport(connection, {});
    await transport.send({ method: "GET", path: "/a", timeoutMs: 5_000 });
    await new Promise<void>((resolve) => sessions[0]?.close(resolve)); // GOAWAY, then close
    const again = await transport.send({ method: "GET", path: "/b", timeoutMs: 5_000 });
    expect(again.status).toBe(200);
    expect(sessions).toHaveLength(2);
  });

  it("reports a stream the server resets, and a silent server, as retryable", async () => {
    const { connection } = await h2Server((req, res) => {
      if (req.url === "/reset") req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else if (req.url === "/silent") return;
      else res.end("{}");
    });
    const transport = createKubeTransport(connection, {});
    const reset = transport.send({ method: "GET", path: "/reset", timeoutMs: 5_000 });
    await expect(reset).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(normalizeError(await reset.catch((e: unknown) => e))).toBeInstanceOf(TransientError);
    const silent = transport.send({ method: "GET", path: "/silent", timeoutMs: 200 });
    await expect(silent).rejects.toMatchObject({ name: "TimeoutError" });
    // The session answered its ping: it stays, and the next request uses it.
    expect((await transport.send({ method: "GET", path: "/ok", timeoutMs: 5_000 })).status).toBe(
      200,
    );
  });

  it("a watch the server cuts mid-stream rejects as a lost connection; an abort resolves", async () => {
    const { connection } = await h2Server((req, res) => {
      res.write(`${JSON.stringify({ type: "ADDED", object: {} })}\n`);
      if (req.url === "/cut")
        setTimeout(() => req.stream.close(http2.constants.NGHTTP2_CANCEL), 50);
    });
    const transport = createKubeTransport(connection, {});
    const events: string[] = [];
    const cut = transport.watch("/cut", (type) => events.push(type), new AbortController().signal);
    await expect(cut).rejects.toMatchObject({ code: "ECONNRESET" });
    const stop = new AbortController();
    const open = transport.watch("/open", (type) => events.push(type), stop.signal);
    await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await expect(open).resolves.toBeUndefined();
    expect(events).toEqual(["ADDED", "ADDED"]);
  });

  it("a refused connection keeps its own code", async () => {
    const refused = get(connectionTo(1));
    await expect(refused).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
