import { HeadObjectCommand, PutObjectCommand, S3ServiceException } from "@aws-sdk/client-s3";
import { PreconditionFailedError, type Storage, StorageUnavailableError } from "@ganvas/shared";

/**
 * The two object operations the shared Storage client does not offer: a HEAD that returns user metadata
 * and a create-only PUT that stores it. Uploads keep their sniffed format and size as metadata, so a task
 * request can check an input's size with one HEAD instead of reading the image.
 */

export interface ObjectHead {
  etag: string;
  contentLength: number | undefined;
  contentType: string | undefined;
  metadata: Record<string, string>;
}

const statusOf = (err: unknown) =>
  err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;

function mapError(err: unknown, key: string): never {
  const s = statusOf(err);
  if (s === 412 || (err instanceof Error && err.name === "PreconditionFailed"))
    throw new PreconditionFailedError(key);
  if (s === undefined || s >= 500) throw new StorageUnavailableError(err);
  throw err;
}

export async function headObject(storage: Storage, key: string): Promise<ObjectHead | null> {
  try {
    const out = await storage.client.send(new HeadObjectCommand({ Bucket: storage.bucket, Key: key }));
    return {
      etag: out.ETag ?? "",
      contentLength: out.ContentLength,
      contentType: out.ContentType,
      metadata: out.Metadata ?? {},
    };
  } catch (err) {
    if (statusOf(err) === 404 || (err instanceof Error && err.name === "NotFound")) return null;
    mapError(err, key);
  }
}

/** Creates the object unless it exists; true when this call created it. */
export async function createObject(
  storage: Storage,
  key: string,
  body: Uint8Array,
  options: { contentType: string; cacheControl?: string; metadata?: Record<string, string> },
): Promise<boolean> {
  try {
    await storage.client.send(
      new PutObjectCommand({
        Bucket: storage.bucket,
        Key: key,
        Body: body,
        ContentType: options.contentType,
        CacheControl: options.cacheControl,
        Metadata: options.metadata,
        IfNoneMatch: "*",
      }),
    );
    return true;
  } catch (err) {
    // Content-addressed: an object already under this key holds these very bytes.
    const s = statusOf(err);
    if (s === 412 || s === 409) return false;
    // radosgw may answer 500 to the loser of a create race; the object existing afterwards says so.
    if (s === 500 && (await headObject(storage, key)) !== null) return false;
    mapError(err, key);
  }
}
