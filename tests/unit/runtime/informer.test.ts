import { describe, expect, it } from "vitest";
import { FakeClock, flushMicrotasks } from "../../../src/runtime/fake-clock.ts";
import { createInformer, type Informer } from "../../../src/runtime/informer.ts";
import {
  type ListResult,
  type ListWatcher,
  WatchError,
  type WatchEvent,
} from "../../../src/runtime/list-watch.ts";
import { ObjectCache } from "../../../src/runtime/object-cache.ts";

interface Obj {
  metadata: { name: string; namespace?: string; resourceVersion: string };
  data?: string;
}

function obj(name: string, rv: number, data = ""): Obj {
  return { metadata: { name, namespace: "ns", resourceVersion: String(rv) }, data };
}

interface ActiveWatch {
  fromRv: string;
  emit(type: WatchEvent<Obj>["type"], o: Obj): void;
  close(): void;
  fail(err: unknown): void;
}

/** A scripted API server: the test decides what lists return and what watches do. */
class FakeServer implements ListWatcher<Obj> {
  objects = new Map<string, Obj>();
  rv = 100;
  listFailures = 0;
  lists = 0;
  watches: ActiveWatch[] = [];
  open = 0;

  put(name: string, data = ""): Obj {
    const o = obj(name, ++this.rv, data);
    this.objects.set(name, o);
    return o;
  }

  async list(_signal: AbortSignal, each = (o: Obj) => o): Promise<ListResult<Obj>> {
    this.lists++;
    if (this.listFailures > 0) {
      this.listFailures--;
      throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    }
    return { items: [...this.objects.values()].map(each), resourceVersion: String(this.rv) };
  }

  watch(fromRv: string, onEvent: (e: WatchEvent<Obj>) => void, signal: AbortSignal) {
    return new Promise<void>((resolve, reject) => {
      this.open++;
      let live = true;
      const end = (f: () => void) => {
        if (!live) return;
        live = false;
        this.open--;
        f();
      };
      signal.addEventListener("abort", () => end(resolve), { once: true });
      this.watches.push({
        fromRv,
        emit: (type, o) => live && onEvent({ type, object: o }),
        close: () => end(resolve),
        fail: (err) => end(() => reject(err)),
      });
    });
  }

  current(): ActiveWatch {
    return this.watches[this.watches.length - 1]!;
  }
}

