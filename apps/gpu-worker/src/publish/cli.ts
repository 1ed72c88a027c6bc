import { Storage } from "@ganvas/shared";
import { bucketConfigFromEnv } from "../runtime/config.ts";
import { publishModel, shippedVersions } from "./publish.ts";

const USAGE = `Usage: ganvas-worker publish <version dir>... | --all [--models-dir <dir>]

Copies each model version folder (models/<task>/<name>/<version>) to the bucket's models/ prefix and lists it
in models/registry.json, which the edge reads to accept requests and answer GET /v1/models. --all publishes
every shipped version. The bucket comes from S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY.
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
  const storage = new Storage(config.storage);
  for (const dir of dirs) {
    const { entry, files } = await publishModel(storage, dir);
    const offers = entry.styles
      ? ` styles ${entry.styles.join(", ")}`
      : entry.scales
        ? ` scales ${entry.scales.join(", ")}`
        : "";
    process.stdout.write(
      `published ${entry.task} ${entry.name}@${entry.version}${offers} (${files.length} files)\n`,
    );
  }
  return 0;
}
