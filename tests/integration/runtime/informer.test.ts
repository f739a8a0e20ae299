import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createInformer, type Informer } from "../../../src/runtime/informer.ts";
import { kubeListWatcher, type ListWatcher } from "../../../src/runtime/list-watch.ts";
import type { ResourceRef } from "../../../src/runtime/resource.ts";
import {
  type ConfigMap,
  configMaps,
  createKubeRequester,
  createTestNamespace,
  deleteNamespace,
  eventually,
  loadKubeConfig,
} from "./kube-env.ts";

const kc = loadKubeConfig();
const request = createKubeRequester(kc);
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const CONFIGMAPS: ResourceRef = {
  group: "",
  version: "v1",
  plural: "configmaps",
  namespaced: true,
};

let namespace: string;
let cms: ReturnType<typeof configMaps>;
const informers: Array<Informer<ConfigMap>> = [];

beforeAll(async () => {
  namespace = await createTestNamespace(request, "rt-informer");
  cms = configMaps(request, namespace);
});

afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
});

afterAll(async () => {
  await deleteNamespace(request, namespace);
});

/**
 * The real list-watcher with test hooks: break the open watch as a network
 * failure would, hold the next watch back, or start it from a chosen
 * resourceVersion.
 */
function instrumented(inner: ListWatcher<ConfigMap>) {
  const hooks = {
    lists: 0,
    watchedFrom: [] as string[],
    breakWatch: () => {},
    holdNextWatch: undefined as Promise<void> | undefined,
    nextWatchFrom: undefined as string | undefined,
  };
  const lw: ListWatcher<ConfigMap> = {
    list(signal, each) {
      hooks.lists++;
      return inner.list(signal, each);
    },
    async watch(rv, onEvent, signal) {
      const hold = hooks.holdNextWatch;
      hooks.holdNextWatch = undefined;
      if (hold) await hold;
      const from = hooks.nextWatchFrom ?? rv;
      hooks.nextWatchFrom = undefined;
      hooks.watchedFrom.push(from);
      const cut = new AbortController();
      hooks.breakWatch = () => cut.abort();
      await inner.watch(from, onEvent, AbortSignal.any([signal, cut.signal]));
      if (cut.signal.aborted && !signal.aborted) {
        throw Object.assign(new Error("read ECONNRESET (cut by test)"), { code: "ECONNRESET" });
      }
    },
  };
  return { lw, hooks };
}

function start(options: { listWatcher?: ListWatcher<ConfigMap>; resyncPeriodMs?: number } = {}) {
  const events: string[] = [];
  const informer = createInformer<ConfigMap>({
    name: "configmaps",
    kubeConfig: kc,
    resource: CONFIGMAPS,
    listWatchOptions: { namespace },
    listWatcher: options.listWatcher,
    resyncPeriodMs: options.resyncPeriodMs ?? 0,
    logger,
  });
  informer.addHandlers({
    onAdd: (o) => events.push(`add ${o.metadata.name}`),
    onUpdate: (old, o) =>
      events.push(
        old.metadata.resourceVersion === o.metadata.resourceVersion
          ? `resync ${o.metadata.name}`
          : `update ${o.metadata.name}`,
      ),
    onDelete: (o) => events.push(`delete ${o.metadata.name}`),
  });
  informers.push(informer);
  informer.start();
  return { informer, events };
}

const names = (informer: Informer<ConfigMap>) =>
  informer
    .list()
    .map((o) => o.metadata.name)
    .sort();