function setup(extra: { resyncPeriodMs?: number; transform?: (o: Obj) => Obj } = {}) {
  const clock = new FakeClock();
  const server = new FakeServer();
  const informer = createInformer<Obj>({
    listWatcher: server,
    clock,
    random: () => 0,
    resyncPeriodMs: extra.resyncPeriodMs ?? 0,
    ...(extra.transform ? { transform: extra.transform } : {}),
  });
  const events: string[] = [];
  informer.addHandlers({
    onAdd: (o) => events.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`),
    onUpdate: (old, o) =>
      events.push(
        `update ${o.metadata.name}@${old.metadata.resourceVersion}->${o.metadata.resourceVersion}`,
      ),
    onDelete: (o) => events.push(`delete ${o.metadata.name}`),
  });
  return { clock, server, informer, events };
}

async function started(informer: Informer<Obj>) {
  informer.start();
  await flushMicrotasks();
}

describe("informer", () => {
  it("lists, syncs, then applies watch events to the cache", async () => {
    const { server, informer, events } = setup();
    server.put("a");
    server.put("b");
    await started(informer);
    expect(informer.hasSynced()).toBe(true);
    expect(await informer.waitForSync()).toBe(true);
    expect(events).toEqual(["add a@101", "add b@102"]);
    expect(server.current().fromRv).toBe("102");

    const w = server.current();
    w.emit("ADDED", obj("c", 103));
    w.emit("MODIFIED", obj("a", 104, "x"));
    w.emit("DELETED", obj("b", 105));
    expect(events.slice(2)).toEqual(["add c@103", "update a@101->104", "delete b"]);
    expect(informer.get("ns/a")?.data).toBe("x");
    expect(informer.get("ns/b")).toBeUndefined();
    expect(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(["a", "c"]);
    expect(informer.lastSyncResourceVersion()).toBe("105");
    await informer.stop();
  });

  it("caches and hands to handlers what the transform makes of listed and watched objects", async () => {
    let calls = 0;
    const upper = (o: Obj): Obj => {
      calls++;
      return { ...o, data: (o.data ?? "").toUpperCase() };
    };
    const { server, informer } = setup({ transform: upper });
    const seen: string[] = [];
    informer.addHandlers({
      onAdd: (o) => seen.push(`add ${o.data}`),
      onUpdate: (_, o) => seen.push(`update ${o.data}`),
      onDelete: (o) => seen.push(`delete ${o.data}`),
    });
    server.put("a", "listed");
    await started(informer);
    const w = server.current();
    w.emit("ADDED", obj("b", 103, "added"));
    w.emit("MODIFIED", obj("a", 104, "modified"));
    w.emit("DELETED", obj("b", 105, "deleted"));
    expect(seen).toEqual(["add LISTED", "add ADDED", "update MODIFIED", "delete DELETED"]);
    expect(informer.get("ns/a")?.data).toBe("MODIFIED");
    // A bookmark carries no object to cache: the transform never sees it.
    w.emit("BOOKMARK", { metadata: { name: "", resourceVersion: "170" } });
    expect(calls).toBe(4);
    expect(informer.list().map((o) => o.data)).toEqual(["MODIFIED"]);
    await informer.stop();
  });

  it("resumes from the last resourceVersion (events and bookmarks) when a watch closes", async () => {
    const { clock, server, informer } = setup();
    await started(informer);
    const w = server.current();
    w.emit("ADDED", obj("a", 150));
    w.emit("BOOKMARK", { metadata: { name: "", resourceVersion: "170" } });
    await clock.advance(5_000);
    w.close();
    await flushMicrotasks();
    expect(server.watches).toHaveLength(2);
    expect(server.current().fromRv).toBe("170");
    expect(server.lists).toBe(1);
    expect(informer.list()).toHaveLength(1);
    await informer.stop();
  });

  it("on 410 Gone relists and diffs: missed adds, updates and deletes are delivered", async () => {
    const { server, informer, events } = setup();
    server.put("keep");
    server.put("change");
    server.put("vanish");
    await started(informer);
    events.length = 0;

    // While "disconnected": one object changes, one goes, one appears.
    server.put("change", "new");
    server.objects.delete("vanish");
    server.put("fresh");
    server.current().fail(new WatchError("too old resource version: 1 (200)", 410, "Expired"));
    await flushMicrotasks();

    expect(server.lists).toBe(2);
    expect(events.sort()).toEqual(["add fresh@105", "delete vanish", "update change@102->104"]);
    expect(informer.get("ns/vanish")).toBeUndefined();
    expect(server.current().fromRv).toBe("105");
    await informer.stop();
  });

  it("backs off exponentially (capped) while the API server is down, then recovers", async () => {
    const { clock, server, informer } = setup();
    server.listFailures = 5;
    await started(informer);
    expect(informer.hasSynced()).toBe(false);
    const listTimes: number[] = [];
    const t0 = clock.now();
    let seen = server.lists;
    listTimes.push(0);
    while (server.lists < 6) {
      await clock.advance(100);
      if (server.lists !== seen) {
        seen = server.lists;
        listTimes.push(clock.now() - t0);
      }
    }
    // Delays 800, 1600, 3200, 6400, 12800 (random() = 0: no jitter).
    const gaps = listTimes.slice(1).map((t, i) => t - listTimes[i]!);
    expect(gaps).toEqual([800, 1600, 3200, 6400, 12800]);
    expect(informer.hasSynced()).toBe(true);
    await informer.stop();
  });

  it("retries a failed watch with backoff and without relisting", async () => {
    const { clock, server, informer } = setup();
    await started(informer);
    server.current().fail(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    await flushMicrotasks();
    expect(server.watches).toHaveLength(1);
    await clock.advance(800);
    expect(server.watches).toHaveLength(2);
    expect(server.lists).toBe(1);
    await informer.stop();
  });

  it("a watch that closes at once without events counts as a failure (no hot loop)", async () => {
    const { clock, server, informer } = setup();
    await started(informer);
    // The "server" closes every watch as soon as it opens, for a minute.
    let closed = 0;
    for (let t = 0; t < 60_000; t += 100) {
      if (server.open > 0) {
        server.current().close();
        closed++;
      }
      await clock.advance(100);
    }
    // 800 + 1600 + 3200 + 6400 + 12800 + 25600 ms of backoff: 7 watches, not thousands.
    expect(closed).toBe(7);
    expect(server.lists).toBe(1);
    await informer.stop();
  });

  it("resync re-delivers every cached object as an update", async () => {
    const { clock, server, informer, events } = setup({ resyncPeriodMs: 60_000 });
    server.put("a");
    server.put("b");
    await started(informer);
    events.length = 0;
    await clock.advance(60_000);
    expect(events).toEqual(["update a@101->101", "update b@102->102"]);
    await clock.advance(60_000);
    expect(events).toHaveLength(4);
    await informer.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it("replays the cache to handlers added late", async () => {
    const { server, informer } = setup();
    server.put("a");
    await started(informer);
    const late: string[] = [];
    informer.addHandlers({ onAdd: (o) => late.push(o.metadata.name) });
    expect(late).toEqual(["a"]);
    await informer.stop();
  });

  it("stop() ends the open watch and any backoff sleep, and leaves nothing running", async () => {
    const { clock, server, informer } = setup();
    await started(informer);
    expect(server.open).toBe(1);
    await informer.stop();
    expect(server.open).toBe(0);

    const second = setup();
    second.server.listFailures = 100;
    await started(second.informer);
    const syncing = second.informer.waitForSync();
    await second.informer.stop();
    expect(await syncing).toBe(false);
    await second.clock.advance(60_000);
    expect(second.server.lists).toBe(1);
    expect(second.clock.pendingTimers()).toBe(0);
    void clock;
  });
});

describe("object cache relist diff", () => {
  it.each([
    {
      name: "empty to full: all adds",
      before: [],
      after: [obj("a", 1), obj("b", 2)],
      want: ["add ns/a", "add ns/b"],
    },
    {
      name: "same versions: nothing",
      before: [obj("a", 1)],
      after: [obj("a", 1)],
      want: [],
    },
    {
      name: "changed version: update",
      before: [obj("a", 1)],
      after: [obj("a", 2)],
      want: ["update ns/a"],
    },
    {
      name: "missing: delete with the last known state",
      before: [obj("a", 1), obj("b", 2)],
      after: [obj("a", 1)],
      want: ["delete ns/b@2"],
    },
  ])("$name", ({ before, after, want }) => {
    const cache = new ObjectCache<Obj>();
    cache.replace(before);
    const changes = cache
      .replace(after)
      .map((c) =>
        c.type === "delete"
          ? `delete ${c.key}@${c.object.metadata.resourceVersion}`
          : `${c.type} ${c.key}`,
      );
    expect(changes).toEqual(want);
    expect(cache.size()).toBe(after.length);
  });

  it("keys cluster-scoped objects by name", () => {
    const cache = new ObjectCache<Obj>();
    cache.upsert({ metadata: { name: "node-1", resourceVersion: "1" } });
    expect(cache.get("node-1")).toBeDefined();
  });
});
