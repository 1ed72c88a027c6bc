import { SHAPE_ATTRIBUTES, SHAPES_VOCABULARY, type ShapeAttribute } from "@ganvas/shared";
import { createCanvas, type SKRSContext2D } from "@napi-rs/canvas";
import { rng } from "../training/random.ts";

/**
 * The procedural captioned set: a shape with a colour, size, position and background colour, drawn with
 * @napi-rs/canvas, and a caption made from those attributes. Captions are exact (made from the same
 * attributes the picture is drawn from) and unlimited (every seed gives a new image), so prompts combine
 * attributes ("a small red triangle on a blue background") without a hand-labelled data set.
 */

export const SHAPE_IMAGE_SIZE = 32;
export const SHAPE_CHANNELS = 3;
export const SHAPE_PIXELS = SHAPE_IMAGE_SIZE * SHAPE_IMAGE_SIZE * SHAPE_CHANNELS;

export const ATTRIBUTE_NAMES = Object.keys(SHAPE_ATTRIBUTES) as ShapeAttribute[];

/** Index of each attribute's value in SHAPE_ATTRIBUTES. */
export type ShapeAttributes = Record<ShapeAttribute, number>;

/** Which attributes the caption names; the others were drawn at random and the caption is silent on them. */
export type Mentioned = Record<ShapeAttribute, boolean>;

export interface ShapeSample {
  attributes: ShapeAttributes;
  mentioned: Mentioned;
  caption: string;
}

/** sRGB of each colour; each drawing jitters it a little, so "red" is a family of reds. */
export const COLOR_RGB: Record<string, readonly [number, number, number]> = {
  red: [220, 40, 40],
  orange: [245, 140, 20],
  yellow: [240, 220, 40],
  green: [40, 170, 60],
  blue: [40, 80, 225],
  purple: [140, 50, 190],
  white: [245, 245, 245],
  black: [20, 20, 20],
};

type Next = () => number;

