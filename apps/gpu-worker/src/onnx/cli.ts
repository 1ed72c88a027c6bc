import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { selectBackend } from "../backend/select.ts";
import { exportModelDir, loadSourceModel, readGeneratorSource } from "./files.ts";
import { checkParity } from "./parity.ts";

export const EXPORT_USAGE = `Usage: ganvas-worker export --model-dir <dir> [--model-dir <dir> …] [--no-check]

Writes <dir>/generator.onnx (opset 17) from <dir>/model.json + weights, then runs the same inputs through
TensorFlow.js and onnxruntime-node and prints the largest difference (--no-check skips that).
`;

/** Parity tolerance on outputs in [-1, 1]; the exporter's tests hold it too. */
export const PARITY_TOLERANCE = 1e-4;

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
      const result = await checkParity(model, new Uint8Array(await readFile(path)), "onnxruntime-node");
      process.stdout.write(
        `  parity with TensorFlow.js on onnxruntime-node, batch ${result.batch}: max |Δ| = ${result.maxAbsDiff.toExponential(2)}\n`,
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
