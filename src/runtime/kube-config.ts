// Where the API server is and how to authenticate, from a kubeconfig file or
// the pod's service account, with the method names of client-node's
// KubeConfig. The common cases (client certificates, bearer tokens, token
// files, in-cluster) are read here and served by node:https
// (kube-transport.ts); anything else (exec plugins, auth providers, proxies,
// basic auth, impersonation) is handed to @kubernetes/client-node, loaded
// only then: the library and its generated models cost ~60 MiB of resident
// memory (docs/performance.md).
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import { createKubeTransport, type KubeTransport } from "./kube-transport.ts";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** What the native transport needs; PEM texts, not paths. */
export interface KubeConnection {
  readonly server: string;
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly insecureSkipTlsVerify?: boolean;
  readonly tlsServerName?: string | undefined;
  readonly token?: string | undefined;
  /** Re-read now and then, as client-go does: projected tokens rotate. */
  readonly tokenFile?: string | undefined;
}

type Source =
  | { kind: "native"; connection: KubeConnection }
  | { kind: "client-node"; file: string };

export class KubeConfig {
  #source: Source | undefined;
  #transport: Promise<KubeTransport> | undefined;

  /** KUBECONFIG (its first file), else ~/.kube/config, else the pod's service account. */
  loadFromDefault(env: NodeJS.ProcessEnv = process.env): void {
    const file = env.KUBECONFIG?.split(":").find((f) => f !== "");
    const home = join(env.HOME ?? homedir(), ".kube", "config");
    if (file) this.loadFromFile(file);
    else if (existsSync(home)) this.loadFromFile(home);
    else this.loadFromCluster(env);
  }

  loadFromFile(file: string): void {
    const connection = connectionFromKubeconfig(readFileSync(file, "utf8"), dirname(file));
    this.#source = connection ? { kind: "native", connection } : { kind: "client-node", file };
  }

  loadFromCluster(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): void {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT ?? "443";
    if (!host) throw new Error("no kubeconfig and not in a cluster (KUBERNETES_SERVICE_HOST)");
    const bracketed = host.includes(":") ? `[${host}]` : host;
    this.#source = {
      kind: "native",
      connection: {
        server: `https://${bracketed}:${port}`,
        ca: readFileSync(join(dir, "ca.crt"), "utf8"),
        tokenFile: join(dir, "token"),
      },
    };
  }

  /** The API server's URL, without a trailing slash. */
  server(): string {
    const source = this.#loaded();
    if (source.kind === "native") return source.connection.server;
    return "(from client-node)";
  }

  /** How this config is served: "native" (node:https) or "client-node". */
  implementation(): Source["kind"] {
    return this.#loaded().kind;
  }

  /** One transport (one connection pool) per config, shared by every requester. */
  transport(): Promise<KubeTransport> {
    this.#transport ??= this.#createTransport();
    return this.#transport;
  }

  async #createTransport(): Promise<KubeTransport> {
    const source = this.#loaded();
    if (source.kind === "native") return createKubeTransport(source.connection);
    const { clientNodeTransport } = await import("./kube-transport-client-node.ts");
    return clientNodeTransport(source.file);
  }

  #loaded(): Source {
    if (!this.#source) throw new Error("KubeConfig not loaded");
    return this.#source;
  }
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

type Fields = Record<string, unknown>;

// Every field here is read natively; any other field of the cluster or user
// (exec, auth-provider, proxy-url, username, as, ...) goes to client-node.
const NATIVE_CLUSTER = new Set([
  "server",
  "certificate-authority",
  "certificate-authority-data",
  "insecure-skip-tls-verify",
  "tls-server-name",
  "extensions",
]);
const NATIVE_USER = new Set([
  "client-certificate",
  "client-certificate-data",
  "client-key",
  "client-key-data",
  "token",
  "tokenFile",
  "extensions",
]);

/** The current context's connection, or undefined when it needs client-node. */
export function connectionFromKubeconfig(
  text: string,
  baseDir: string,
): KubeConnection | undefined {
  const config = (parse(text) ?? {}) as {
    "current-context"?: string;
    contexts?: Named<Fields>[];
    clusters?: Named<Fields>[];
    users?: Named<Fields>[];
  };
  const pick = <T>(list: Named<T>[] | undefined, name: unknown) =>
    list?.find((entry) => entry.name === name);
  const context = pick(config.contexts, config["current-context"])?.context;
  const cluster = pick(config.clusters, context?.cluster)?.cluster;
  const user = pick(config.users, context?.user)?.user ?? {};
  if (!cluster || typeof cluster.server !== "string") {
    throw new Error("the kubeconfig's current context names no cluster with a server");
  }
  const fitsNative = (fields: Fields, known: Set<string>) =>
    Object.keys(fields).every((k) => known.has(k));
  if (!fitsNative(cluster, NATIVE_CLUSTER) || !fitsNative(user, NATIVE_USER)) return undefined;
  const pem = (data: unknown, file: unknown) =>
    typeof data === "string"
      ? Buffer.from(data, "base64").toString("utf8")
      : typeof file === "string"
        ? readFileSync(isAbsolute(file) ? file : join(baseDir, file), "utf8")
        : undefined;
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const tokenFile = str(user.tokenFile);
  return {
    server: cluster.server.replace(/\/$/, ""),
    ca: pem(cluster["certificate-authority-data"], cluster["certificate-authority"]),
    cert: pem(user["client-certificate-data"], user["client-certificate"]),
    key: pem(user["client-key-data"], user["client-key"]),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    tlsServerName: str(cluster["tls-server-name"]),
    token: str(user.token),
    tokenFile: tokenFile && !isAbsolute(tokenFile) ? join(baseDir, tokenFile) : tokenFile,
  };
}
