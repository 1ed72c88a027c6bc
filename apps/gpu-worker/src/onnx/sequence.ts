import {
  activation,
  ExportError,
  type LayerConverter,
  only,
  requireWeight,
  transpose,
  weight,
} from "./context.ts";

/**
 * Layers over token sequences ([batch, steps, channels], the text encoders of shapes-tcgan). 3-D values stay
 * in Keras order; ONNX's Conv wants channels first, so a Conv1D is wrapped in two Transposes.
 */

function single(value: unknown, what: string, layer: string): number {
  const v = Number(Array.isArray(value) ? value[0] : value);
  if (!Number.isInteger(v) || v < 1) throw new ExportError(`Layer "${layer}": bad ${what} ${String(value)}.`);
  return v;
}

/** TF's "same" split for a forward convolution, more padding at the end (as conv.ts does for 2-D). */
function samePads(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

export const conv1d: LayerConverter = (ctx) => {
  const { g, layer, config } = ctx;
  if ((config.dataFormat ?? "channelsLast") !== "channelsLast") {
    throw new ExportError(
      `Layer "${layer.name}" is ${String(config.dataFormat)}; the exporter covers channelsLast.`,
    );
  }
  const x = ctx.toKeras(only(ctx));
  const k = single(config.kernelSize, "kernelSize", layer.name);
  const s = single(config.strides ?? 1, "strides", layer.name);
  const d = single(config.dilationRate ?? 1, "dilationRate", layer.name);
  let pads = [0, 0];
  if (config.padding === "same") {
    const steps = x.shape[1];
    if (typeof steps !== "number")
      throw new ExportError(`Layer "${layer.name}" needs a fixed length to export.`);
    pads = samePads(steps, k, s, d);
  } else if (config.padding !== "valid") {
    throw new ExportError(
      `Layer "${layer.name}" has padding "${String(config.padding)}"; use same or valid.`,
    );
  }
  // Keras kernel [k, in, out] → ONNX [out, in, k].
  const kernel = transpose(requireWeight(layer, "kernel"), [2, 1, 0]);
  const inputs = [
    g.node("Transpose", [x.name], { perm: [0, 2, 1] }, `${layer.name}/ncl`),
    g.floats(`${layer.name}/kernel`, kernel.dims, kernel.values),
  ];
  const bias = config.useBias === false ? undefined : weight(layer, "bias");
  if (bias) inputs.push(g.floats(`${layer.name}/bias`, bias.dims, bias.values));
  const y = g.node("Conv", inputs, { kernel_shape: [k], strides: [s], dilations: [d], pads }, layer.name);
  const back = g.node("Transpose", [y], { perm: [0, 2, 1] }, `${layer.name}/nlc`);
  return activation(ctx, { name: back, shape: ctx.outputShape, layout: "keras" }, config.activation);
};

/** Max over the steps axis: [batch, steps, channels] → [batch, channels]. */
export const globalMaxPooling1d: LayerConverter = (ctx) => {
  const x = ctx.toKeras(only(ctx));
  const y = ctx.g.node("ReduceMax", [x.name], { axes: [1], keepdims: 0 }, ctx.layer.name);
  return { name: y, shape: ctx.outputShape, layout: "keras" };
};
