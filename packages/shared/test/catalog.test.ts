import { describe, expect, it } from "vitest";
import { CATALOG, modelRef, resolveModel, shippedModel } from "../src/catalog.ts";

describe("catalog", () => {
  it("resolves a bare name to its newest version and name@version exactly", () => {
    const versions = CATALOG.filter((m) => m.name === "fashion-cdcgan").map((m) => m.version);
    expect(versions.length).toBeGreaterThan(1);
    const newest = resolveModel("text-to-image", "fashion-cdcgan");
    expect(newest?.version).toBe(Math.max(...versions));
    for (const v of versions) {
      expect(resolveModel("text-to-image", `fashion-cdcgan@${v}`)?.version).toBe(v);
    }
    expect(resolveModel("text-to-image", "fashion-cdcgan@99")).toBeUndefined();
    expect(resolveModel("style-transfer", "fashion-cdcgan")).toBeUndefined();
    // What scripts and defaults call "the shipped version": the same newest entry, or a clear error.
    expect(shippedModel("text-to-image", "fashion-cdcgan")).toBe(newest);
    expect(() => shippedModel("style-transfer", "fashion-cdcgan")).toThrow(/no style-transfer model named/);
  });

  it("names every entry once", () => {
    const refs = CATALOG.map((m) => `${m.task}/${modelRef(m)}`);
    expect(new Set(refs).size).toBe(refs.length);
  });
});
