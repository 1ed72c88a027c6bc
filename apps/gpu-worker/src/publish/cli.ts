import { Storage } from "@ganvas/shared";
import { selectBackend } from "../backend/select.ts";
import { bucketConfigFromEnv } from "../runtime/config.ts";
import { publishModel, shippedVersions } from "./publish.ts";

const USAGE = `Usage: ganvas-worker publish <version dir>... | --all [--models-dir <dir>]

Copies each model version folder (models/<task>/<name>/<version>) to the bucket's models/ prefix and lists it
in models/registry.json, which the edge reads to accept requests and answer GET /v1/models. --all publishes
every shipped version. A generator's ONNX export is uploaded only as exported from the weights beside it (a
stale or missing generator.onnx is exported again), so the browser draws what the worker draws. The bucket comes from S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY.
`;

export async function publishCommand(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const config = bucketConfigFromEnv();
  const dirs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--all") continue;
    if (arg === "--models-dir") {
      i++;
      continue;
    }
    if (arg.startsWith("--")) {
      process.stderr.write(`Unknown option ${arg}.\n\n${USAGE}`);
      return 2;
    }
    dirs.push(arg);
  }
  if (argv.includes("--all")) {
    const at = argv.indexOf("--models-dir");
    dirs.push(...(await shippedVersions(at >= 0 ? (argv[at + 1] ?? "") : config.modelsDir)));
  }
  // Exporting a stale generator.onnx again loads the weights with TensorFlow.js.
  await selectBackend();
  const storage = new Storage(config.storage);
  for (const dir of dirs) {
    const { entry, files, onnx } = await publishModel(storage, dir);
    const offers = entry.styles
      ? ` styles ${entry.styles.join(", ")}`
      : entry.scales
        ? ` scales ${entry.scales.join(", ")}`
        : "";
    const export_ =
      onnx === undefined || onnx === "fresh" ? "" : `; generator.onnx was ${onnx}, exported again`;
    process.stdout.write(
      `published ${entry.task} ${entry.name}@${entry.version}${offers} (${files.length} files${export_})\n`,
    );
  }
  return 0;
}
