/**
 * Whether a RayService reports itself ready, read the way KubeRay writes it:
 * the `Ready` condition (KubeRay 1.3 and later), else the deprecated
 * `serviceStatus: Running`. A RayService without a status has not been seen
 * by KubeRay yet, so it is not ready.
 */
import type { RayServiceObject } from "./objects.ts";

/** Serve's messages can carry whole tracebacks; the platform's condition keeps the head. */
const MAX_DETAIL = 500;

export function rayServiceHealth(
  rayService: RayServiceObject,
  application: string,
): { ready: boolean; message: string } {
  const status = rayService.status;
  const app = status?.activeServiceStatus?.applicationStatuses?.[application];
  const appText = app?.status
    ? `; application ${application} is ${app.status}${app.message ? `: ${app.message}` : ""}`
    : "";
  const ready = status?.conditions?.find((c) => c.type === "Ready");
  if (ready) {
    const why = [ready.reason, ready.message].filter(Boolean).join(": ");
    return {
      ready: ready.status === "True",
      message: clip(`Ready is ${ready.status}${why ? ` (${why})` : ""}${appText}`),
    };
  }
  if (status?.serviceStatus) {
    return {
      ready: status.serviceStatus === "Running",
      message: clip(`serviceStatus is ${status.serviceStatus}${appText}`),
    };
  }
  return { ready: false, message: "it reports no status yet (KubeRay has not reconciled it)" };
}

function clip(text: string): string {
  return text.length <= MAX_DETAIL ? text : `${text.slice(0, MAX_DETAIL - 1)}…`;
}
