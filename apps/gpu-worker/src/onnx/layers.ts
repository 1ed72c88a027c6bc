import {
  activation,
  axisOf,
  clip,
  ExportError,
  type LayerConverter,
  only,
  physicalAxis,
  requireWeight,
  weight,
} from "./context.ts";
import { conv2d, conv2dTranspose } from "./conv.ts";
import {
  instanceNormalization,
  pixelShuffle,
  reflectionPadding2d,
  rescaling,
  upSampling2d,
  upsampleBilinear,
} from "./image.ts";
import { conv1d, globalMaxPooling1d } from "./sequence.ts";

export { type ConvertContext, ExportError, type Layer, type Value } from "./context.ts";

const dense: LayerConverter = (ctx) => {
  const { g, layer, config } = ctx;
  const x = ctx.toKeras(only(ctx));
  const kernel = requireWeight(layer, "kernel");
  let y = g.node("MatMul", [x.name, g.floats(`${layer.name}/kernel`, kernel.dims, kernel.values)]);
  const bias = config.useBias === false ? undefined : weight(layer, "bias");
  if (bias) y = g.node("Add", [y, g.floats(`${layer.name}/bias`, bias.dims, bias.values)]);
  return activation(ctx, { name: y, shape: ctx.outputShape, layout: "keras" }, config.activation);
};

/** Inference-mode batch normalisation folded into one multiply and one add per channel. */
const batchNormalization: LayerConverter = (ctx) => {
  const { g, layer, config } = ctx;
  const x = only(ctx);
  const rank = x.shape.length;
  const axis = physicalAxis(x, axisOf(config, rank));
  const mean = requireWeight(layer, "moving_mean").values;
  const variance = requireWeight(layer, "moving_variance").values;
  const gamma = config.scale === false ? undefined : weight(layer, "gamma")?.values;
  const beta = config.center === false ? undefined : weight(layer, "beta")?.values;
  const epsilon = Number(config.epsilon ?? 1e-3);
  const scale = new Float32Array(mean.length);
  const shift = new Float32Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    const s = (gamma?.[c] ?? 1) / Math.sqrt((variance[c] ?? 1) + epsilon);
    scale[c] = s;
    shift[c] = (beta?.[c] ?? 0) - (mean[c] ?? 0) * s;
  }
  // Right-aligned broadcasting: [C, 1, …] puts the channels on `axis`.
  const dims = [mean.length, ...Array<number>(rank - 1 - axis).fill(1)];
  const scaled = g.node("Mul", [x.name, g.floats(`${layer.name}/scale`, dims, scale)]);
  return { ...x, name: g.node("Add", [scaled, g.floats(`${layer.name}/shift`, dims, shift)]) };
};

const leakyReLU: LayerConverter = (ctx) => {
  const x = only(ctx);
  const alpha = Number(ctx.config.alpha ?? 0.3);
  return { ...x, name: ctx.g.node("LeakyRelu", [x.name], { alpha }, ctx.layer.name) };
};

const reLU: LayerConverter = (ctx) => {
  const x = only(ctx);
  const max = ctx.config.maxValue;
  if (max === null || max === undefined)
    return { ...x, name: ctx.g.node("Relu", [x.name], {}, ctx.layer.name) };
  return clip(ctx, x, 0, Number(max));
};

const activationLayer: LayerConverter = (ctx) => activation(ctx, only(ctx), ctx.config.activation);

const identity: LayerConverter = (ctx) => only(ctx);

const reshape: LayerConverter = (ctx) => {
  const x = ctx.toKeras(only(ctx));
  // tfjs reports the inferred dimension as null (or -1); ONNX infers a -1.
  const target = (ctx.config.targetShape as (number | null)[]).map((d) => (d === null || d < 0 ? -1 : d));
  // 0 copies the batch dimension; a -1 in the target is inferred as Keras does.
  const shape = ctx.g.int64s(`${ctx.layer.name}/shape`, [0, ...target]);
  return {
    name: ctx.g.node("Reshape", [x.name, shape], {}, ctx.layer.name),
    shape: ctx.outputShape,
    layout: "keras",
  };
};

const flatten: LayerConverter = (ctx) => {
  const x = ctx.toKeras(only(ctx));
  const shape = ctx.g.int64s(`${ctx.layer.name}/shape`, [0, -1]);
  return {
    name: ctx.g.node("Reshape", [x.name, shape], {}, ctx.layer.name),
    shape: ctx.outputShape,
    layout: "keras",
  };
};

/** Stays channels-first when every input already is and the axis is the channels. */
const concatenate: LayerConverter = (ctx) => {
  const rank = ctx.outputShape.length;
  const axis = axisOf(ctx.config, rank);
  const nchw = rank === 4 && axis === 3 && ctx.inputs.every((v) => v.layout === "nchw");
  const inputs = nchw ? ctx.inputs : ctx.inputs.map((v) => ctx.toKeras(v));
  const y = ctx.g.node(
    "Concat",
    inputs.map((v) => v.name),
    { axis: nchw ? 1 : axis },
    ctx.layer.name,
  );
  return { name: y, shape: ctx.outputShape, layout: nchw ? "nchw" : "keras" };
};

const add: LayerConverter = (ctx) => {
  const nchw = ctx.inputs.every((v) => v.layout === "nchw");
  const inputs = nchw ? ctx.inputs : ctx.inputs.map((v) => ctx.toKeras(v));
  const [first, ...rest] = inputs;
  if (!first) throw new ExportError(`Layer "${ctx.layer.name}" has no inputs.`);
  let y = first.name;
  for (const v of rest) y = ctx.g.node("Add", [y, v.name], {}, ctx.layer.name);
  return { name: y, shape: ctx.outputShape, layout: nchw ? "nchw" : "keras" };
};

/** Exactly the layers Ganvas' generators (and discriminators) are built from; anything else is an error. */
export const CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  Dense: dense,
  BatchNormalization: batchNormalization,
  LeakyReLU: leakyReLU,
  ReLU: reLU,
  Activation: activationLayer,
  Dropout: identity,
  Reshape: reshape,
  Flatten: flatten,
  Conv2D: conv2d,
  Conv2DTranspose: conv2dTranspose,
  Concatenate: concatenate,
  Add: add,
  // Token-sequence layers of the text encoders (sequence.ts).
  Conv1D: conv1d,
  GlobalMaxPooling1D: globalMaxPooling1d,
  // Image-to-image generators (image.ts); the Ganvas* layers are registered by style/layers.ts and sr/model.ts.
  UpSampling2D: upSampling2d,
  Rescaling: rescaling,
  GanvasReflectionPadding2D: reflectionPadding2d,
  GanvasInstanceNormalization: instanceNormalization,
  GanvasPixelShuffle: pixelShuffle,
  GanvasUpsampleBilinear: upsampleBilinear,
};
