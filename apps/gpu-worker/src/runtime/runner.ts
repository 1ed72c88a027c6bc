import type { JobSpec } from "@ganvas/shared";

export interface GeneratedImage {
  png: Uint8Array;
  width: number;
  height: number;
}

/**
 * Runs jobs' generators; the job loop knows nothing of models, only of this. Jobs with the same
 * `batchKey` may be run together by `runBatch`, which returns each job's images in the order given.
 */
export interface Runner {
  readonly backend: string;
  batchKey(spec: JobSpec): string;
  runBatch(specs: readonly JobSpec[]): Promise<GeneratedImage[][]>;
}
