import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../src/backend/select.ts";
import { buildGenerator } from "../src/models/cdcgan.ts";
import { ExportError, exportLayersModel, UnsupportedLayerError } from "../src/onnx/export.ts";
import { OPSET, summarizeModel } from "../src/onnx/graph.ts";
import { checkParity } from "../src/onnx/parity.ts";
import { PixelShuffle, UpsampleBilinear } from "../src/sr/model.ts";
import { InstanceNormalization, ReflectionPadding2D } from "../src/style/layers.ts";
import { tinyConfig } from "./helpers.ts";

type Tf = Awaited<ReturnType<typeof selectBackend>>["tf"];
let tf: Tf;

// The cpu backend is TensorFlow.js' reference implementation: these tests pin the exporter to TF semantics.
beforeAll(async () => {
  ({ tf } = await selectBackend("cpu"));
});

const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) =>
  layer.apply(x) as tfl.SymbolicTensor;

/** Gives batch norms non-trivial statistics, as a trained model has. */
function randomizeBatchNorms(model: tfl.LayersModel): void {
  let seed = 100;
  for (const layer of model.layers) {
    if (layer.getClassName() !== "BatchNormalization") continue;
    layer.setWeights(
      layer.weights.map((w) => {
        const shape = w.shape.map((d) => d ?? 1);
        return w.name.endsWith("moving_variance")
          ? tf.randomUniform(shape, 0.5, 2, "float32", seed++)
          : tf.randomNormal(shape, 0, 0.5, "float32", seed++);
      }),
    );
  }
}

/** Every layer class the exporter covers, in the awkward cases: odd "same" pads, kernels below the stride. */
function everyLayerModel(): tfl.LayersModel {
  const image = tfl.input({ shape: [9, 10, 3], name: "image" });
  const vector = tfl.input({ shape: [6], name: "vector" });
  const seed = 7;
  const k = (s: number) => tfl.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: seed + s });
  let x = apply(
    tfl.layers.conv2d({
      filters: 5,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      kernelInitializer: k(1),
      biasInitializer: k(2),
      activation: "relu",
    }),
    image,
  );
  x = apply(tfl.layers.batchNormalization(), x);
  const a = apply(
    tfl.layers.conv2d({
      filters: 4,
      kernelSize: [2, 3],
      dilationRate: 2,
      padding: "same",
      kernelInitializer: k(3),
    }),
    x,
  );
  const b = apply(
    tfl.layers.conv2dTranspose({
      filters: 4,
      kernelSize: 3,
      strides: 1,
      padding: "same",
      kernelInitializer: k(4),
    }),
    x,
  );
  x = apply(tfl.layers.add(), [a, b]);
  x = apply(tfl.layers.leakyReLU({ alpha: 0.1 }), x);
  x = apply(tfl.layers.concatenate(), [x, apply(tfl.layers.activation({ activation: "sigmoid" }), x)]);
  x = apply(
    tfl.layers.conv2dTranspose({
      filters: 3,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      kernelInitializer: k(5),
      biasInitializer: k(6),
      activation: "elu",
    }),
    x,
  );
  const small = apply(
    tfl.layers.conv2dTranspose({
      filters: 2,
      kernelSize: 1,
      strides: 2,
      padding: "same",
      kernelInitializer: k(7),
      biasInitializer: k(8),
    }),
    x,
  );
  const valid = apply(
    tfl.layers.conv2dTranspose({
      filters: 2,
      kernelSize: 3,
      strides: 2,
      padding: "valid",
      kernelInitializer: k(9),
    }),
    x,
  );
  let y = apply(
    tfl.layers.conv2d({ filters: 3, kernelSize: 4, strides: 3, padding: "valid", kernelInitializer: k(10) }),
    small,
  );
  y = apply(tfl.layers.reLU({ maxValue: 0.5 }), y);
  y = apply(tfl.layers.dropout({ rate: 0.5, name: "capped" }), y);
  const flat = apply(
    tfl.layers.flatten(),
    apply(tfl.layers.conv2d({ filters: 2, kernelSize: 3, strides: 4, kernelInitializer: k(11) }), valid),
  );
  let v = apply(
    tfl.layers.dense({ units: 12, activation: "relu6", kernelInitializer: k(12), biasInitializer: k(13) }),
    vector,
  );
  v = apply(tfl.layers.batchNormalization(), v);
  v = apply(tfl.layers.concatenate(), [v, flat, apply(tfl.layers.flatten(), y)]);
  v = apply(tfl.layers.dense({ units: 2 * 3 * 4, activation: "tanh", kernelInitializer: k(14) }), v);
  const grid = apply(tfl.layers.reshape({ targetShape: [2, -1, 4] }), v);
  const out = apply(
    tfl.layers.conv2d({ filters: 2, kernelSize: 1, kernelInitializer: k(15), name: "grid" }),
    grid,
  );
  const model = tfl.model({ inputs: [image, vector], outputs: [out, y], name: "every_layer" });
  randomizeBatchNorms(model);
  return model;
}

/**
 * The image-to-image layers on free height and width, in the cases the shipped generators avoid: odd sizes
 * under stride-2 "same" convolutions, unequal and bilinear upsampling factors, an offset rescaling, a ×3
 * half-pixel resize, trained-looking instance norm parameters.
 */