describe("informer against a real API server", () => {
  it("list hands each item to `each` page by page and returns only what it made", async () => {
    const own = await createTestNamespace(request, "rt-list-pages");
    try {
      const mine = configMaps(request, own);
      for (let i = 0; i < 5; i++) await mine.create(`cm-${i}`, { big: "x".repeat(1000) });
      const lw = kubeListWatcher<ConfigMap>(kc, CONFIGMAPS, { namespace: own, pageSize: 2 });
      const seen: string[] = [];
      const result = await lw.list(new AbortController().signal, (cm) => {
        seen.push(cm.metadata.name);
        return { ...cm, data: { small: "y" } };
      });
      const names = result.items.map((cm) => cm.metadata.name).filter((n) => n.startsWith("cm-"));
      expect(names.sort()).toEqual(["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"]);
      expect(seen.length).toBe(result.items.length);
      expect(result.items.every((cm) => cm.data?.small === "y" && !cm.data?.big)).toBe(true);
    } finally {
      await deleteNamespace(request, own);
    }
  });

  it("lists and watches ConfigMaps: adds, updates and deletes reach the cache", async () => {
    await cms.create("pre", { v: "0" });
    const { informer, events } = start();
    expect(await informer.waitForSync()).toBe(true);
    expect(names(informer)).toEqual(["pre"]);

    await cms.create("a", { v: "1" });
    await cms.patchData("a", { v: "2" });
    await cms.delete("pre");

    await eventually(() => {
      expect(names(informer)).toEqual(["a"]);
      expect(informer.get(`${namespace}/a`)?.data).toEqual({ v: "2" });
    });
    expect(events).toEqual(["add pre", "add a", "update a", "delete pre"]);
    await cms.delete("a");
    await eventually(() => expect(names(informer)).toEqual([]));
  });

  it("recovers after its watch is cut, resuming from the last resourceVersion without relisting", async () => {
    const { lw, hooks } = instrumented(kubeListWatcher(kc, CONFIGMAPS, { namespace }));
    const { informer } = start({ listWatcher: lw });
    await informer.waitForSync();
    await cms.create("before-cut");
    await eventually(() => expect(names(informer)).toContain("before-cut"));
    const rvBeforeCut = informer.lastSyncResourceVersion();

    hooks.breakWatch();
    // Changes while the informer is backing off arrive when it re-watches.
    await cms.create("during-cut");
    await eventually(() => expect(names(informer)).toEqual(["before-cut", "during-cut"]));
    expect(hooks.watchedFrom.length).toBeGreaterThanOrEqual(2);
    expect(hooks.watchedFrom[1]).toBe(rvBeforeCut);
    expect(hooks.lists).toBe(1);
    await cms.delete("before-cut");
    await cms.delete("during-cut");
    await eventually(() => expect(names(informer)).toEqual([]));
  });

  it("keeps up across many server-side watch timeouts", async () => {
    const { lw, hooks } = instrumented(
      kubeListWatcher(kc, CONFIGMAPS, { namespace, watchTimeoutSeconds: { min: 1, max: 2 } }),
    );
    const { informer } = start({ listWatcher: lw });
    await informer.waitForSync();
    for (let i = 0; i < 6; i++) {
      await cms.create(`tick-${i}`);
      await new Promise((r) => setTimeout(r, 700));
    }
    await eventually(() => expect(names(informer)).toHaveLength(6));
    expect(hooks.watchedFrom.length).toBeGreaterThanOrEqual(3);
    expect(hooks.lists).toBe(1);
    await Promise.all(Array.from({ length: 6 }, (_, i) => cms.delete(`tick-${i}`)));
    await eventually(() => expect(names(informer)).toEqual([]));
  });

  it("on 410 Gone relists and delivers the deletes and adds it missed", async () => {
    await cms.create("stays");
    await cms.create("goes");
    const { lw, hooks } = instrumented(kubeListWatcher(kc, CONFIGMAPS, { namespace }));
    let release!: () => void;
    hooks.holdNextWatch = new Promise<void>((r) => {
      release = r;
    });
    // An ancient resourceVersion, compacted away in etcd: the API server answers
    // 410 Expired. (On a young etcd, revision 1 may still be there and the
    // watch would simply replay history, so compact first.)
    await compactEtcd();
    hooks.nextWatchFrom = "1";
    const { informer, events } = start({ listWatcher: lw });
    await informer.waitForSync();
    expect(names(informer)).toEqual(["goes", "stays"]);

    // While "disconnected":
    await cms.delete("goes");
    await cms.create("new");
    release();

    await eventually(() => expect(names(informer)).toEqual(["new", "stays"]));
    expect(hooks.watchedFrom[0]).toBe("1");
    expect(hooks.lists).toBe(2);
    expect(events.slice(0, 2)).toEqual(["add goes", "add stays"]);
    expect(events.slice(2).sort()).toEqual(["add new", "delete goes"]);
    await cms.delete("stays");
    await cms.delete("new");
    await eventually(() => expect(names(informer)).toEqual([]));
  });

  it("resyncs: re-delivers every cached object periodically", async () => {
    await cms.create("r1");
    const { informer, events } = start({ resyncPeriodMs: 500 });
    await informer.waitForSync();
    await eventually(() =>
      expect(events.filter((e) => e === "resync r1").length).toBeGreaterThanOrEqual(2),
    );
    await cms.delete("r1");
  });

  it("works for a cluster-scoped resource (namespaces)", async () => {
    const informer = createInformer<ConfigMap>({
      kubeConfig: kc,
      resource: { group: "", version: "v1", plural: "namespaces", namespaced: false },
      logger,
    });
    informers.push(informer);
    informer.start();
    await informer.waitForSync();
    expect(informer.get(namespace)?.metadata.name).toBe(namespace);
    expect(informer.get("kube-system")).toBeDefined();
  });

  it("stop() leaves no watch open on the API server", async () => {
    // PodTemplates: a resource nothing else in the stack watches, so the
    // API server's count of open watches on it is ours alone.
    const watchers = async () => {
      const text = await request<string>({ method: "GET", path: "/metrics" });
      return String(text)
        .split("\n")
        .filter(
          (l) =>
            l.startsWith("apiserver_longrunning_requests{") &&
            l.includes('resource="podtemplates"') &&
            l.includes('verb="WATCH"'),
        )
        .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
    };
    const before = await watchers();
    const podTemplates = [1, 2, 3].map(() =>
      createInformer({
        kubeConfig: kc,
        resource: { group: "", version: "v1", plural: "podtemplates", namespaced: true },
        listWatchOptions: { namespace },
        logger,
      }),
    );
    for (const i of podTemplates) i.start();
    await Promise.all(podTemplates.map((i) => i.waitForSync()));
    await eventually(async () => expect(await watchers()).toBe(before + 3));
    await Promise.all(podTemplates.map((i) => i.stop()));
    await eventually(async () => expect(await watchers()).toBe(before));
  });
});

/** Compacts the stack's etcd up to its current revision. */
async function compactEtcd(): Promise<void> {
  const url = process.env.MC_ETCD_URL;
  if (!url) throw new Error('MC_ETCD_URL is not set: eval "$(hack/stack/env.sh)"');
  const post = async (path: string, body: object) => {
    const r = await fetch(`${url}${path}`, { method: "POST", body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`etcd ${path}: HTTP ${r.status}`);
    return (await r.json()) as { header: { revision: string } };
  };
  const { header } = await post("/v3/kv/range", {
    key: Buffer.from("/").toString("base64"),
    limit: 1,
  });
  await post("/v3/kv/compaction", { revision: header.revision, physical: true });
}
