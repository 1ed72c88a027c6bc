import {
  type JobRecord,
  keys,
  type Manifest,
  PreconditionFailedError,
  type Storage,
  sha256Hex,
} from "@ganvas/shared";
import type { GeneratedImage } from "./runner.ts";

/** The images' bucket entries, uploaded. Content-addressed by job, so a second attempt writes the same bytes. */
export async function putImages(
  storage: Storage,
  job: JobRecord,
  images: GeneratedImage[],
): Promise<Manifest["images"]> {
  return Promise.all(
    images.map(async (img, index) => {
      const key = keys.resultImage(job.id, index);
      await storage.put(key, img.png, {
        contentType: "image/png",
        cacheControl: "public, max-age=31536000, immutable",
      });
      return {
        index,
        key,
        width: img.width,
        height: img.height,
        bytes: img.png.byteLength,
        sha256: await sha256Hex(img.png),
      };
    }),
  );
}

/**
 * The manifest goes last: it is the promise that every image it names is in the bucket, and the edge
 * serves a result as soon as it exists.
 */
export async function putManifest(
  storage: Storage,
  job: JobRecord,
  images: Manifest["images"],
  runtime: Manifest["runtime"],
): Promise<Manifest> {
  const manifest: Manifest = {
    schema: 1,
    id: job.id,
    task: job.task,
    model: job.model,
    params: job.params,
    input: job.input,
    images,
    createdAt: Date.now(),
    runtime,
  };
  try {
    await storage.putJson(keys.manifest(job.id), manifest, { ifNoneMatch: "*" });
  } catch (err) {
    // Another attempt of the same job published first; results are content-addressed, so both agree.
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
  return manifest;
}

/** The public links of a job's images, as webhooks and the API give them. */
export function outputLinks(job: JobRecord, images: readonly { index: number }[]): string[] {
  return images.map((img) => `${job.baseUrl}/r/${job.id}/${img.index}.png`);
}