const pick = <T>(next: Next, values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
const between = (next: Next, lo: number, hi: number) => lo + (hi - lo) * next();

function randomAttributes(next: Next): ShapeAttributes {
  const colors = SHAPE_ATTRIBUTES.color.length;
  const color = Math.floor(next() * colors);
  // Never the shape's own colour: an invisible shape has no caption that is true.
  let background = Math.floor(next() * (colors - 1));
  if (background >= color) background++;
  return {
    shape: Math.floor(next() * SHAPE_ATTRIBUTES.shape.length),
    color,
    size: Math.floor(next() * SHAPE_ATTRIBUTES.size.length),
    position: Math.floor(next() * SHAPE_ATTRIBUTES.position.length),
    background,
  };
}

/**
 * How often a training caption names each attribute: shape and colour nearly always, the rest often, so the
 * generator learns prompts that name any subset (unnamed attributes are drawn at random).
 */
export const MENTION_RATE: Record<ShapeAttribute, number> = {
  shape: 0.9,
  color: 0.9,
  size: 0.7,
  position: 0.7,
  background: 0.7,
};

const ALL_MENTIONED: Mentioned = { shape: true, color: true, size: true, position: true, background: true };

/** One of the words that mean `token` (synonyms included), so captions are paraphrased. */
function word(next: Next, token: string): string {
  return pick(next, SHAPES_VOCABULARY.words[token] ?? [token]);
}

function value(attribute: ShapeAttribute, attrs: ShapeAttributes): string {
  return SHAPE_ATTRIBUTES[attribute][attrs[attribute]] as string;
}

/**
 * A caption naming the mentioned attributes, from one of several templates and with synonyms. The colour
 * word always sits next to its noun ("red star", "blue backdrop") or after "on"/"against", which is what
 * lets the encoder's token windows bind a colour to the shape or to the background.
 */
export function caption(next: Next, attrs: ShapeAttributes, mentioned: Mentioned = ALL_MENTIONED): string {
  const size = mentioned.size ? word(next, value("size", attrs)) : "";
  const color = mentioned.color ? word(next, value("color", attrs)) : "";
  const noun = mentioned.shape ? word(next, value("shape", attrs)) : "shape";
  const np = [size, color, noun].filter(Boolean).join(" ");
  const pos = value("position", attrs);
  const where = !mentioned.position
    ? ""
    : pos === "center"
      ? pick(next, ["in the {w}", "{w}", "at the {w}"]).replace("{w}", word(next, pos))
      : pick(next, ["on the {w}", "at the {w}", "to the {w}", "{w} side", "in the {w}"]).replace(
          "{w}",
          word(next, pos),
        );
  const bgColor = mentioned.background ? word(next, value("background", attrs)) : "";
  const bgWord = word(next, "background");
  const bgOn = !bgColor
    ? ""
    : pick(next, [`on a ${bgColor} ${bgWord}`, `on ${bgColor}`, `against a ${bgColor} ${bgWord}`]);
  const templates = [
    () => [`a ${np}`, where, bgOn],
    () => [`a ${np}`, bgOn, where],
    () => [bgColor ? `a ${bgColor} ${bgWord} with a ${np}` : `a ${np}`, where],
    () => [[color, noun].filter(Boolean).join(" "), size, bgColor ? `${bgColor} ${bgWord}` : "", where],
    () => [where, `${np}`, bgOn],
  ];
  const parts = pick(next, templates)().filter(Boolean);
  // The comma-separated template reads as a list; the others as a phrase.
  return parts.join(parts.length > 2 && next() < 0.3 ? ", " : " ").trim();
}

/** Attributes, the ones the caption names, and the caption, all from `next`. */
export function sampleShape(next: Next, mention: "all" | "some" = "some"): ShapeSample {
  const attributes = randomAttributes(next);
  const mentioned =
    mention === "all"
      ? ALL_MENTIONED
      : (Object.fromEntries(ATTRIBUTE_NAMES.map((a) => [a, next() < MENTION_RATE[a]])) as Mentioned);
  return { attributes, mentioned, caption: caption(next, attributes, mentioned) };
}

function polygon(ctx: SKRSContext2D, points: readonly (readonly [number, number])[]): void {
  ctx.beginPath();
  for (const [i, [x, y]] of points.entries()) i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y);
  ctx.closePath();
  ctx.fill();
}

/** Traces the shape of radius `r` around the origin (the caller has translated and rotated). */
function traceShape(ctx: SKRSContext2D, shape: string, r: number): void {
  switch (shape) {
    case "circle":
      ctx.beginPath();
      ctx.arc(0, 0, r, 0, 2 * Math.PI);
      ctx.fill();
      return;
    case "square": {
      const h = r * 0.85;
      ctx.fillRect(-h, -h, 2 * h, 2 * h);
      return;
    }
    case "triangle": {
      const R = r * 1.15;
      const pts = [0, 1, 2].map((k) => {
        const a = -Math.PI / 2 + (k * 2 * Math.PI) / 3;
        return [R * Math.cos(a), R * Math.sin(a) + r * 0.15] as const;
      });
      polygon(ctx, pts);
      return;
    }
    case "star": {
      const pts = Array.from({ length: 10 }, (_, k) => {
        const a = -Math.PI / 2 + (k * Math.PI) / 5;
        const R = k % 2 === 0 ? r * 1.15 : r * 0.48;
        return [R * Math.cos(a), R * Math.sin(a) + r * 0.08] as const;
      });
      polygon(ctx, pts);
      return;
    }
    case "heart": {
      const s = r / 10;
      ctx.beginPath();
      ctx.moveTo(0, 9 * s);
      ctx.bezierCurveTo(-13 * s, 0, -10 * s, -11 * s, 0, -5 * s);
      ctx.bezierCurveTo(10 * s, -11 * s, 13 * s, 0, 0, 9 * s);
      ctx.closePath();
      ctx.fill();
      return;
    }
    case "cross": {
      const t = r * 0.36;
      ctx.fillRect(-r, -t, 2 * r, 2 * t);
      ctx.fillRect(-t, -r, 2 * t, 2 * r);
      return;
    }
    default:
      throw new Error(`No drawing for shape "${shape}".`);
  }
}

