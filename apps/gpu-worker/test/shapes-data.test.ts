import { SHAPE_ATTRIBUTES, SHAPES_VOCABULARY, tokenize } from "@ganvas/shared";
import { describe, expect, it } from "vitest";
import { readMnist } from "../src/data/mnist.ts";
import {
  ATTRIBUTE_NAMES,
  COLOR_RGB,
  caption,
  renderShapes,
  SHAPE_IMAGE_SIZE,
  SHAPE_PIXELS,
  type ShapeAttributes,
  shapeBatch,
} from "../src/data/shapes.ts";
import { rng } from "../src/training/random.ts";

const S = SHAPE_IMAGE_SIZE;

describe("procedural captioned shapes", () => {
  const batch = shapeBatch(300, 42);

  it("every caption names exactly the attributes it mentions, by their values", () => {
    for (const s of batch.samples) {
      const tokens = tokenize(SHAPES_VOCABULARY, s.caption).tokens;
      for (const a of ATTRIBUTE_NAMES) {
        const value = SHAPE_ATTRIBUTES[a][s.attributes[a]] as string;
        if (s.mentioned[a]) expect(tokens, s.caption).toContain(value);
      }
      // Unmentioned sizes and positions leave no word behind; colours are checked by binding below.
      for (const a of ["size", "position"] as const) {
        if (!s.mentioned[a]) {
          for (const v of SHAPE_ATTRIBUTES[a]) expect(tokens, s.caption).not.toContain(v);
        }
      }
      if (s.mentioned.background) {
        // The background colour sits right before a background word or right after "on".
        const bg = SHAPE_ATTRIBUTES.background[s.attributes.background] as string;
        const bound = tokens.some(
          (t, i) => t === bg && (tokens[i + 1] === "background" || tokens[i - 1] === "on"),
        );
        expect(bound, s.caption).toBe(true);
      }
    }
  });

  it("paraphrases: one attribute set gets many different captions", () => {
    const next = rng(9);
    const attrs: ShapeAttributes = { shape: 2, color: 0, size: 0, position: 4, background: 4 };
    const captions = new Set(Array.from({ length: 40 }, () => caption(next, attrs)));
    expect(captions.size).toBeGreaterThan(15);
    for (const c of captions) {
      expect(tokenize(SHAPES_VOCABULARY, c).tokens).toEqual(
        expect.arrayContaining(["small", "red", "triangle", "center", "blue"]),
      );
    }
  });

  it("draws what the attributes say: background colour, shape colour, position and size", () => {
    const px = (i: number, x: number, y: number) =>
      Array.from(
        batch.pixels.subarray(i * SHAPE_PIXELS + (y * S + x) * 3, i * SHAPE_PIXELS + (y * S + x) * 3 + 3),
      );
    const near = (a: number[], b: readonly number[], tol = 30) =>
      a.every((v, k) => Math.abs(v - (b[k] ?? 0)) <= tol);
    const areas = { small: [] as number[], large: [] as number[] };
    batch.samples.forEach((s, i) => {
      const bg = COLOR_RGB[SHAPE_ATTRIBUTES.background[s.attributes.background] as string] ?? [0, 0, 0];
      const fg = COLOR_RGB[SHAPE_ATTRIBUTES.color[s.attributes.color] as string] ?? [0, 0, 0];
      const corner = px(i, 0, 0);
      expect(near(corner, bg), `${s.caption}: corner ${corner}`).toBe(true);
      let n = 0;
      let sx = 0;
      let sy = 0;
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++) {
          if (near(px(i, x, y), fg)) {
            n++;
            sx += x;
            sy += y;
          }
        }
      expect(n, s.caption).toBeGreaterThan(20);
      const [cx, cy] = [sx / n - S / 2, sy / n - S / 2];
      const pos = SHAPE_ATTRIBUTES.position[s.attributes.position];
      if (pos === "left") expect(cx).toBeLessThan(-3);
      if (pos === "right") expect(cx).toBeGreaterThan(3);
      if (pos === "top") expect(cy).toBeLessThan(-3);
      if (pos === "bottom") expect(cy).toBeGreaterThan(3);
      if (pos === "center") expect(Math.hypot(cx, cy)).toBeLessThan(3);
      areas[SHAPE_ATTRIBUTES.size[s.attributes.size] as "small" | "large"].push(n);
    });
    expect(Math.max(...areas.small)).toBeLessThan(Math.min(...areas.large));
  });

  it("the same seed draws the same batch, another seed another", () => {
    const again = shapeBatch(300, 42);
    expect(again.pixels).toEqual(batch.pixels);
    expect(again.samples).toEqual(batch.samples);
    expect(shapeBatch(300, 43).pixels).not.toEqual(batch.pixels);
    expect(renderShapes([batch.samples[0]?.attributes as ShapeAttributes], rng(1))).toHaveLength(
      SHAPE_PIXELS,
    );
  });
});

describe("MNIST loader", () => {
  it("reads disjoint train and test splits of 28×28 digits with every class", async () => {
    const [train, test] = await Promise.all([readMnist("train"), readMnist("test")]);
    expect(train.count + test.count).toBe(10_000);
    expect(test.count).toBeGreaterThan(1000);
    expect(train.pixels).toHaveLength(train.count * 784);
    expect(new Set(test.labels).size).toBe(10);
    expect(Math.max(...train.pixels.subarray(0, 784))).toBeGreaterThan(200);
    const limited = await readMnist("train", 100, 2);
    expect(limited.count).toBe(100);
    expect(new Set(limited.labels).size).toBeGreaterThan(5);
  });
});
