import type * as tfl from "@tensorflow/tfjs-layers";
import type { GraphBuilder } from "./graph.ts";

export type Layer = tfl.SymbolicTensor["sourceLayer"];
export type Config = Record<string, unknown>;

/**
 * A tensor of the ONNX graph. tfjs is channels-last; ONNX convolutions are channels-first, so 4-D values
 * carry their layout and are transposed only where an op needs the other one.
 */
export interface Value {
  name: string;
  /** Shape in Keras (channels-last) order, batch first as `null`, whatever `layout` is. */
  shape: readonly (number | null)[];
  layout: "keras" | "nchw";
}

export interface ConvertContext {
  g: GraphBuilder;
  layer: Layer;
  config: Config;
  inputs: readonly Value[];
  /** Keras shape of the layer's output, from the tfjs graph. */
  outputShape: readonly (number | null)[];
  toKeras(v: Value): Value;
  toNchw(v: Value): Value;
}

export type LayerConverter = (ctx: ConvertContext) => Value;

export class ExportError extends Error {
  override name = "ExportError";
}

export interface Weight {
  dims: number[];
  values: Float32Array;
}

export function weight(layer: Layer, suffix: string): Weight | undefined {
  const v = layer.weights.find((w) => (w.originalName ?? w.name).split("/").pop() === suffix);
  if (!v) return undefined;
  const t = v.read();
  return { dims: [...t.shape], values: Float32Array.from(t.dataSync()) };
}

export function requireWeight(layer: Layer, suffix: string): Weight {
  const w = weight(layer, suffix);
  if (!w) throw new ExportError(`Layer "${layer.name}" has no ${suffix} weight: is the model built?`);
  return w;
}

/** Exact data movement: `out[perm-ordered index] = in[index]`, as numpy's transpose. */
export function transpose(w: Weight, perm: readonly number[]): Weight {
  const { dims, values } = w;
  const outDims = perm.map((p) => dims[p] ?? 0);
  const inStrides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(values.length);
  const idx = new Array<number>(outDims.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < idx.length; k++) src += (idx[k] ?? 0) * (inStrides[perm[k] ?? 0] ?? 0);
    out[o] = values[src] ?? 0;
    for (let k = idx.length - 1; k >= 0; k--) {
      idx[k] = (idx[k] ?? 0) + 1;
      if ((idx[k] ?? 0) < (outDims[k] ?? 0)) break;
      idx[k] = 0;
    }
  }
  return { dims: outDims, values: out };
}

/** A layer's own `activation` option (Dense, Conv2D…) or an Activation layer. */
export function activation(ctx: ConvertContext, x: Value, name: unknown): Value {
  const { g, layer } = ctx;
  const base = `${layer.name}/${String(name)}`;
  const make = (op: string, attrs = {}) => ({ ...x, name: g.node(op, [x.name], attrs, base) });
  switch (name) {
    case undefined:
    case null:
    case "linear":
      return x;
    case "relu":
      return make("Relu");
    case "relu6":
      return clip(ctx, x, 0, 6);
    case "tanh":
      return make("Tanh");
    case "sigmoid":
      return make("Sigmoid");
    case "elu":
      return make("Elu", { alpha: 1 });
    default:
      throw new ExportError(
        `Layer "${layer.name}" uses activation "${String(name)}", which the ONNX exporter does not cover: ` +
          "use linear, relu, relu6, tanh, sigmoid or elu, or add it to apps/gpu-worker/src/onnx/context.ts.",
      );
  }
}

export function clip(ctx: ConvertContext, x: Value, min: number, max: number): Value {
  const { g, layer } = ctx;
  const lo = g.floats(`${layer.name}/min`, [], Float32Array.of(min));
  const hi = g.floats(`${layer.name}/max`, [], Float32Array.of(max));
  return { ...x, name: g.node("Clip", [x.name, lo, hi], {}, `${layer.name}/clip`) };
}

export function only(ctx: ConvertContext): Value {
  const [x] = ctx.inputs;
  if (!x || ctx.inputs.length !== 1) throw new ExportError(`Layer "${ctx.layer.name}" expects one input.`);
  return x;
}

/** Normalises a Keras axis (negative from the end) against a rank. */
export function axisOf(config: Config, rank: number): number {
  const axis = Number(config.axis ?? -1);
  return axis < 0 ? rank + axis : axis;
}

/** The axis of `x` that holds Keras axis `axis`, given x's layout. */
export function physicalAxis(x: Value, axis: number): number {
  if (x.layout === "keras") return axis;
  return [0, 2, 3, 1][axis] ?? axis;
}
