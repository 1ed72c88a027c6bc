import { describe, expect, it } from "vitest";
import { canonicalJson } from "../src/index.ts";

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it("is independent of insertion order", () => {
    expect(canonicalJson({ x: 1, y: "2", z: [true] })).toBe(canonicalJson({ z: [true], y: "2", x: 1 }));
  });

  it("normalises unicode so composed and decomposed text agree", () => {
    const composed = "caf\u00e9";
    const decomposed = "cafe\u0301";
    expect(composed).not.toBe(decomposed);
    expect(canonicalJson({ p: composed })).toBe(canonicalJson({ p: decomposed }));
  });

  it("keeps non-ASCII text as is, escaping only what JSON requires", () => {
    expect(canonicalJson({ p: 'ünï "q" 👗' })).toBe('{"p":"ünï \\"q\\" 👗"}');
  });

  it("omits undefined fields, so an absent optional equals a missing one", () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it("refuses values JSON cannot represent exactly", () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/finite/);
    expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
  });
});
