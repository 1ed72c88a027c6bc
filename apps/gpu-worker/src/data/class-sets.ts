import type * as tfCore from "@tensorflow/tfjs-core";
import type { ImageSet } from "../eval/classifier.ts";
import { readFashionMnist } from "./fashion-mnist.ts";
import { readMnist } from "./mnist.ts";

/**
 * The labelled 28×28 gray sets the class-conditional models train on and the evaluator judges them by, read
 * through one door so a model names its set and neither the trainer nor the evaluator branches on it.
 */
export const CLASS_DATASETS = ["fashion-mnist", "mnist"] as const;
export type ClassDataset = (typeof CLASS_DATASETS)[number];

export type ClassSplit = "train" | "test";

export interface ReadOptions {
  limit?: number;
  /** Fashion-MNIST only: the folder of the IDX files (default: Debian's package, or GANVAS_FASHION_MNIST_DIR). */
  dir?: string;
}

export function readClassSet(
  dataset: ClassDataset,
  split: ClassSplit,
  options: ReadOptions = {},
): Promise<ImageSet> {
  if (dataset === "mnist") return readMnist(split, options.limit);
  return readFashionMnist(split === "train" ? "train" : "t10k", options.limit, options.dir);
}

export interface ClassImages {
  /** [n, 28, 28, 1], float32 in [-1, 1] to match the generator's tanh. */
  images: tfCore.Tensor4D;
  /** [n], int32 class indices; the trainer one-hot encodes each batch. */
  labels: tfCore.Tensor1D;
  count: number;
}

/** A split (default: train) as tensors. */
export async function loadClassSet(
  tf: typeof tfCore,
  dataset: ClassDataset,
  options: ReadOptions & { split?: ClassSplit } = {},
): Promise<ClassImages> {
  const { pixels, labels, count } = await readClassSet(dataset, options.split ?? "train", options);
  const scaled = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) scaled[i] = (pixels[i] ?? 0) / 127.5 - 1;
  return {
    images: tf.tensor4d(scaled, [count, 28, 28, 1]),
    labels: tf.tensor1d(Int32Array.from(labels), "int32"),
    count,
  };
}
