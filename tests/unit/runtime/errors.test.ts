import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  errorReason,
  isTerminal,
  normalizeError,
  TerminalError,
  TransientError,
} from "../../../src/runtime/errors.ts";

function api(code: number, body: unknown = {}) {
  return new ApiException(code, "Unsuccessful HTTP Request", body, {});
}

function network(code: string) {
  // undici: TypeError("fetch failed") whose cause carries the errno code.
  return new TypeError("fetch failed", {
    cause: Object.assign(new Error(`connect ${code} 127.0.0.1:6443`), { code }),
  });
}

describe("normalizeError", () => {
  it.each([
    {
      name: "our transient error",
      err: new TransientError("RayUnavailable", "x"),
      reason: "RayUnavailable",
      terminal: false,
    },
    {
      name: "our terminal error",
      err: new TerminalError("InvalidSpec", "x"),
      reason: "InvalidSpec",
      terminal: true,
    },
    { name: "409 conflict", err: api(409), reason: "Conflict", terminal: false },
    {
      name: "409 with Status reason AlreadyExists",
      err: api(409, { reason: "AlreadyExists" }),
      reason: "AlreadyExists",
      terminal: false,
    },
    { name: "404", err: api(404), reason: "NotFound", terminal: false },
    { name: "429", err: api(429), reason: "TooManyRequests", terminal: false },
    { name: "500", err: api(500), reason: "InternalError", terminal: false },
    { name: "503", err: api(503), reason: "ServiceUnavailable", terminal: false },
    { name: "403 (RBAC may be fixed)", err: api(403), reason: "Forbidden", terminal: false },
    {
      name: "422 invalid object",
      err: api(422, { reason: "Invalid", message: "spec.x: Invalid value" }),
      reason: "Invalid",
      terminal: true,
    },
    { name: "400 bad request", err: api(400), reason: "BadRequest", terminal: true },
    {
      name: "Status body as JSON text",
      err: api(409, JSON.stringify({ reason: "Conflict" })),
      reason: "Conflict",
      terminal: false,
    },
    {
      name: "Watch error with statusCode",
      err: Object.assign(new Error("Gone"), { statusCode: 410 }),
      reason: "Expired",
      terminal: false,
    },
    {
      name: "connection refused",
      err: network("ECONNREFUSED"),
      reason: "ApiServerUnavailable",
      terminal: false,
    },
    {
      name: "connection reset",
      err: network("ECONNRESET"),
      reason: "ApiServerUnavailable",
      terminal: false,
    },
    {
      name: "timeout",
      err: new DOMException("timed out", "TimeoutError"),
      reason: "Timeout",
      terminal: false,
    },
    { name: "unknown error", err: new Error("boom"), reason: "ReconcileError", terminal: false },
    { name: "a thrown string", err: "boom", reason: "ReconcileError", terminal: false },
  ])("$name → $reason", ({ err, reason, terminal }) => {
    expect(errorReason(err)).toBe(reason);
    expect(isTerminal(err)).toBe(terminal);
  });

  it("keeps the original as the cause and the Status message as the message", () => {
    const original = api(422, { reason: "Invalid", message: "spec.paths: must be <= 100000" });
    const n = normalizeError(original);
    expect(n).toBeInstanceOf(TerminalError);
    expect(n.message).toBe("spec.paths: must be <= 100000");
    expect(n.cause).toBe(original);
  });

  it("ignores a Status reason that is not a CamelCase word", () => {
    expect(errorReason(api(500, { reason: "not a reason" }))).toBe("InternalError");
  });
});
