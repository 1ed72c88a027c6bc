import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { exportLayersModel } from "../src/onnx/export.ts";
import { checkParity } from "../src/onnx/parity.ts";
import { backend } from "./helpers.ts";

/**
 * The token-sequence converters (Conv1D, GlobalMaxPooling1D) against TensorFlow.js, on an encoder shaped like
 * shapes-tcgan's (flat token rows → reshape → dense → conv1d → pool → dense) with weights large enough that a
 * wrong padding, kernel order or axis shows.
 */
function encoder(padding: "same" | "valid", kernelSize: number): tfl.LayersModel {
  const init = (seed: number) => tfl.initializers.randomNormal({ mean: 0, stddev: 0.5, seed });
  const tokens = tfl.input({ shape: [7 * 5], name: "tokens" });
  let x = tfl.layers.reshape({ targetShape: [7, 5] }).apply(tokens) as tfl.SymbolicTensor;
  x = tfl.layers
    .dense({ units: 6, useBias: false, kernelInitializer: init(1) })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .conv1d({ filters: 4, kernelSize, padding, kernelInitializer: init(2), biasInitializer: init(3) })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalMaxPooling1d({}).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, kernelInitializer: init(4) }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: tokens, outputs: out });
}

describe("ONNX export of token-sequence layers", () => {
  beforeAll(async () => {
    await backend();
  });

  it.each([
    ["same", 3],
    ["same", 4],
    ["valid", 3],
  ] as const)("Conv1D (%s, kernel %i) and GlobalMaxPooling1D match TensorFlow.js", async (padding, k) => {
    const model = encoder(padding, k);
    const bytes = exportLayersModel(model);
    for (const runtime of ["onnxruntime-node", "onnxruntime-web"] as const) {
      const r = await checkParity(model, bytes, runtime, 5);
      expect(r.values).toBe(15);
      expect(r.maxAbsDiff).toBeLessThan(1e-4);
    }
    model.dispose();
  });
});
