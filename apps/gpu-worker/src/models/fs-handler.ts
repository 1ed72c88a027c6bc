import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";

/**
 * A directory as a tfjs IOHandler (model.json + weights.bin), the layout tfjs-node's file:// handler
 * writes, for hosts where tfjs-node cannot be installed.
 */
export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";

/** Write-then-rename, so a run killed mid-save leaves the previous checkpoint whole. */
async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

function joinWeights(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data;
}

export function fsHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error("fsHandler saves Layers models only (JSON topology), not binary graph models.");
      }
      await mkdir(dir, { recursive: true });
      const weights = joinWeights(artifacts.weightData);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
      };
      // Weights first: a model.json never points at weights that are not there yet.
      await writeAtomic(join(dir, WEIGHTS_BIN), new Uint8Array(weights));
      await writeAtomic(join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      let json: { modelTopology: object; weightsManifest: tf.io.WeightsManifestConfig; format?: string };
      try {
        json = JSON.parse(await readFile(join(dir, MODEL_JSON), "utf8"));
      } catch (err) {
        throw new Error(`No readable ${MODEL_JSON} in ${dir}: train the model first or check the path.`, {
          cause: err,
        });
      }
      const specs = json.weightsManifest.flatMap((group) => group.weights);
      const buffers = await Promise.all(
        json.weightsManifest.flatMap((group) => group.paths.map((p) => readFile(join(dir, p)))),
      );
      const weightData = tf.io.CompositeArrayBuffer.join(
        buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
      );
      return { modelTopology: json.modelTopology, weightSpecs: specs, weightData, format: json.format };
    },
  };
}
