// Child process of bench/training.ts: one train() run, its figure written as JSON to the file named in
// argv[3]. A process of its own per backend, so a slow backend can be stopped at its time limit and no
// TensorFlow.js state is shared with the parent or the other run.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { train } from "../../apps/gpu-worker/src/training/run.ts";

const [, , argJson, outFile] = process.argv;
if (!argJson || !outFile) throw new Error("usage: train-child.ts <options json> <result file>");
const args = JSON.parse(argJson) as { backend?: string; steps: number; batchSize: number };
const dir = mkdtempSync(join(tmpdir(), "ganvas-bench-train-"));
try {
  const { metadata, stepsPerSecond } = await train({
    model: "fashion-cdcgan",
    epochs: 1,
    steps: args.steps,
    batchSize: args.batchSize,
    seed: 1,
    outDir: join(dir, "out"),
    stateDir: join(dir, "state"),
    resume: false,
    // Only as many images as the steps use: loading is not timed, and a step costs the same either way.
    limit: args.steps * args.batchSize,
    backend: args.backend,
    samples: false,
    progress: false,
  });
  writeFileSync(outFile, JSON.stringify({ stepsPerSecond, steps: metadata.step, backend: metadata.backend }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
