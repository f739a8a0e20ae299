import { describe, expect, it } from "vitest";
import {
  afterLine,
  applySplices,
  columnOf,
  lineStart,
  type TextSplice,
} from "../../../src/controllers/platform/text-splice.ts";

describe("applySplices", () => {
  it.each<{ name: string; source: string; splices: TextSplice[]; out: string }>([
    { name: "nothing", source: "abc", splices: [], out: "abc" },
    {
      name: "a replacement",
      source: "a: 1\n",
      splices: [{ start: 3, end: 4, text: "22" }],
      out: "a: 22\n",
    },
    {
      name: "unordered splices",
      source: "0123456789",
      splices: [
        { start: 8, end: 9, text: "X" },
        { start: 1, end: 2, text: "Y" },
      ],
      out: "0Y234567X9",
    },
    {
      name: "an insertion where a deletion starts goes first",
      source: "a\nb\nc\n",
      splices: [
        { start: 2, end: 4, text: "" },
        { start: 2, end: 2, text: "new\n" },
      ],
      out: "a\nnew\nc\n",
    },
    {
      name: "insertions at one offset keep their order",
      source: "ab",
      splices: [
        { start: 1, end: 1, text: "1" },
        { start: 1, end: 1, text: "2" },
      ],
      out: "a12b",
    },
  ])("$name", ({ source, splices, out }) => {
    expect(applySplices(source, splices)).toBe(out);
  });

  it("refuses overlapping splices", () => {
    expect(() =>
      applySplices("abcdef", [
        { start: 1, end: 4, text: "" },
        { start: 2, end: 3, text: "x" },
      ]),
    ).toThrow(/overlapping/);
  });
});

describe("line helpers", () => {
  const text = "ab\n  cd\nef";
  it.each([
    { name: "lineStart of the first line", fn: () => lineStart(text, 1), out: 0 },
    { name: "lineStart of an indented line", fn: () => lineStart(text, 6), out: 3 },
    { name: "afterLine inside a line", fn: () => afterLine(text, 4), out: 8 },
    { name: "afterLine right after a newline", fn: () => afterLine(text, 3), out: 3 },
    { name: "afterLine on the last line", fn: () => afterLine(text, 9), out: 10 },
    { name: "columnOf", fn: () => columnOf(text, 5), out: 2 },
  ])("$name", ({ fn, out }) => {
    expect(fn()).toBe(out);
  });
});
