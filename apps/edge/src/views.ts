import type { JobRecord, JobView, Manifest } from "@ganvas/shared";

/** What clients see of a job: state plus absolute links, never lease or subscriber internals. */

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function resultUrls(origin: string, manifest: Manifest): string[] {
  return manifest.images.map((img) => `${origin}/r/${manifest.id}/${img.index}.png`);
}

function links(origin: string, id: string): JobView["links"] {
  return {
    self: `${origin}/v1/jobs/${id}`,
    gallery: `${origin}/g/${id}`,
    cancel: `${origin}/v1/jobs/${id}/cancel`,
  };
}

export function viewFromManifest(origin: string, manifest: Manifest, job?: JobRecord): JobView {
  return {
    id: manifest.id,
    status: "succeeded",
    cached: true,
    task: manifest.task,
    model: manifest.model,
    params: manifest.params,
    input: manifest.input,
    outputs: resultUrls(origin, manifest),
    links: links(origin, manifest.id),
    attempts: job?.attempts,
    createdAt: iso(job?.createdAt ?? manifest.createdAt),
    finishedAt: iso(job?.finishedAt ?? manifest.createdAt),
  };
}

export function viewFromJob(origin: string, job: JobRecord, manifest?: Manifest | null): JobView {
  if (manifest) return { ...viewFromManifest(origin, manifest, job), cached: false };
  return {
    id: job.id,
    status: job.status,
    cached: false,
    task: job.task,
    model: job.model,
    params: job.params,
    input: job.input,
    outputs: [],
    links: links(origin, job.id),
    attempts: job.attempts,
    createdAt: iso(job.createdAt),
    finishedAt: iso(job.finishedAt),
    error: job.error && job.status === "failed" ? job.error : undefined,
  };
}
