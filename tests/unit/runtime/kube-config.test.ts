import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { connectionFromKubeconfig, KubeConfig } from "../../../src/runtime/kube-config.ts";
import { createKubeRequester } from "../../../src/runtime/kube-request.ts";
import { createKubeTransport } from "../../../src/runtime/kube-transport.ts";

const dir = mkdtempSync(join(tmpdir(), "mc-kubeconfig-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kubeconfig = (cluster: object, user: object) =>
  stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": "ctx",
    contexts: [
      { name: "ctx", context: { cluster: "c", user: "u" } },
      { name: "other", context: {} },
    ],
    clusters: [{ name: "c", cluster }],
    users: [{ name: "u", user }],
  });

describe("reading a kubeconfig", () => {
  it.each([
    {
      name: "inline certificates and a token",
      cluster: {
        server: "https://api:6443/",
        "certificate-authority-data": Buffer.from("CA").toString("base64"),
      },
      user: {
        "client-certificate-data": Buffer.from("CERT").toString("base64"),
        "client-key-data": Buffer.from("KEY").toString("base64"),
        token: "t0k",
      },
      want: { server: "https://api:6443", ca: "CA", cert: "CERT", key: "KEY", token: "t0k" },
    },
    {
      name: "files relative to the kubeconfig, a token file",
      cluster: { server: "https://api", "certificate-authority": "ca.crt" },
      user: { tokenFile: "token" },
      want: { server: "https://api", ca: "file CA", tokenFile: join(dir, "token") },
    },
    {
      name: "TLS verification off and a server name",
      cluster: {
        server: "https://10.0.0.1",
        "insecure-skip-tls-verify": true,
        "tls-server-name": "api",
      },
      user: {},
      want: { server: "https://10.0.0.1", insecureSkipTlsVerify: true, tlsServerName: "api" },
    },
  ])("$name", ({ cluster, user, want }) => {
    writeFileSync(join(dir, "ca.crt"), "file CA");
    const got = connectionFromKubeconfig(kubeconfig(cluster, user), dir);
    const defined = Object.fromEntries(
      Object.entries(got ?? {}).filter(
        ([k, v]) => v !== undefined && !(k === "insecureSkipTlsVerify" && v === false),
      ),
    );
    expect(defined).toEqual(want);
  });

  it.each([
    { name: "an exec plugin", user: { exec: { command: "aws" } }, cluster: {} },
    { name: "an auth provider", user: { "auth-provider": { name: "oidc" } }, cluster: {} },
    { name: "basic auth", user: { username: "a", password: "b" }, cluster: {} },
    { name: "a proxy", user: {}, cluster: { "proxy-url": "http://proxy:3128" } },
  ])("leaves $name to client-node", ({ user, cluster }) => {
    const file = join(dir, "delegated");
    writeFileSync(file, kubeconfig({ server: "https://api", ...cluster }, user));
    expect(
      connectionFromKubeconfig(kubeconfig({ server: "https://api", ...cluster }, user), dir),
    ).toBeUndefined();
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    expect(kc.implementation()).toBe("client-node");
  });

  it("in a pod: the service's address, the mounted CA and token", () => {
    writeFileSync(join(dir, "ca.crt"), "pod CA");
    const kc = new KubeConfig();
    kc.loadFromCluster({ KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" }, dir);
    expect(kc.server()).toBe("https://[fd00::1]:443");
    expect(kc.implementation()).toBe("native");
  });

  it("by default: KUBECONFIG's first file", () => {
    const file = join(dir, "first");
    writeFileSync(file, kubeconfig({ server: "https://first" }, {}));
    const kc = new KubeConfig();
    kc.loadFromDefault({ KUBECONFIG: `${file}:/nonexistent` });
    expect(kc.server()).toBe("https://first");
  });
});

async function server(
  handler: Parameters<typeof createServer>[1],
): Promise<{ s: Server; url: string }> {
  const s = createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return { s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

describe("the native transport", () => {
  it("sends JSON with the bearer token and maps a Status answer to its code and reason", async () => {
    const seen: string[] = [];
    const { s, url } = await server((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push(
          `${req.method} ${req.url} ${req.headers.authorization} ${req.headers["content-type"]} ${body}`,
        );
        if (req.url?.startsWith("/conflict")) {
          res.writeHead(409, { "content-type": "application/json" });
          res.end(
            JSON.stringify({ kind: "Status", reason: "Conflict", message: "modified", code: 409 }),
          );
          return;
        }
        res.end(JSON.stringify({ ok: true }));
      });
    });
    const file = join(dir, "plain");
    writeFileSync(file, kubeconfig({ server: url }, { token: "abc" }));
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    const request = createKubeRequester(kc);
    expect(
      await request({ method: "POST", path: "/x", query: { a: 1, b: undefined }, body: { v: 1 } }),
    ).toEqual({ ok: true });
    await expect(request({ method: "PATCH", path: "/conflict", body: [] })).rejects.toMatchObject({
      code: 409,
      message: "modified",
      body: { reason: "Conflict" },
    });
    expect(seen[0]).toBe('POST /x?a=1 Bearer abc application/json {"v":1}');
    s.close();
  });

  it("streams a watch's events, lines split across chunks, until the server ends it", async () => {
    const { s, url } = await server((_req, res) => {
      res.write('{"type":"ADDED","object":{"a":1}}\n{"type":"MOD');
      setTimeout(() => res.write("IFI"), 10);
      setTimeout(
        () => res.end('ED","object":{"a":2}}\n\n{"type":"DELETED","object":{"a":3}}\n'),
        20,
      );
    });
    const events: unknown[] = [];
    await createKubeTransport({ server: url }).watch(
      "/w?watch=true",
      (type, object) => events.push([type, object]),
      new AbortController().signal,
    );
    expect(events).toEqual([
      ["ADDED", { a: 1 }],
      ["MODIFIED", { a: 2 }],
      ["DELETED", { a: 3 }],
    ]);
    s.close();
  });

  it("gives up on an answer that does not come in time, as a TimeoutError", async () => {
    const { s, url } = await server(() => {});
    const send = createKubeTransport({ server: url }).send({
      method: "GET",
      path: "/",
      timeoutMs: 50,
    });
    await expect(send).rejects.toMatchObject({ name: "TimeoutError" });
    s.closeAllConnections();
    s.close();
  });
});
