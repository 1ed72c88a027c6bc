import { describe, expect, it } from "vitest";
import { EMOJI_SIZE, isHeldOut, loadEmojiPairs } from "../src/style/emoji-data.ts";

/** Mean |a − b| over a pair's pixels, in 8-bit levels. */
function meanAbs(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return (s / a.length) * 127.5;
}

describe("Twemoji → Noto Color Emoji pairs", () => {
  it("pairs most of the emoji by code point and holds about a tenth out, never trained on", async () => {
    const { train, heldOut } = await loadEmojiPairs();
    expect(train.length + heldOut.length).toBeGreaterThan(1500);
    const share = heldOut.length / (train.length + heldOut.length);
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.14);
    const trained = new Set(train.map((p) => p.unified));
    expect(heldOut.some((p) => trained.has(p.unified))).toBe(false);
    expect(heldOut.every((p) => isHeldOut(p.unified)) && train.every((p) => !isHeldOut(p.unified))).toBe(
      true,
    );
    // The split is a property of the code points: "thinking face" is held out, "grinning face" is not.
    expect([isHeldOut("1F914"), isHeldOut("1F600")]).toEqual([true, false]);
  });

  it("gives 64×64 RGB in [-1, 1] on white, the two drawings alike but not the same", async () => {
    const { train } = await loadEmojiPairs({ limit: 50 });
    expect(train).toHaveLength(50);
    const grinning = train.find((p) => p.unified === "1F600");
    expect(grinning?.name).toBe("grinning face");
    for (const p of train) {
      for (const img of [p.input, p.target]) {
        expect([img.width, img.height, img.data.length]).toEqual([
          EMOJI_SIZE,
          EMOJI_SIZE,
          EMOJI_SIZE * EMOJI_SIZE * 3,
        ]);
        expect(Math.min(...img.data)).toBeGreaterThanOrEqual(-1);
        expect(Math.max(...img.data)).toBeLessThanOrEqual(1);
        // The corner is background: white after flattening.
        expect(img.data[0]).toBe(1);
      }
      // With the alpha dropped instead, the background is what the PNG stores under it: black.
      expect(p.inputStripped.data[0]).toBe(-1);
    }
    // Same emoji, different foundry: closer to its own Noto glyph than to another emoji's (spread over the
    // whole set, faces to flags).
    const all = (await loadEmojiPairs()).train;
    const spread = all.filter((_, i) => i % 30 === 0);
    const own = spread.map((p) => meanAbs(p.input.data, p.target.data));
    const other = spread.map((p, i) =>
      meanAbs(p.input.data, spread[(i + 7) % spread.length]?.target.data as Float32Array),
    );
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(own)).toBeGreaterThan(5);
    expect(mean(own)).toBeLessThan(0.8 * mean(other));
  });
});
