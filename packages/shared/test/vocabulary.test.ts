import { describe, expect, it } from "vitest";
import { matchFashionPrompt } from "../src/index.ts";

describe("matchFashionPrompt", () => {
  it.each([
    ["a red dress", "dress"],
    ["Ankle boots, please", "ankle boot"],
    ["a boot", "ankle boot"],
    ["T-Shirt", "t-shirt/top"],
    ["a plain shirt", "shirt"],
    ["blue jeans", "trouser"],
    ["a leather handbag", "bag"],
    ["running shoe", "sneaker"],
    ["ＤＲＥＳＳ", "dress"],
  ])("%s → %s", (prompt, label) => {
    expect(matchFashionPrompt(prompt)).toMatchObject({ ok: true, label });
  });

  it("takes the first item named", () => {
    expect(matchFashionPrompt("a coat over a dress")).toMatchObject({ ok: true, label: "coat" });
  });

  it("lists what it knows when nothing matches", () => {
    const m = matchFashionPrompt("a dressing gownless spaceship");
    expect(m.ok).toBe(false);
    if (!m.ok) expect(m.known).toHaveLength(10);
  });
});
