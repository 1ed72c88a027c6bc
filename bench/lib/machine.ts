import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Packages resolved the way the worker resolves them (its optional native backends live in its deps). */
const requireFromWorker = createRequire(`${REPO_ROOT}apps/gpu-worker/package.json`);

function packageVersion(name: string): string | undefined {
  try {
    const path = requireFromWorker.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, "utf8")) as { version?: string }).version;
  } catch {
    // Some packages do not export their package.json; find it next to their entry point instead.
    try {
      let dir = requireFromWorker.resolve(name);
      while (dir.length > 1) {
        dir = dir.slice(0, dir.lastIndexOf("/"));
        const file = `${dir}/package.json`;
        if (existsSync(file)) {
          const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
          if (pkg.name === name) return pkg.version;
        }
      }
    } catch {
      // Not installed.
    }
    return undefined;
  }
}

function command(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", timeout: 5000, stdio: ["ignore", "pipe", "ignore"] })
      .split("\n")[0]
      ?.trim();
  } catch {
    return undefined;
  }
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  gpu: string;
  loadAverage: string;
  /** TensorFlow.js backend packages installed, fastest first. */
  tfjsBackends: string[];
  versions: Record<string, string>;
}

export function describeMachine(): Machine {
  const debian = existsSync("/etc/debian_version")
    ? `Debian ${readFileSync("/etc/debian_version", "utf8").trim()}`
    : process.platform;
  const backends: [string, string][] = [
    ["tfjs-node-gpu", "@tensorflow/tfjs-node-gpu"],
    ["tfjs-node", "@tensorflow/tfjs-node"],
    ["wasm", "@tensorflow/tfjs-backend-wasm"],
    ["cpu", "@tensorflow/tfjs-backend-cpu"],
  ];
  const versions: Record<string, string> = {};
  for (const name of [
    "@tensorflow/tfjs-core",
    "onnxruntime-node",
    "onnxruntime-web",
    "wrangler",
    "workerd",
  ]) {
    const v = packageVersion(name);
    if (v) versions[name] = v;
  }
  const ceph = command("radosgw", ["--version"])?.match(/ceph version (\S+)/)?.[1];
  if (ceph) versions["Ceph radosgw"] = ceph;
  const autocannon = packageVersion("autocannon");
  if (autocannon) versions.autocannon = autocannon;
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown CPU",
    cores: availableParallelism(),
    memoryGiB: totalmem() / 2 ** 30,
    os: `${debian}, Linux ${release()}`,
    node: process.version,
    gpu: command("nvidia-smi", ["--query-gpu=name,memory.total", "--format=csv,noheader"]) ?? "none",
    loadAverage: loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
    tfjsBackends: backends.filter(([, pkg]) => packageVersion(pkg) !== undefined).map(([name]) => name),
    versions,
  };
}

export function currentLoad(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}
