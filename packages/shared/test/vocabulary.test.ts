import { describe, expect, it } from "vitest";
import { DIGIT_CLASSES, FASHION_CLASSES, matchClassPrompt } from "../src/index.ts";

const matchFashionPrompt = (prompt: string) => matchClassPrompt(FASHION_CLASSES, prompt);

describe("matchClassPrompt with the Fashion-MNIST classes", () => {
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

describe("matchClassPrompt with the digits", () => {
  it.each([
    ["a handwritten 7", "7"],
    ["Seven", "7"],
    ["the number zero", "0"],
    ["draw a 3, not an eight", "3"],
    ["９", "9"],
  ])("%s → %s", (prompt, label) => {
    expect(matchClassPrompt(DIGIT_CLASSES, prompt)).toMatchObject({ ok: true, label });
  });

  it("reads whole words only", () => {
    expect(matchClassPrompt(DIGIT_CLASSES, "someone at 1975").ok).toBe(false);
    expect(matchClassPrompt(DIGIT_CLASSES, "someone at 1975")).toMatchObject({
      known: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    });
  });
});
