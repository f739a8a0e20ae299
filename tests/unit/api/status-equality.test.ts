import { describe, expect, it } from "vitest";
import { statusEquals } from "../../../src/api/status-equality.ts";

const ready = (reason: string) => ({
  type: "Ready",
  status: "False",
  reason,
  observedGeneration: 1,
});

describe("statusEquals", () => {
  it.each([
    { name: "both absent", a: undefined, b: undefined, want: true },
    { name: "absent and empty", a: undefined, b: {}, want: true },
    {
      name: "key order does not count",
      a: { phase: "Running", jobId: "j" },
      b: { jobId: "j", phase: "Running" },
      want: true,
    },
    {
      name: "an undefined field is no field",
      a: { phase: "Running", result: undefined },
      b: { phase: "Running" },
      want: true,
    },
    { name: "a different value", a: { phase: "Running" }, b: { phase: "Pending" }, want: false },
    {
      name: "an extra field",
      a: { phase: "Running" },
      b: { phase: "Running", jobId: "j" },
      want: false,
    },
    {
      name: "conditions in the same order",
      a: { conditions: [ready("A"), ready("B")] },
      b: { conditions: [ready("A"), ready("B")] },
      want: true,
    },
    {
      name: "conditions in another order",
      a: { conditions: [ready("A"), ready("B")] },
      b: { conditions: [ready("B"), ready("A")] },
      want: false,
    },
    { name: "an array against an object", a: { x: [] }, b: { x: {} }, want: false },
    { name: "a number against its text", a: { paths: 1000 }, b: { paths: "1000" }, want: false },
    { name: "null against absent", a: { x: null }, b: {}, want: false },
  ])("$name: $want", ({ a, b, want }) => {
    expect(statusEquals(a, b)).toBe(want);
    expect(statusEquals(b, a)).toBe(want);
  });
});
