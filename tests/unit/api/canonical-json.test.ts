import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../../../src/api/canonical-json.ts";

// Rows store sha256(canonicalJson(request)) to find reusable results: these
// texts and this hash were produced by the first implementation, and must
// stay byte-identical, or every stored result stops being reused.
describe("canonicalJson", () => {
  it("sorts keys at every depth, drops undefined fields and writes no whitespace", () => {
    const value = {
      z: 1,
      a: [3, { y: null, b: "é", x: undefined }, [], {}],
      B: true,
      ä: -0.5,
      n: { deep: { k: [1e21, 1.5e-7] } },
      u: undefined,
    };
    expect(canonicalJson(value)).toBe(
      '{"B":true,"a":[3,{"b":"é","y":null},[],{}],"n":{"deep":{"k":[1e+21,1.5e-7]}},"z":1,"ä":-0.5}',
    );
  });

  it("gives the same text whatever order the fields were written in", () => {
    const one = { rules: { maxLoss: { mode: "Static", amount: 1 } }, paths: 10 };
    const two = { paths: 10, rules: { maxLoss: { amount: 1, mode: "Static" } } };
    expect(canonicalJson(one)).toBe(canonicalJson(two));
  });

  it("writes scalars and an undefined array element as the first implementation did", () => {
    expect(canonicalJson('a"b')).toBe('"a\\"b"');
    expect(canonicalJson(null)).toBe("null");
    expect(canonicalJson([1, undefined, 2])).toBe("[1,,2]");
  });

  it("keeps the request hash of a stored row", () => {
    const request = {
      mode: "assessment",
      account: { initialBalance: 100000 },
      rules: { profitTarget: 10000, maxLoss: { amount: 10000, mode: "Static" } },
      trader: { history: { pnl: [120.5, -80, 40.25] } },
      simulation: { paths: 1000, confidenceLevel: 0.95 },
      seed: 42,
      engineVersion: "1.0.0",
    };
    expect(sha256Hex(canonicalJson(request))).toBe(
      "02376d38e431a8ae26a0bebb96b536b84bc179fcd29440613148a6d334554e66",
    );
  });
});
