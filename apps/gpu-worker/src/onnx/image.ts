import { type ConvertContext, ExportError, type LayerConverter, only, requireWeight } from "./context.ts";

/**
 * Converters for the image-to-image generators (style transfer, super-resolution). Their height and width are
 * free, so nothing here reads spatial sizes: each op is either size-independent or scales by a constant.
 */

function positiveInt(ctx: ConvertContext, value: unknown, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ExportError(`Layer "${ctx.layer.name}" has a bad ${what}.`);
  return n;
}

/** The layer's fixed upscaling factors (height, width) from `scale` or `size`. */
function factors(ctx: ConvertContext, value: unknown): [number, number] {
  const [a, b] = Array.isArray(value) ? value : [value, value];
  return [positiveInt(ctx, a, "scale"), positiveInt(ctx, b, "scale")];
}

/**
 * Resize on channels-first data by constant factors. tfjs' resize kernels compute each source coordinate from
 * the factor (asymmetric, or half-pixel when asked) exactly as ONNX Resize does from `scales`.
 */
function resize(
  ctx: ConvertContext,
  [sh, sw]: [number, number],
  attrs: Record<string, string>,
): ReturnType<LayerConverter> {
  const { g, layer } = ctx;
  const x = ctx.toNchw(only(ctx));
  const scales = g.floats(`${layer.name}/scales`, [4], Float32Array.of(1, 1, sh, sw));
  const y = g.node("Resize", [x.name, "", scales], attrs, layer.name);
  return { name: y, shape: ctx.outputShape, layout: "nchw" };
}

/** tfjs UpSampling2D: resizeNearestNeighbor / resizeBilinear without aligned corners or half-pixel centres. */
export const upSampling2d: LayerConverter = (ctx) => {
  const format = ctx.config.dataFormat ?? "channelsLast";
  if (format !== "channelsLast") {
    throw new ExportError(
      `Layer "${ctx.layer.name}" is ${String(format)}; the exporter covers channelsLast.`,
    );
  }
  const size = factors(ctx, ctx.config.size ?? 2);
  switch (ctx.config.interpolation ?? "nearest") {
    case "nearest":
      // floor(dst / factor): the source pixel tfjs picks, never rounded to the nearer one.
      return resize(ctx, size, {
        mode: "nearest",
        coordinate_transformation_mode: "asymmetric",
        nearest_mode: "floor",
      });
    case "bilinear":
      return resize(ctx, size, { mode: "linear", coordinate_transformation_mode: "asymmetric" });
    default:
      throw new ExportError(
        `Layer "${ctx.layer.name}" uses interpolation "${String(ctx.config.interpolation)}"; ` +
          "the exporter covers nearest and bilinear.",
      );
  }
};

/** GanvasUpsampleBilinear: resizeBilinear with half-pixel centres (sources clamped at the border, as ONNX). */
export const upsampleBilinear: LayerConverter = (ctx) =>
  resize(ctx, factors(ctx, ctx.config.scale), {
    mode: "linear",
    coordinate_transformation_mode: "half_pixel",
  });

/**
 * GanvasPixelShuffle reshapes channels as [r, r, c] (row offset, column offset, channel), the order of
 * tf.depthToSpace in NHWC and of ONNX DepthToSpace's DCR mode in NCHW.
 */
export const pixelShuffle: LayerConverter = (ctx) => {
  const x = ctx.toNchw(only(ctx));
  const blocksize = positiveInt(ctx, ctx.config.scale, "scale");
  const y = ctx.g.node("DepthToSpace", [x.name], { blocksize, mode: "DCR" }, ctx.layer.name);
  return { name: y, shape: ctx.outputShape, layout: "nchw" };
};

/** GanvasReflectionPadding2D: tf.mirrorPad "reflect" (the edge pixel is not repeated), as ONNX Pad reflect. */
export const reflectionPadding2d: LayerConverter = (ctx) => {
  const x = ctx.toNchw(only(ctx));
  const p = positiveInt(ctx, ctx.config.padding, "padding");
  const pads = ctx.g.int64s(`${ctx.layer.name}/pads`, [0, 0, p, p, 0, 0, p, p]);
  const y = ctx.g.node("Pad", [x.name, pads], { mode: "reflect" }, ctx.layer.name);
  return { name: y, shape: ctx.outputShape, layout: "nchw" };
};

/** GanvasInstanceNormalization: per image and channel over height and width, affine per channel. */
export const instanceNormalization: LayerConverter = (ctx) => {
  const { g, layer } = ctx;
  const x = ctx.toNchw(only(ctx));
  const gamma = requireWeight(layer, "gamma");
  const beta = requireWeight(layer, "beta");
  const epsilon = Number(ctx.config.epsilon ?? 1e-5);
  const y = g.node(
    "InstanceNormalization",
    [
      x.name,
      g.floats(`${layer.name}/gamma`, gamma.dims, gamma.values),
      g.floats(`${layer.name}/beta`, beta.dims, beta.values),
    ],
    { epsilon },
    layer.name,
  );
  return { name: y, shape: ctx.outputShape, layout: "nchw" };
};

/** Rescaling: x · scale + offset, elementwise, so any layout will do. */
export const rescaling: LayerConverter = (ctx) => {
  const { g, layer } = ctx;
  const x = only(ctx);
  const scale = Number(ctx.config.scale ?? 1);
  const offset = Number(ctx.config.offset ?? 0);
  let y = g.node(
    "Mul",
    [x.name, g.floats(`${layer.name}/scale`, [], Float32Array.of(scale))],
    {},
    layer.name,
  );
  if (offset !== 0) {
    y = g.node("Add", [y, g.floats(`${layer.name}/offset`, [], Float32Array.of(offset))], {}, layer.name);
  }
  return { ...x, name: y };
};
