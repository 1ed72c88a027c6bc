import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

/** Where Debian's dataset-fashion-mnist package installs the IDX files. */
export const DEFAULT_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

export function fashionMnistDir(): string {
  return process.env.GANVAS_FASHION_MNIST_DIR || DEFAULT_FASHION_MNIST_DIR;
}

export type Split = "train" | "t10k";

const IMAGES_MAGIC = 0x803;
const LABELS_MAGIC = 0x801;

async function readIdx(path: string, magic: number): Promise<{ dims: number[]; data: Uint8Array }> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (err) {
    throw new Error(
      `Cannot read ${path}: install Debian's dataset-fashion-mnist or set GANVAS_FASHION_MNIST_DIR to a folder with the IDX .gz files.`,
      { cause: err },
    );
  }
  const buf = path.endsWith(".gz") ? gunzipSync(raw) : raw;
  const found = buf.readUInt32BE(0);
  if (found !== magic)
    throw new Error(`${path} is not an IDX file of the expected kind (magic ${found.toString(16)}).`);
  const rank = found & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * rank;
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, buf.length - offset) };
}

/** Reads raw bytes so callers without a backend (tests, statistics) need not touch tfjs. */
export async function readFashionMnist(split: Split, limit?: number, dir = fashionMnistDir()) {
  const [images, labels] = await Promise.all([
    readIdx(join(dir, `${split}-images-idx3-ubyte.gz`), IMAGES_MAGIC),
    readIdx(join(dir, `${split}-labels-idx1-ubyte.gz`), LABELS_MAGIC),
  ]);
  const [n = 0, h = 0, w = 0] = images.dims;
  if (h !== 28 || w !== 28 || labels.dims[0] !== n)
    throw new Error(`Unexpected Fashion-MNIST shapes in ${dir}.`);
  const count = Math.min(n, limit ?? n);
  return { pixels: images.data.subarray(0, count * 784), labels: labels.data.subarray(0, count), count };
}
