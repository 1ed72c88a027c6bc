import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { selectBackend } from "../backend/select.ts";
import { exportModelDir, loadSourceModel, readGeneratorSource } from "./files.ts";
import { summarizeModel } from "./graph.ts";
import { checkParity, type ImageFeed } from "./parity.ts";

export const EXPORT_USAGE = `Usage: ganvas-worker export --model-dir <dir> [--model-dir <dir> …] [--no-check]

Writes <dir>/generator.onnx (opset 17) from <dir>/model.json + weights, then runs the same inputs through
TensorFlow.js and onnxruntime-node and prints the largest difference (--no-check skips that).
`;

/** Parity tolerance on outputs in [-1, 1]; the exporter's tests hold it too. */
export const PARITY_TOLERANCE = 1e-4;

/**
 * The check's feed for an image-to-image generator (free height and width): a 32×48 tile rounded up to the
 * generator's `multiple`, in its `valueRange` from metadata.json; super-resolution names no range and its
 * runner feeds 0–1. Undefined for the fixed-shape text-to-image generators.
 */
async function imageFeed(dir: string, bytes: Uint8Array): Promise<ImageFeed | undefined> {
  const [input] = summarizeModel(bytes).inputs;
  if (input?.shape.length !== 4 || (input.shape[1] !== null && input.shape[2] !== null)) return undefined;
  let meta: { multiple?: number; valueRange?: [number, number] } = {};
  try {
    meta = JSON.parse(await readFile(join(dir, "metadata.json"), "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const multiple = meta.multiple ?? 1;
  const up = (n: number) => Math.ceil(n / multiple) * multiple;
  return { size: [up(32), up(48)], range: meta.valueRange ?? [0, 1] };
}

/** `ganvas-worker export`: one generator.onnx per --model-dir; exits non-zero if a check fails. */
export async function exportCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "model-dir": { type: "string", multiple: true },
      "no-check": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const dirs = values["model-dir"] ?? [];
  if (values.help || dirs.length === 0) {
    process.stdout.write(EXPORT_USAGE);
    if (!values.help) throw new Error("export needs --model-dir <dir>.");
    return;
  }
  await selectBackend();
  for (const dir of dirs) {
    const { path, bytes } = await exportModelDir(dir);
    process.stdout.write(`wrote ${path} (${bytes} bytes)\n`);
    if (values["no-check"]) continue;
    const model = await loadSourceModel(await readGeneratorSource(dir));
    try {
      const exported = new Uint8Array(await readFile(path));
      const image = await imageFeed(dir, exported);
      const result = await checkParity(model, exported, "onnxruntime-node", image ? 1 : 16, 1234, image);
      const tile = image ? `, ${image.size[0]}×${image.size[1]}` : "";
      process.stdout.write(
        `  parity with TensorFlow.js on onnxruntime-node, batch ${result.batch}${tile}: max |Δ| = ${result.maxAbsDiff.toExponential(2)}\n`,
      );
      if (!(result.maxAbsDiff <= PARITY_TOLERANCE)) {
        throw new Error(
          `${path} differs from the tfjs model by ${result.maxAbsDiff} (> ${PARITY_TOLERANCE}).`,
        );
      }
    } finally {
      model.dispose();
    }
  }
}
