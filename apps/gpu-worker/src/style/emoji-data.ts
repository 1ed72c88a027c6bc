import { createHash } from "node:crypto";
import { access, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createCanvas, GlobalFonts } from "@napi-rs/canvas";
import sharp from "sharp";
import type { FloatImage } from "./photo-data.ts";

/**
 * The paired emoji style: the same emoji drawn by two type foundries. Inputs are Twemoji's 64×64 PNGs
 * (npm emoji-datasource-twitter), targets the glyphs of Noto Color Emoji (Debian fonts-noto-color-emoji)
 * drawn at the same size with @napi-rs/canvas, matched by code point sequence. Both are flattened onto
 * white, since the generator contract is RGB.
 */

/** Rendered pairs are cached here (gitignored), so a training run starts in a second. */
export const EMOJI_DATA_DIR = join(".ganvas", "data", "emoji");

export const NOTO_EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";

export const EMOJI_SIZE = 64;

/**
 * About one emoji in ten is held out, chosen by a hash of its code points: the split does not depend on
 * the order of emoji.json and stays put when a newer package adds emoji.
 */
export const HELD_OUT_PER_256 = 26;

/** Bump when the rendering changes, so stale caches are rebuilt rather than trained on. */
const RENDER_VERSION = 2;

export interface EmojiPair {
  /** Code points, dash-separated hex as in emoji.json ("1F600", "2764-FE0F"). */
  readonly unified: string;
  readonly name: string;
  /** Twemoji, [-1, 1] RGB on white. */
  readonly input: FloatImage;
  /**
   * The same Twemoji with its alpha dropped rather than flattened: what a decoder that ignores alpha makes of
   * the PNG (transparent pixels black, edges at full colour). Trained on too, so an upload with alpha is
   * redrawn the same whichever way it was decoded.
   */
  readonly inputStripped: FloatImage;
  /** Noto Color Emoji, [-1, 1] RGB on white. */
  readonly target: FloatImage;
}

export interface EmojiData {
  readonly train: readonly EmojiPair[];
  readonly heldOut: readonly EmojiPair[];
}

export interface EmojiLoadOptions {
  /** Cache folder; default EMOJI_DATA_DIR. */
  cacheDir?: string;
  /** Use only the first N pairs of each split (tests, quick runs); the split itself does not change. */
  limit?: number;
}

interface EmojiEntry {
  name: string | null;
  short_name: string;
  unified: string;
  image: string;
  has_img_twitter: boolean;
  sort_order: number;
}

interface CacheIndex {
  version: number;
  font: string;
  pairs: { unified: string; name: string }[];
}

export function isHeldOut(unified: string): boolean {
  const byte = createHash("sha256").update(unified.toUpperCase()).digest()[0] ?? 0;
  return byte < HELD_OUT_PER_256;
}

function twemojiDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("emoji-datasource-twitter/emoji.json")), "img", "twitter", "64");
}

async function twemojiEntries(): Promise<EmojiEntry[]> {
  const require = createRequire(import.meta.url);
  const path = require.resolve("emoji-datasource-twitter/emoji.json");
  const entries = JSON.parse(await readFile(path, "utf8")) as EmojiEntry[];
  return entries.filter((e) => e.has_img_twitter).sort((a, b) => a.sort_order - b.sort_order);
}

function codePointsOf(unified: string): string {
  return String.fromCodePoint(...unified.split("-").map((h) => Number.parseInt(h, 16)));
}

/** RGBA bytes flattened onto white, to 8-bit RGB. */
function flattenOnWhite(rgba: Uint8Array | Uint8ClampedArray, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const a = (rgba[i * 4 + 3] ?? 0) / 255;
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round((rgba[i * 4 + c] ?? 0) * a + 255 * (1 - a));
  }
  return rgb;
}

