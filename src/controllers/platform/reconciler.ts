/**
 * The platform reconciler, the imperative shell around decide(): read the
 * platform and its RayService, decide, write the serveConfigV2 (guarded by
 * resourceVersion, only when it differs), record the Events, and write the
 * status once, only when it changed. It never branches on what triggered it.
 */
import type { Clock } from "../../runtime/clock.ts";
import type { ReconcileContext, ReconcileFn } from "../../runtime/controller.ts";
import { httpStatusOf, TransientError } from "../../runtime/errors.ts";
import { claimant, conflictStatus, type DecideInput, decide, statusChanged } from "./decide.ts";
import type { PlatformMetrics } from "./metrics.ts";
import { type PlatformObject, type RayServiceObject, rayServiceRefOf } from "./objects.ts";
import type { PlatformPorts } from "./ports.ts";
import { ConditionReasons, EventReasons } from "./reasons.ts";

export interface PlatformReconcilerDeps {
  ports: PlatformPorts;
  clock: Clock;
  metrics?: PlatformMetrics | undefined;
}

export function createPlatformReconciler(deps: PlatformReconcilerDeps): ReconcileFn {
  const { ports, clock, metrics } = deps;

  return async (key: string, ctx: ReconcileContext) => {
    const { signal, log } = ctx;
    const platform = await ports.getPlatform(key, signal);
    // Deleted: nothing to undo; the RayService belongs to whoever created it.
    if (!platform) return;

    const ref = rayServiceRefOf(platform);
    const rayService = ref ? await ports.getRayService(ref.namespace, ref.name, signal) : undefined;
    const input: DecideInput = {
      platform,
      rayService,
      now: new Date(clock.now()),
      claimedBy: claimant(platform, ports.listPlatforms()),
    };
    const decision = decide(input);

    if (decision.write) {
      try {
        await ports.writeServeConfig(decision.write, signal);
        metrics?.serveConfigWrites.inc({ result: "success" });
      } catch (err) {
        if (httpStatusOf(err) !== 409) {
          metrics?.serveConfigWrites.inc({ result: "error" });
          throw err;
        }
        metrics?.serveConfigWrites.inc({ result: "conflict" });
        const status = conflictStatus(input, (err as Error).message);
        if (statusChanged(platform.status, status)) {
          await ports.writeStatus(platform, status, signal);
        }
        throw new TransientError(
          ConditionReasons.Conflict,
          `RayService ${decision.write.namespace}/${decision.write.name} changed since it was read`,
          { cause: err },
        );
      }
      log.info(
        { rayService: `${decision.write.namespace}/${decision.write.name}` },
        "serveConfigV2 written",
      );
    }

    for (const event of decision.events) {
      const about: PlatformObject | RayServiceObject | undefined =
        event.regarding === "platform" ? platform : rayService;
      if (about) await ports.recordEvent(event, about);
      if (event.reason === EventReasons.DriftCorrected && event.regarding === "platform") {
        metrics?.driftCorrections.inc();
      }
    }

    if (statusChanged(platform.status, decision.status)) {
      await ports.writeStatus(platform, decision.status, signal);
    }
    if (decision.reason !== ConditionReasons.Applied) {
      // Waiting for the platform or the RayService to change; their watches bring us back.
      log.info({ reason: decision.reason }, "serve config not applied");
    }
  };
}

/** The platforms (keys) that name this RayService: a RayService event reconciles each. */
export function platformsReferring(
  rayService: RayServiceObject,
  platforms: readonly PlatformObject[],
): string[] {
  const { namespace, name } = rayService.metadata;
  return platforms
    .filter((p) => {
      const ref = rayServiceRefOf(p);
      return ref !== undefined && ref.namespace === namespace && ref.name === name;
    })
    .map((p) => p.metadata.name);
}
