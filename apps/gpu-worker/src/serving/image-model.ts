import * as tf from "@tensorflow/tfjs-core";
import type { DirExport } from "../onnx/files.ts";
import { loadSourceModel } from "../onnx/files.ts";
import { openOnFastestRuntime, type ServingOptions } from "./load.ts";
import { openSession } from "./onnx.ts";
import type { ServingRuntime } from "./runtimes.ts";

/**
 * An image-to-image generator (style transfer, super-resolution) on the runtime serving picked: one pass maps
 * a [1, h, w, c] tile to its output tile. Asynchronous because onnxruntime is; the tfjs path resolves at once.
 */
export interface ServedImageModel {
  readonly runtime: ServingRuntime;
  readonly onnx?: DirExport["source"];
  apply(x: tf.Tensor4D): Promise<tf.Tensor4D>;
  dispose(): Promise<void>;
}

/**
 * Loads the image generator in `dir` on the fastest runtime present, like the text-to-image generators: its
 * ONNX export has free height and width, so one session serves every tile size. The custom layers must be
 * registered (import style/layers.ts or sr/model.ts) before this runs.
 */
export function loadServedImageModel(dir: string, options: ServingOptions = {}): Promise<ServedImageModel> {
  return openOnFastestRuntime(dir, options, async (runtime, source, onnx): Promise<ServedImageModel> => {
    if (runtime === "tfjs") {
      const model = await loadSourceModel(source);
      return {
        runtime,
        apply: async (x) => tf.tidy(() => model.apply(x, { training: false }) as tf.Tensor4D),
        dispose: async () => {
          model.dispose();
        },
      };
    }
    const exported = await onnx();
    const { ort, session } = await openSession(exported.bytes, runtime);
    const [input] = session.inputNames;
    const [output] = session.outputNames;
    if (!input || !output) throw new Error(`${dir}: the ONNX model has no input or output`);
    return {
      runtime,
      onnx: exported.source,
      async apply(x) {
        const result = await session.run({
          [input]: new ort.Tensor("float32", x.dataSync() as Float32Array, x.shape),
        });
        const out = result[output];
        if (out?.type !== "float32" || out.dims.length !== 4)
          throw new Error(`${runtime} returned no image tile`);
        const [b = 1, h = 0, w = 0, c = 0] = out.dims;
        return tf.tensor4d(out.data as Float32Array, [b, h, w, c]);
      },
      dispose: () => session.release(),
    };
  });
}
