import onnxProto, { type onnx as pb } from "onnx-proto";

/** The ONNX protobuf schema (onnx-proto: protobufjs static code generated from onnx.proto). */
export const { onnx } = onnxProto;
export type { pb };

/** ONNX IR version 8 with opset 17 (ONNX 1.12), read by every onnxruntime from 1.12 on, node and web. */
export const IR_VERSION = 8;
export const OPSET = 17;

const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;

export type AttributeValue = number | readonly number[] | string;
/** Attributes by name; integers and floats are told apart by the name's set in `FLOAT_ATTRIBUTES`. */
export type Attributes = Record<string, AttributeValue | undefined>;

/** Attributes whose values ONNX types as float; every other numeric attribute is an int64. */
const FLOAT_ATTRIBUTES = new Set(["alpha", "beta", "epsilon", "gamma", "min", "max"]);

function attribute(name: string, value: AttributeValue): pb.IAttributeProto {
  if (typeof value === "string") {
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  }
  const isFloat = FLOAT_ATTRIBUTES.has(name);
  if (typeof value === "number") {
    return isFloat
      ? { name, type: AttributeType.FLOAT, f: value }
      : { name, type: AttributeType.INT, i: value };
  }
  return isFloat
    ? { name, type: AttributeType.FLOATS, floats: [...value] }
    : { name, type: AttributeType.INTS, ints: [...value] };
}

function floatBytes(values: Float32Array): Uint8Array {
  // ONNX raw_data is little-endian, as is every host onnxruntime and tfjs run on.
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const out = new BigInt64Array(values.map((v) => BigInt(v)));
  return new Uint8Array(out.buffer);
}

export interface TensorInfo {
  name: string;
  /** Dimensions; `null` for a free one: the batch (named "batch" in the model) or a free height or width. */
  shape: readonly (number | null)[];
  /** Symbolic names of free dimensions after the batch, by index (e.g. "h", "w" of an image input). */
  dimNames?: readonly (string | undefined)[];
}

function valueInfo({ name, shape, dimNames }: TensorInfo): pb.IValueInfoProto {
  const dim = shape.map((d, i) =>
    d !== null ? { dimValue: d } : { dimParam: i === 0 ? "batch" : (dimNames?.[i] ?? `${name}_${i}`) },
  );
  return { name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim } } } };
}

/** Collects nodes and initializers, handing out unique value names. */
export class GraphBuilder {
  readonly nodes: pb.INodeProto[] = [];
  readonly initializers: pb.ITensorProto[] = [];
  private readonly used = new Set<string>();

  /** A fresh value name derived from `base` (tfjs names contain "/", kept for readability). */
  name(base: string): string {
    let candidate = base;
    for (let n = 1; this.used.has(candidate); n++) candidate = `${base}_${n}`;
    this.used.add(candidate);
    return candidate;
  }

  /** Adds a node with one output and returns that output's name. */
  node(opType: string, inputs: readonly string[], attributes: Attributes = {}, outputBase = opType): string {
    const output = this.name(outputBase);
    const attrs = Object.entries(attributes).flatMap(([k, v]) => (v === undefined ? [] : [attribute(k, v)]));
    this.nodes.push({ opType, input: [...inputs], output: [output], name: output, attribute: attrs });
    return output;
  }

  floats(base: string, dims: readonly number[], values: Float32Array): string {
    const name = this.name(base);
    this.initializers.push({ name, dims: [...dims], dataType: DataType.FLOAT, rawData: floatBytes(values) });
    return name;
  }

  int64s(base: string, values: readonly number[]): string {
    const name = this.name(base);
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: DataType.INT64,
      rawData: int64Bytes(values),
    });
    return name;
  }

  /** Serialises the graph as a model. */
  encode(options: {
    graphName: string;
    inputs: readonly TensorInfo[];
    outputs: readonly TensorInfo[];
    docString?: string;
    metadata?: Record<string, string>;
    producerVersion: string;
  }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: "", version: OPSET }],
      producerName: "ganvas",
      producerVersion: options.producerVersion,
      docString: options.docString ?? "",
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: options.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: options.inputs.map(valueInfo),
        output: options.outputs.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** Reads a serialised model back (used to inspect exports: inputs, metadata, node types). */
export function decodeModel(bytes: Uint8Array): pb.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

function tensorInfo(v: pb.IValueInfoProto): TensorInfo {
  const dims = v.type?.tensorType?.shape?.dim ?? [];
  return {
    name: v.name ?? "",
    shape: dims.map((d) => (d.dimParam ? null : d.dimValue == null ? null : Number(d.dimValue))),
  };
}

export interface ModelSummary {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  metadata: Record<string, string>;
  opTypes: string[];
}

/** Inputs, outputs, metadata and node types of a serialised model. */
export function summarizeModel(bytes: Uint8Array): ModelSummary {
  const model = decodeModel(bytes);
  const graph = model.graph;
  return {
    inputs: (graph?.input ?? []).map(tensorInfo),
    outputs: (graph?.output ?? []).map(tensorInfo),
    metadata: Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value])),
    opTypes: (graph?.node ?? []).map((n) => n.opType ?? ""),
  };
}
