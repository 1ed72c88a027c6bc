import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { loadOrt, type OnnxRuntimeName } from "../serving/onnx.ts";
import { summarizeModel } from "./graph.ts";

export interface ParityResult {
  runtime: OnnxRuntimeName;
  batch: number;
  /** Largest |tfjs − onnxruntime| over every output value. */
  maxAbsDiff: number;
  values: number;
}

/** How image inputs (free height and width) are fed. */
export interface ImageFeed {
  /** Height and width given to every free spatial dimension. */
  size: readonly [number, number];
  /** Inputs drawn uniformly from this range: the range the generator's runner feeds it. */
  range: readonly [number, number];
}

/**
 * Feeds the same inputs to the tfjs model and to its ONNX export on `runtime`: a one-hot row for an input
 * named "label", uniform values in `image.range` when `image` is given, else standard normal values (seeded).
 */
export async function checkParity(
  model: tfl.LayersModel,
  bytes: Uint8Array,
  runtime: OnnxRuntimeName,
  batch = 16,
  seed = 1234,
  image?: ImageFeed,
): Promise<ParityResult> {
  const { inputs, outputs } = summarizeModel(bytes);
  const feeds = inputs.map((info, i) => {
    const shape = [batch, ...info.shape.slice(1).map((d, k) => d ?? image?.size[k] ?? 1)];
    if (info.name === "label" && shape.length === 2) {
      const classes = shape[1] ?? 1;
      const rows = Array.from({ length: batch }, (_, r) => (r * 7 + 3) % classes);
      return tf.cast(tf.oneHot(tf.tensor1d(rows, "int32"), classes), "float32");
    }
    if (image) return tf.randomUniform(shape, image.range[0], image.range[1], "float32", seed + i);
    return tf.randomNormal(shape, 0, 1, "float32", seed + i);
  });
  const expected = tf.tidy(() => {
    const out = model.predict(feeds);
    return (Array.isArray(out) ? out : [out]).map((t) => Float32Array.from(t.dataSync()));
  });
  const { ort, provider } = await loadOrt(runtime);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: [provider] });
  try {
    const result = await session.run(
      Object.fromEntries(
        inputs.map((info, i) => {
          const t = feeds[i] as tf.Tensor;
          return [info.name, new ort.Tensor("float32", Float32Array.from(t.dataSync()), t.shape)];
        }),
      ),
    );
    let maxAbsDiff = 0;
    let values = 0;
    outputs.forEach((info, i) => {
      const got = result[info.name]?.data as Float32Array | undefined;
      const want = expected[i];
      if (!got || !want || got.length !== want.length) {
        throw new Error(`Output "${info.name}" differs in size: ${got?.length} vs ${want?.length} values.`);
      }
      for (let k = 0; k < got.length; k++) {
        const d = Math.abs((got[k] ?? 0) - (want[k] ?? 0));
        // NaN on either side is a failure, not a zero difference.
        maxAbsDiff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(maxAbsDiff, d);
      }
      values += got.length;
    });
    return { runtime, batch, maxAbsDiff, values };
  } finally {
    tf.dispose(feeds);
    await session.release();
  }
}
