import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { z } from "zod";

export interface StorageConfig {
  endpoint: string;
  region?: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** How long one S3 call may take before it fails as unavailable (default 30 s). */
  requestTimeoutMs?: number;
}

/** A conditional write lost its race: someone else wrote the key first (If-None-Match) or since (If-Match). */
export class PreconditionFailedError extends Error {
  constructor(readonly key: string) {
    super(`conditional write to ${key} lost a race`);
    this.name = "PreconditionFailedError";
  }
}

/** The S3 server could not be reached or answered 5xx; callers turn this into 503 or a retry. */
export class StorageUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`storage unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "StorageUnavailableError";
  }
}

export interface PutOptions {
  contentType?: string;
  cacheControl?: string;
  /** "*" creates only if absent. */
  ifNoneMatch?: "*";
  /** Replace only if the stored ETag is still this one. */
  ifMatch?: string;
}

export interface StoredObject {
  body: Uint8Array;
  etag: string;
  contentType: string | undefined;
}

export interface ObjectStream {
  body: ReadableStream<Uint8Array>;
  etag: string;
  contentLength: number | undefined;
  contentType: string | undefined;
}

function status(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}

function isNotFound(err: unknown): boolean {
  const s = status(err);
  return s === 404 || (err instanceof Error && (err.name === "NoSuchKey" || err.name === "NotFound"));
}

/** Anything that is not a definite answer from S3 about the request itself. */
function rethrow(err: unknown, key: string): never {
  if (status(err) === 412 || (err instanceof Error && err.name === "PreconditionFailed")) {
    throw new PreconditionFailedError(key);
  }
  const s = status(err);
  if (s === undefined || s >= 500) throw new StorageUnavailableError(err);
  throw err;
}

/** A small client over @aws-sdk/client-s3 with the operations the job protocol needs. */
export class Storage {
  readonly client: S3Client;
  readonly bucket: string;

  constructor(config: StorageConfig) {
    this.bucket = config.bucket;
    this.client = new S3Client({
      endpoint: config.endpoint,
      region: config.region ?? "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      // Retries belong to the job protocol (it knows what is safe to repeat), not to every call.
      maxAttempts: 2,
      // A stalled connection must fail like a refused one (StorageUnavailableError), not hang a worker or a
      // request forever; the longest call is a result upload of a few MB on a nearby bucket.
      requestHandler: {
        connectionTimeout: Math.min(5_000, config.requestTimeoutMs ?? 5_000),
        requestTimeout: config.requestTimeoutMs ?? 30_000,
        throwOnRequestTimeout: true,
      },
    });
  }

  async get(key: string): Promise<StoredObject | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      return { body, etag: out.ETag ?? "", contentType: out.ContentType };
    } catch (err) {
      if (isNotFound(err)) return null;
      rethrow(err, key);
    }
  }

  async getStream(key: string, ifNoneMatch?: string): Promise<ObjectStream | "not-modified" | null> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, IfNoneMatch: ifNoneMatch }),
      );
      if (!out.Body) return null;
      return {
        body: out.Body.transformToWebStream() as ReadableStream<Uint8Array>,
        etag: out.ETag ?? "",
        contentLength: out.ContentLength,
        contentType: out.ContentType,
      };
    } catch (err) {
      if (status(err) === 304) return "not-modified";
      if (isNotFound(err)) return null;
      rethrow(err, key);
    }
  }

  async getJson<S extends z.ZodType>(
    key: string,
    schema: S,
  ): Promise<{ value: z.infer<S>; etag: string } | null> {
    const obj = await this.get(key);
    if (obj === null) return null;
    return { value: schema.parse(JSON.parse(new TextDecoder().decode(obj.body))), etag: obj.etag };
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      rethrow(err, key);
    }
  }

  /** Returns the new ETag. Throws PreconditionFailedError when a condition does not hold. */
  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<string> {
    const conditional = options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: typeof body === "string" ? new TextEncoder().encode(body) : body,
          ContentType: options.contentType,
          CacheControl: options.cacheControl,
          IfNoneMatch: options.ifNoneMatch,
          // radosgw compares If-Match with its stored, unquoted ETag; AWS and R2 accept either form.
          IfMatch: options.ifMatch?.replace(/^"|"$/g, ""),
        }),
      );
      return out.ETag ?? "";
    } catch (err) {
      // A conditional write that lost a race can surface as 409 (AWS) or 500 (radosgw) instead of 412;
      // either way the caller must re-read and decide again, which is exactly what 412 asks for.
      const s = status(err);
      if (conditional && (s === 409 || s === 500)) throw new PreconditionFailedError(key);
      rethrow(err, key);
    }
  }

  putJson(key: string, value: unknown, options: Omit<PutOptions, "contentType"> = {}): Promise<string> {
    return this.put(key, JSON.stringify(value), { ...options, contentType: "application/json" });
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if (isNotFound(err)) return;
      rethrow(err, key);
    }
  }

  /** All keys under a prefix, in key order. */
  async list(prefix: string, limit = 1000): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: token,
            MaxKeys: Math.min(1000, limit - out.length),
          }),
        );
        for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token && out.length < limit);
    } catch (err) {
      rethrow(err, prefix);
    }
    return out;
  }
}