function imageLayerModel(): tfl.LayersModel {
  const image = tfl.input({ shape: [null, null, 3], name: "image" });
  const k = (s: number) => tfl.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: 40 + s });
  const conv = (filters: number, kernelSize: number, strides: number, padding: "same" | "valid", s: number) =>
    tfl.layers.conv2d({
      filters,
      kernelSize,
      strides,
      padding,
      kernelInitializer: k(s),
      biasInitializer: k(s + 1),
    });
  let x = apply(new ReflectionPadding2D({ padding: 2 }), image);
  x = apply(conv(8, 3, 2, "same", 1), x);
  const norm = new InstanceNormalization({ epsilon: 1e-3 });
  x = apply(norm, x);
  x = apply(tfl.layers.rescaling({ scale: 0.7, offset: 0.1 }), x);
  const near = apply(tfl.layers.upSampling2d({ size: [2, 3] }), x);
  const bilinear = apply(tfl.layers.upSampling2d({ size: [2, 3], interpolation: "bilinear" }), x);
  x = apply(tfl.layers.concatenate(), [near, bilinear]);
  x = apply(conv(8, 4, 2, "same", 3), x);
  x = apply(new PixelShuffle({ scale: 2 }), x);
  x = apply(
    tfl.layers.conv2dTranspose({
      filters: 3,
      kernelSize: 3,
      strides: 2,
      padding: "valid",
      kernelInitializer: k(5),
    }),
    x,
  );
  x = apply(new UpsampleBilinear({ scale: 3 }), x);
  const model = tfl.model({ inputs: image, outputs: x, name: "image_layers" });
  norm.setWeights([tf.randomUniform([8], 0.5, 2, "float32", 1), tf.randomNormal([8], 0, 0.5, "float32", 2)]);
  return model;
}

describe("exportLayersModel", () => {
  it("writes an opset-17 model with the tfjs names, channels-last shapes and a symbolic batch", () => {
    const g = buildGenerator(tinyConfig);
    const { inputs, outputs, opTypes, metadata } = summarizeModel(
      exportLayersModel(g, { metadata: { "ganvas.test": "yes" } }),
    );
    expect(inputs).toEqual([
      { name: "noise", shape: [null, 8] },
      { name: "label", shape: [null, 10] },
    ]);
    expect(outputs).toEqual([{ name: "image", shape: [null, 28, 28, 1] }]);
    expect(metadata["ganvas.test"]).toBe("yes");
    expect(new Set(opTypes)).toEqual(
      new Set([
        "MatMul",
        "Concat",
        "Mul",
        "Add",
        "LeakyRelu",
        "Reshape",
        "Transpose",
        "ConvTranspose",
        "Tanh",
        "Identity",
      ]),
    );
    expect(OPSET).toBe(17);
    g.dispose();
  });

  it("a tiny random generator agrees with TensorFlow.js on onnxruntime-node", async () => {
    const g = buildGenerator(tinyConfig);
    randomizeBatchNorms(g);
    for (const batch of [1, 5]) {
      const r = await checkParity(g, exportLayersModel(g), "onnxruntime-node", batch);
      expect(r.values).toBe(batch * 28 * 28);
      expect(r.maxAbsDiff).toBeLessThan(1e-5);
    }
    g.dispose();
  });

  it("covers every layer it claims, in their awkward cases, within 1e-5 of TensorFlow.js", async () => {
    const model = everyLayerModel();
    const bytes = exportLayersModel(model);
    const r = await checkParity(model, bytes, "onnxruntime-node", 3);
    expect(r.maxAbsDiff).toBeLessThan(1e-5);
    expect(summarizeModel(bytes).outputs.map((o) => o.name)).toEqual(["grid", "capped"]);
    model.dispose();
  });

  // 1e-4: the chain of unnormalised random layers reaches values of several units, where float32 sums of
  // different order drift past 1e-5; a wrong sampling or padding convention moves pixels by far more.
  it("exports the image-to-image layers once for any height and width, within 1e-4 of TensorFlow.js", async () => {
    const model = imageLayerModel();
    const bytes = exportLayersModel(model);
    expect(summarizeModel(bytes).inputs).toEqual([{ name: "image", shape: [null, null, null, 3] }]);
    for (const size of [
      [7, 10],
      [12, 9],
    ] as const) {
      const r = await checkParity(model, bytes, "onnxruntime-node", 2, 5, { size, range: [-1, 1] });
      expect(r.values).toBeGreaterThan(0);
      expect(r.maxAbsDiff).toBeLessThan(1e-4);
    }
    model.dispose();
  });

  it("names the layer it cannot export", () => {
    const x = tfl.input({ shape: [4, 4, 1] });
    const pooled = apply(tfl.layers.maxPooling2d({ poolSize: 2, name: "pool_me" }), x);
    const model = tfl.model({ inputs: x, outputs: pooled });
    expect(() => exportLayersModel(model)).toThrow(UnsupportedLayerError);
    expect(() => exportLayersModel(model)).toThrow(/"pool_me" \(MaxPooling2D\).*covers Dense/);
  });

  it("names an activation it cannot export", () => {
    const x = tfl.input({ shape: [4] });
    const model = tfl.model({
      inputs: x,
      outputs: apply(tfl.layers.dense({ units: 3, activation: "softmax", name: "probs" }), x),
    });
    expect(() => exportLayersModel(model)).toThrow(ExportError);
    expect(() => exportLayersModel(model)).toThrow(/"probs" uses activation "softmax"/);
  });
});
