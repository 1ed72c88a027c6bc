import {
  activation,
  type ConvertContext,
  ExportError,
  type LayerConverter,
  only,
  requireWeight,
  transpose,
  weight,
} from "./context.ts";

function pairOf(value: unknown, what: string): [number, number] {
  const v = Array.isArray(value) ? value : [value, value];
  const [a, b] = v.map(Number);
  if (!Number.isInteger(a) || !Number.isInteger(b)) throw new ExportError(`Bad ${what}: ${String(value)}`);
  return [a as number, b as number];
}

function channelsLast(ctx: ConvertContext): void {
  const format = ctx.config.dataFormat ?? "channelsLast";
  if (format !== "channelsLast") {
    throw new ExportError(
      `Layer "${ctx.layer.name}" is ${String(format)}; the exporter covers channelsLast.`,
    );
  }
}

/** TF's "same" padding split for one spatial dimension of a forward convolution: more at the end. */
function samePads(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Keras kernel [kh, kw, a, b] → ONNX [b, a, kh, kw]; the same permutation serves Conv and ConvTranspose. */
function convWeights(ctx: ConvertContext): { w: string; b?: string } {
  const { g, layer, config } = ctx;
  const kernel = transpose(requireWeight(layer, "kernel"), [3, 2, 0, 1]);
  const w = g.floats(`${layer.name}/kernel`, kernel.dims, kernel.values);
  const bias = config.useBias === false ? undefined : weight(layer, "bias");
  return bias ? { w, b: g.floats(`${layer.name}/bias`, bias.dims, bias.values) } : { w };
}

export const conv2d: LayerConverter = (ctx) => {
  channelsLast(ctx);
  const { config } = ctx;
  const x = ctx.toNchw(only(ctx));
  const [kh, kw] = pairOf(config.kernelSize, "kernelSize");
  const [sh, sw] = pairOf(config.strides ?? 1, "strides");
  const [dh, dw] = pairOf(config.dilationRate ?? 1, "dilationRate");
  let pads: number[] | undefined = [0, 0, 0, 0];
  let autoPad: string | undefined;
  const [, h, width] = x.shape;
  if (config.padding === "same" && typeof h === "number" && typeof width === "number") {
    const [top, bottom] = samePads(h, kh, sh, dh);
    const [left, right] = samePads(width, kw, sw, dw);
    pads = [top, left, bottom, right];
  } else if (config.padding === "same") {
    // Free height and width: ONNX SAME_UPPER splits the padding as TF does (the odd pixel at the end),
    // per input size at run time.
    pads = undefined;
    autoPad = "SAME_UPPER";
  } else if (config.padding !== "valid") {
    throw new ExportError(
      `Layer "${ctx.layer.name}" has padding "${String(config.padding)}"; use same or valid.`,
    );
  }
  const { w, b } = convWeights(ctx);
  const attrs = { kernel_shape: [kh, kw], strides: [sh, sw], dilations: [dh, dw], pads, auto_pad: autoPad };
  const y = ctx.g.node("Conv", b ? [x.name, w, b] : [x.name, w], attrs, ctx.layer.name);
  return activation(ctx, { name: y, shape: ctx.outputShape, layout: "nchw" }, config.activation);
};

interface TransposeAxis {
  /** What TF crops from the start and the end of the full (in − 1) × stride + kernel output. */
  before: number;
  after: number;
  /** Zeros ONNX must add at the end (kernels smaller than the stride). */
  extra: number;
}

/** tfjs' output size of a transposed convolution (deconvLength) for one spatial dimension. */
function transposedSize(ctx: ConvertContext, size: number, k: number, s: number): number {
  return ctx.config.padding === "same" ? size * s : size * s + Math.max(k - s, 0);
}

/**
 * The crop and output padding depend only on kernel, stride and padding mode, never on the input size (TF
 * sizes the output from the input), so a free dimension is worked out on a stand-in size.
 */
function transposeAxis(
  ctx: ConvertContext,
  inSize: number | null | undefined,
  outSize: number | null | undefined,
  k: number,
  s: number,
): TransposeAxis {
  const size = typeof inSize === "number" ? inSize : 8;
  const out =
    typeof inSize === "number" && typeof outSize === "number" ? outSize : transposedSize(ctx, size, k, s);
  const [before, after] = ctx.config.padding === "same" ? samePads(out, k, s, 1) : [0, 0];
  const extra = out - ((size - 1) * s + k - before - after);
  if (extra < 0 || extra >= s) {
    throw new ExportError(`Layer "${ctx.layer.name}": cannot map its output size ${out} to ConvTranspose.`);
  }
  return { before, after, extra };
}

/**
 * tfjs computes a transposed convolution as the input gradient of a forward convolution whose input is the
 * output size (in × stride for "same"), padded as TF pads that convolution. ONNX ConvTranspose crops
 * `pads` from its full (in − 1) × stride + kernel output, so the same split reproduces TF exactly;
 * `output_padding` covers kernels smaller than the stride. (A sub-pixel rewrite — one Conv with stride²
 * channels and DepthToSpace — measured slower in onnxruntime-node and -web for our generator, so it is not used.)
 */
export const conv2dTranspose: LayerConverter = (ctx) => {
  channelsLast(ctx);
  const { config } = ctx;
  if (config.padding !== "same" && config.padding !== "valid") {
    throw new ExportError(
      `Layer "${ctx.layer.name}" has padding "${String(config.padding)}"; use same or valid.`,
    );
  }
  const x = ctx.toNchw(only(ctx));
  const [kh, kw] = pairOf(config.kernelSize, "kernelSize");
  const [sh, sw] = pairOf(config.strides ?? 1, "strides");
  const [dh, dw] = pairOf(config.dilationRate ?? 1, "dilationRate");
  if (dh !== 1 || dw !== 1) throw new ExportError(`Layer "${ctx.layer.name}": dilated Conv2DTranspose.`);
  const ah = transposeAxis(ctx, x.shape[1], ctx.outputShape[1], kh, sh);
  const aw = transposeAxis(ctx, x.shape[2], ctx.outputShape[2], kw, sw);
  const { w: kernel, b } = convWeights(ctx);
  const attrs = {
    kernel_shape: [kh, kw],
    strides: [sh, sw],
    pads: [ah.before, aw.before, ah.after, aw.after],
    output_padding: ah.extra || aw.extra ? [ah.extra, aw.extra] : undefined,
  };
  const y = ctx.g.node("ConvTranspose", b ? [x.name, kernel, b] : [x.name, kernel], attrs, ctx.layer.name);
  return activation(ctx, { name: y, shape: ctx.outputShape, layout: "nchw" }, config.activation);
};