/** The Twemoji flattened onto white, and with its alpha dropped (see EmojiPair.inputStripped). */
async function decodeTwemoji(path: string, size: number): Promise<[Uint8Array, Uint8Array]> {
  const { data, info } = await sharp(path)
    .resize(size, size, { fit: "contain", background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixels = info.width * info.height;
  const stripped = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) stripped.set(data.subarray(i * 4, i * 4 + 3), i * 3);
  return [flattenOnWhite(data, pixels), stripped];
}

/**
 * A Noto glyph drawn to fill the square as Twemoji's images do: Noto's bitmaps are all the same box, so one
 * font size and baseline place every glyph. Undefined when the font lacks the sequence: then the text
 * shaper falls back to several glyphs (wider than one), or draws nothing.
 */
class NotoRenderer {
  private readonly canvas;
  private readonly ctx;
  private readonly fontSize: number;
  private readonly advance: number;
  private readonly baseline: number;

  constructor(readonly size: number) {
    if (!GlobalFonts.has("Noto Color Emoji"))
      GlobalFonts.registerFromPath(NOTO_EMOJI_FONT, "Noto Color Emoji");
    this.canvas = createCanvas(size * 3, size);
    this.ctx = this.canvas.getContext("2d");
    // Measure one glyph at a reference size, then scale so its advance (the bitmap's width) fills the square.
    const ref = 100;
    this.ctx.font = `${ref}px 'Noto Color Emoji'`;
    const m = this.ctx.measureText("\u{1F600}");
    this.fontSize = (ref * size) / m.width;
    const k = this.fontSize / ref;
    this.advance = m.width * k;
    // Centre the glyph's box vertically.
    this.baseline = size / 2 + ((m.actualBoundingBoxAscent - m.actualBoundingBoxDescent) * k) / 2;
  }

  render(text: string): Uint8Array | undefined {
    const { ctx, size } = this;
    ctx.font = `${this.fontSize}px 'Noto Color Emoji'`;
    if (Math.abs(ctx.measureText(text).width - this.advance) > 0.5) return undefined;
    ctx.clearRect(0, 0, size * 3, size);
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    ctx.fillText(text, (size - this.advance) / 2, this.baseline);
    const rgba = ctx.getImageData(0, 0, size, size).data;
    let covered = 0;
    for (let i = 3; i < rgba.length; i += 4) if ((rgba[i] ?? 0) > 32) covered++;
    // A missing glyph draws nothing (or a hairline box): a real emoji covers a good part of the square.
    if (covered < (size * size) / 20) return undefined;
    return flattenOnWhite(rgba, size * size);
  }
}

function toFloat(bytes: Uint8Array, name: string, size: number): FloatImage {
  const data = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = (bytes[i] ?? 0) / 127.5 - 1;
  return { name, width: size, height: size, data };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function fontStamp(): Promise<string> {
  const bytes = await readFile(NOTO_EMOJI_FONT).catch(() => {
    throw new Error(
      `${NOTO_EMOJI_FONT} is missing: install Debian's fonts-noto-color-emoji (infra/setup/system-packages.sh).`,
    );
  });
  return createHash("sha256").update(bytes).digest("hex").slice(0, 16);
}

/** Renders every pair both sources have and writes the cache: one index JSON, one RGB byte file (3 images a pair). */
async function buildCache(dir: string, size: number, font: string): Promise<void> {
  const entries = await twemojiEntries();
  const noto = new NotoRenderer(size);
  const images = twemojiDir();
  const pairs: CacheIndex["pairs"] = [];
  const chunks: Uint8Array[] = [];
  for (const e of entries) {
    const target = noto.render(codePointsOf(e.unified));
    if (target === undefined) continue;
    const [input, stripped] = await decodeTwemoji(join(images, e.image), size);
    pairs.push({ unified: e.unified, name: (e.name ?? e.short_name).toLowerCase() });
    chunks.push(input, target, stripped);
  }
  await mkdir(dir, { recursive: true });
  const bin = join(dir, `pairs-${size}.bin`);
  const index: CacheIndex = { version: RENDER_VERSION, font, pairs };
  await writeFile(`${bin}.tmp`, Buffer.concat(chunks));
  await rename(`${bin}.tmp`, bin);
  await writeFile(join(dir, `pairs-${size}.json`), `${JSON.stringify(index)}\n`);
}

async function readIndex(path: string): Promise<CacheIndex | undefined> {
  if (!(await exists(path))) return undefined;
  return JSON.parse(await readFile(path, "utf8")) as CacheIndex;
}

/**
 * Twemoji → Noto pairs at 64×64, split into train and held out. The first call renders ~1,800 pairs (tens of
 * seconds) and caches them; later calls read the cache, which is rebuilt if the font or renderer changed.
 */
export async function loadEmojiPairs(options: EmojiLoadOptions = {}): Promise<EmojiData> {
  const dir = options.cacheDir ?? EMOJI_DATA_DIR;
  const size = EMOJI_SIZE;
  const font = await fontStamp();
  const indexPath = join(dir, `pairs-${size}.json`);
  let index = await readIndex(indexPath);
  if (index?.version !== RENDER_VERSION || index.font !== font) {
    await buildCache(dir, size, font);
    index = (await readIndex(indexPath)) as CacheIndex;
  }
  const bytes = await readFile(join(dir, `pairs-${size}.bin`));
  const per = size * size * 3;
  const train: EmojiPair[] = [];
  const heldOut: EmojiPair[] = [];
  index.pairs.forEach(({ unified, name }, i) => {
    const split = isHeldOut(unified) ? heldOut : train;
    if (options.limit !== undefined && split.length >= options.limit) return;
    const at = i * 3 * per;
    split.push({
      unified,
      name,
      input: toFloat(bytes.subarray(at, at + per), `twemoji ${unified}`, size),
      target: toFloat(bytes.subarray(at + per, at + 2 * per), `noto ${unified}`, size),
      inputStripped: toFloat(
        bytes.subarray(at + 2 * per, at + 3 * per),
        `twemoji ${unified} (alpha dropped)`,
        size,
      ),
    });
  });
  return { train, heldOut };
}
