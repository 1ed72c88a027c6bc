import { readdir } from "node:fs/promises";
import { join } from "node:path";

/** Generator snapshots a trainer keeps in its state folder, which the evaluator scores into a curve. */
export const SNAPSHOTS = "snapshots";

/** The class-model trainer's default snapshot interval (about 90 s of training on two CPU cores). */
export const SNAPSHOT_EVERY = 300;

/** `${stateDir}/snapshots/step-000300`: zero-padded so a listing sorts by step. */
export function snapshotDir(stateDir: string, step: number): string {
  return join(stateDir, SNAPSHOTS, `step-${String(step).padStart(6, "0")}`);
}

/** The snapshots kept in a state folder, oldest first. */
export async function listSnapshots(stateDir: string): Promise<{ step: number; dir: string }[]> {
  const names = (await readdir(join(stateDir, SNAPSHOTS))).filter((n) => /^step-\d+$/.test(n)).sort();
  return names.map((n) => ({ step: Number(n.slice(5)), dir: join(stateDir, SNAPSHOTS, n) }));
}
