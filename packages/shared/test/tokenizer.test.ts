import { describe, expect, it } from "vitest";
import {
  checkPrompt,
  RequestFieldError,
  SHAPES_VOCABULARY,
  textToImageSpec,
  tokenize,
  tokenRows,
  tokenVocabularyFor,
} from "../src/index.ts";

const V = SHAPES_VOCABULARY;

describe("tokenize (shapes vocabulary)", () => {
  it("maps synonyms to one token and keeps word order", () => {
    expect(tokenize(V, "A crimson disc on a navy backdrop").tokens).toEqual([
      "red",
      "circle",
      "on",
      "blue",
      "background",
    ]);
    expect(tokenize(V, "a scarlet circle").ids).toEqual(tokenize(V, "red ball").ids);
  });

  it("drops unknown words, reads full-width and upper-case letters, splits on punctuation", () => {
    const t = tokenize(V, "Please, draw me a ＢＩＧ (purple) star!!");
    expect(t.tokens).toEqual(["large", "purple", "star"]);
    expect(t.dropped).toEqual(["please", "draw", "me", "a"]);
  });

  it("cuts at maxTokens", () => {
    const t = tokenize(V, Array.from({ length: 20 }, () => "red").join(" "));
    expect(t.ids).toHaveLength(V.maxTokens);
  });

  it("token rows are one-hot per position, padding rows zero", () => {
    const { ids } = tokenize(V, "small red star");
    const rows = tokenRows(V, ids);
    const width = V.tokens.length;
    expect(rows).toHaveLength(V.maxTokens * width);
    ids.forEach((id, pos) => {
      expect(rows[pos * width + id]).toBe(1);
      expect(rows.subarray(pos * width, (pos + 1) * width).reduce((a, b) => a + b, 0)).toBe(1);
    });
    expect(rows.subarray(ids.length * width).every((v) => v === 0)).toBe(true);
  });

  it("every word of the vocabulary reaches a canonical token, and padding is never produced", () => {
    for (const [token, words] of Object.entries(V.words)) {
      for (const w of words) expect(tokenize(V, w).tokens).toEqual([token]);
    }
    expect(tokenize(V, "<pad> pad").ids).toEqual([]);
  });
});

describe("checkPrompt per model", () => {
  it("a token model refuses a prompt with no known word and lists what it understands", () => {
    const r = checkPrompt("shapes-tcgan", "a spaceship over the moon");
    expect(r.ok).toBe(true); // "over" is a known word (on)
    const none = checkPrompt("shapes-tcgan", "a spaceship near a moon");
    expect(none.ok).toBe(false);
    if (!none.ok) {
      expect(none.known).toEqual(expect.arrayContaining(["triangle", "red", "small", "left"]));
      expect(none.message).toContain("shape: circle, square, triangle");
    }
  });

  it("a class model keeps its class matching", () => {
    expect(checkPrompt("fashion-cdcgan", "a red dress")).toEqual({ ok: true });
    const r = checkPrompt("fashion-cdcgan", "a red triangle");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.known).toContain("sneaker");
    expect(checkPrompt("digits-cdcgan", "a seven")).toEqual({ ok: true });
    const digits = checkPrompt("digits-cdcgan", "a dress");
    expect(digits.ok).toBe(false);
    if (!digits.ok) expect(digits.message).toContain("0, 1, 2");
    expect(checkPrompt("no-such-model", "a dress").ok).toBe(false);
    expect(tokenVocabularyFor("fashion-cdcgan")).toBeUndefined();
    expect(tokenVocabularyFor("toString")).toBeUndefined();
  });
});

describe("textToImageSpec", () => {
  it("accepts a shapes prompt for shapes-tcgan and keeps the prompt as written", async () => {
    const spec = await textToImageSpec({
      prompt: "a small red triangle on blue",
      n: 2,
      model: "shapes-tcgan",
    });
    expect(spec).toMatchObject({
      task: "text-to-image",
      model: "shapes-tcgan@7",
      params: { prompt: "a small red triangle on blue", n: 2 },
    });
    expect(typeof spec.params.seed).toBe("number");
  });

  it("refuses a prompt the chosen model cannot read, naming the field and the words it knows", async () => {
    const err = await textToImageSpec({ prompt: "a pair of sneakers", n: 1, model: "shapes-tcgan" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RequestFieldError);
    expect(err).toMatchObject({ path: "prompt", allowed: expect.arrayContaining(["star", "purple"]) });
    // The default model is still the class model (its newest version), with its own vocabulary.
    await expect(textToImageSpec({ prompt: "a star", n: 1 })).rejects.toMatchObject({
      path: "prompt",
      message: expect.stringContaining("sneaker"),
    });
    await expect(textToImageSpec({ prompt: "a pair of sneakers", n: 1 })).resolves.toMatchObject({
      model: "fashion-cdcgan@3",
    });
  });
});