const clampByte = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

function jittered(next: Next, name: string, amount = 18): string {
  const [r, g, b] = COLOR_RGB[name] ?? [128, 128, 128];
  const j = () => between(next, -amount, amount);
  return `rgb(${clampByte(r + j())}, ${clampByte(g + j())}, ${clampByte(b + j())})`;
}

/** Radius by size and the centre by position, so "left" stays in the left part whatever the size. */
function placement(attrs: ShapeAttributes, next: Next): { x: number; y: number; r: number } {
  const S = SHAPE_IMAGE_SIZE;
  const r = value("size", attrs) === "small" ? between(next, 4.6, 5.6) : between(next, 8.6, 9.8);
  // Large shapes may touch the edge a little: that keeps "top" well away from "center" at 32 px.
  const near = 0.8 * r + 1;
  const far = S - near;
  const mid = S / 2;
  const jitter = () => between(next, -1, 1);
  const centers: Record<string, readonly [number, number]> = {
    left: [near, mid],
    right: [far, mid],
    top: [mid, near],
    bottom: [mid, far],
    center: [mid, mid],
  };
  const [x, y] = centers[value("position", attrs)] ?? [mid, mid];
  return { x: x + jitter(), y: y + jitter(), r };
}

/**
 * Draws one sample into `ctx` (SHAPE_IMAGE_SIZE square): background, then the shape, slightly rotated and
 * jittered in place, size and colour, so a prompt has many true pictures.
 */
function draw(ctx: SKRSContext2D, attrs: ShapeAttributes, next: Next): void {
  const S = SHAPE_IMAGE_SIZE;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = jittered(next, value("background", attrs));
  ctx.fillRect(0, 0, S, S);
  const { x, y, r } = placement(attrs, next);
  ctx.translate(x, y);
  ctx.rotate(between(next, -0.2, 0.2));
  ctx.fillStyle = jittered(next, value("color", attrs));
  traceShape(ctx, value("shape", attrs), r);
}

export interface ShapeBatch {
  /** count × 32 × 32 × 3 bytes, channels-last. */
  pixels: Uint8Array;
  samples: ShapeSample[];
  count: number;
}

/**
 * Renders images for the given attributes (one each); `next` drives the jitter. Reuses one canvas: a
 * 32×32 drawing is tens of microseconds, so batches are drawn on the fly rather than stored.
 */
export function renderShapes(attributes: readonly ShapeAttributes[], next: Next): Uint8Array {
  const S = SHAPE_IMAGE_SIZE;
  const canvas = createCanvas(S, S);
  const ctx = canvas.getContext("2d");
  const out = new Uint8Array(attributes.length * SHAPE_PIXELS);
  for (const [i, attrs] of attributes.entries()) {
    draw(ctx, attrs, next);
    const rgba = ctx.getImageData(0, 0, S, S).data;
    for (let p = 0, o = i * SHAPE_PIXELS; p < S * S; p++) {
      out[o++] = rgba[4 * p] as number;
      out[o++] = rgba[4 * p + 1] as number;
      out[o++] = rgba[4 * p + 2] as number;
    }
  }
  return out;
}

/**
 * `count` captioned images from `seed`: the same seed always gives the same batch, so a training run is
 * reproducible and a resumed run draws what the uninterrupted one would have.
 */
export function shapeBatch(count: number, seed: number, mention: "all" | "some" = "some"): ShapeBatch {
  const next = rng(seed);
  const samples = Array.from({ length: count }, () => sampleShape(next, mention));
  return {
    pixels: renderShapes(
      samples.map((s) => s.attributes),
      next,
    ),
    samples,
    count,
  };
}
