import type * as tfl from "@tensorflow/tfjs-layers";
import { version_layers } from "@tensorflow/tfjs-layers";
import { GraphBuilder, type TensorInfo } from "./graph.ts";
import { CONVERTERS, type ConvertContext, ExportError, type Layer, type Value } from "./layers.ts";

export { ExportError } from "./layers.ts";

/** A layer the exporter has no ONNX translation for; its message names the layer and its class. */
export class UnsupportedLayerError extends ExportError {
  override name = "UnsupportedLayerError";
  constructor(
    readonly layerName: string,
    readonly className: string,
  ) {
    super(
      `Cannot export layer "${layerName}" (${className}) to ONNX: the exporter covers ` +
        `${Object.keys(CONVERTERS).join(", ")}. Build the generator from those, or add a converter ` +
        "to apps/gpu-worker/src/onnx/layers.ts with a parity test.",
    );
  }
}

export interface ExportOptions {
  /** Stored as the model's metadata_props (e.g. the digest of the weights it came from). */
  metadata?: Record<string, string>;
  docString?: string;
}

const PRODUCER_VERSION = `ganvas-onnx-export 1 (tfjs-layers ${version_layers})`;

function checkLayers(model: tfl.LayersModel): void {
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className !== "InputLayer" && !Object.hasOwn(CONVERTERS, className)) {
      throw new UnsupportedLayerError(layer.name, className);
    }
  }
}

/**
 * Converts a tfjs-layers model into a serialised ONNX ModelProto (opset 17). Inputs and outputs keep the
 * tfjs names, shapes and channels-last layout, with a symbolic batch dimension, so the same feeds give the
 * same outputs in TensorFlow.js and onnxruntime.
 */
export function exportLayersModel(model: tfl.LayersModel, options: ExportOptions = {}): Uint8Array {
  checkLayers(model);
  const g = new GraphBuilder();
  const values = new Map<number, Value>();
  // One export serves every tile size: free image dimensions stay symbolic, shared by name when there is a
  // single input (so runtimes may check that height and width are used consistently).
  const imageDims = (shape: readonly (number | null)[], h: string, w: string) =>
    shape.length === 4 ? [undefined, h, w] : undefined;
  const single = model.inputs.length === 1;
  const inputs: TensorInfo[] = model.inputs.map((t) => {
    const name = g.name(t.sourceLayer.name);
    const [h, w] = single ? ["h", "w"] : [`${name}_h`, `${name}_w`];
    const info = { name, shape: t.shape, dimNames: imageDims(t.shape, h, w) };
    values.set(t.id, { ...info, layout: "keras" });
    return info;
  });
  const outputNames = model.outputs.map((t) => g.name(t.sourceLayer.name));

  const converted = new Map<string, Value>();
  const relayout = (v: Value, layout: Value["layout"]): Value => {
    // Only 4-D values are ever channels-first.
    if (v.layout === layout || v.shape.length !== 4) return v;
    const key = `${v.name}→${layout}`;
    let out = converted.get(key);
    if (!out) {
      const perm = layout === "nchw" ? [0, 3, 1, 2] : [0, 2, 3, 1];
      out = { ...v, layout, name: g.node("Transpose", [v.name], { perm }, `${v.name}/${layout}`) };
      converted.set(key, out);
    }
    return out;
  };

  const convert = (t: tfl.SymbolicTensor): Value => {
    const known = values.get(t.id);
    if (known) return known;
    const layer: Layer = t.sourceLayer;
    const node = layer.inboundNodes[t.nodeIndex];
    const className = layer.getClassName();
    const converter = CONVERTERS[className];
    if (!converter) throw new UnsupportedLayerError(layer.name, className);
    if (node?.outputTensors.length !== 1) {
      throw new ExportError(
        `Layer "${layer.name}" (${className}) has several outputs; the exporter needs one.`,
      );
    }
    const ctx: ConvertContext = {
      g,
      layer,
      config: layer.getConfig() as Record<string, unknown>,
      inputs: node.inputTensors.map(convert),
      outputShape: t.shape,
      toKeras: (v) => relayout(v, "keras"),
      toNchw: (v) => relayout(v, "nchw"),
    };
    const value = converter(ctx);
    values.set(t.id, value);
    return value;
  };

  const outputs: TensorInfo[] = model.outputs.map((t, i) => {
    const value = relayout(convert(t), "keras");
    const name = outputNames[i] ?? `output_${i}`;
    g.nodes.push({ opType: "Identity", input: [value.name], output: [name], name });
    return { name, shape: t.shape, dimNames: imageDims(t.shape, `${name}_h`, `${name}_w`) };
  });

  return g.encode({
    graphName: model.name,
    inputs,
    outputs,
    producerVersion: PRODUCER_VERSION,
    docString:
      options.docString ??
      `${model.name}, exported from TensorFlow.js layers; inputs and outputs are channels-last as in tfjs.`,
    metadata: options.metadata,
  });
}
