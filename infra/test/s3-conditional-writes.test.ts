import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type S3Server, startS3ServerOnRandomPort } from "../src/index.ts";

// The job protocol depends on the server honouring If-None-Match / If-Match, so this runs against the real
// local S3 server rather than a mock.

let server: S3Server;
let s3: S3Client;

function clientFor(s: S3Server, secretAccessKey = s.secretAccessKey): S3Client {
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey },
  });
}

// radosgw compares If-Match on PUT byte for byte with its stored ETag, which has no quotes, so the quoted
// ETag it hands out never matches; AWS S3 and MinIO accept the bare form too, so callers send that.
function unquoted(etag: string | undefined): string {
  expect(etag).toMatch(/^"?[0-9a-f-]+"?$/);
  return (etag ?? "").replaceAll('"', "");
}

async function failure(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return error;
    throw error;
  }
  throw new Error("expected the request to fail");
}

beforeAll(async () => {
  server = await startS3ServerOnRandomPort();
  s3 = clientFor(server);
});

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

describe("local S3 server", () => {
  it("creates a key only once with If-None-Match: *", async () => {
    const Key = "jobs/create-once.json";
    await s3.send(new PutObjectCommand({ Bucket: server.bucket, Key, Body: "first", IfNoneMatch: "*" }));

    const error = await failure(
      s3.send(new PutObjectCommand({ Bucket: server.bucket, Key, Body: "second", IfNoneMatch: "*" })),
    );
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect(error.name).toBe("PreconditionFailed");

    const got = await s3.send(new GetObjectCommand({ Bucket: server.bucket, Key }));
    expect(await got.Body?.transformToString()).toBe("first");
  });

  it("replaces a key with If-Match only while the ETag is current", async () => {
    const Key = "jobs/compare-and-swap.json";
    const created = await s3.send(new PutObjectCommand({ Bucket: server.bucket, Key, Body: "v1" }));
    const staleEtag = unquoted(created.ETag);

    const updated = await s3.send(
      new PutObjectCommand({ Bucket: server.bucket, Key, Body: "v2", IfMatch: staleEtag }),
    );
    expect(unquoted(updated.ETag)).not.toBe(staleEtag);

    const stale = await failure(
      s3.send(new PutObjectCommand({ Bucket: server.bucket, Key, Body: "v3", IfMatch: staleEtag })),
    );
    expect(stale.$metadata.httpStatusCode).toBe(412);
    expect(stale.name).toBe("PreconditionFailed");

    const wrong = await failure(
      s3.send(new PutObjectCommand({ Bucket: server.bucket, Key, Body: "v3", IfMatch: "0123456789abcdef" })),
    );
    expect(wrong.$metadata.httpStatusCode).toBe(412);

    const got = await s3.send(new GetObjectCommand({ Bucket: server.bucket, Key }));
    expect(got.ETag).toBe(updated.ETag);
    expect(await got.Body?.transformToString()).toBe("v2");
  });

  it("lets exactly one of many concurrent conditional writers win", async () => {
    const writers = Array.from({ length: 12 }, (_, i) => `writer-${i}`);
    const outcome = async (puts: Promise<unknown>[]) => {
      const settled = await Promise.allSettled(puts);
      const failed = settled.flatMap((r) =>
        r.status === "rejected" ? [r.reason as S3ServiceException] : [],
      );
      return {
        won: settled.length - failed.length,
        codes: new Set(failed.map((e) => e.$metadata.httpStatusCode)),
      };
    };

    const Key = "jobs/race.json";
    const create = await outcome(
      writers.map((Body) =>
        s3.send(new PutObjectCommand({ Bucket: server.bucket, Key, Body, IfNoneMatch: "*" })),
      ),
    );
    expect(create).toEqual({ won: 1, codes: new Set([412]) });

    // The ETag is the MD5 of the body, so a writer that rewrote identical bytes would leave it unchanged and
    // let the next writer through too: every compare-and-swap must change the content.
    const IfMatch = unquoted((await s3.send(new HeadObjectCommand({ Bucket: server.bucket, Key }))).ETag);
    const swap = await outcome(
      writers.map((w) =>
        s3.send(new PutObjectCommand({ Bucket: server.bucket, Key, Body: `${w}+1`, IfMatch })),
      ),
    );
    expect(swap).toEqual({ won: 1, codes: new Set([412]) });
  });

  it("returns the stored bytes", async () => {
    const Key = "results/bytes/0.png";
    const body = new Uint8Array(70_000).map((_, i) => (i * 31 + 7) % 256);
    await s3.send(new PutObjectCommand({ Bucket: server.bucket, Key, Body: body, ContentType: "image/png" }));

    const got = await s3.send(new GetObjectCommand({ Bucket: server.bucket, Key }));
    expect(got.ContentType).toBe("image/png");
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    expect(bytes.length).toBe(body.length);
    expect(bytes.equals(body)).toBe(true);
  });

  it("lists a prefix in key order", async () => {
    const keys = ["queue/0000000000003-c", "queue/0000000000001-a", "queue/0000000000002-b"];
    await Promise.all(
      keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: server.bucket, Key, Body: Key }))),
    );
    await s3.send(new PutObjectCommand({ Bucket: server.bucket, Key: "queued-elsewhere", Body: "x" }));

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: "queue/" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([...keys].sort());

    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: server.bucket, Prefix: "queue/", MaxKeys: 2 }),
    );
    expect(page.Contents?.map((o) => o.Key)).toEqual(["queue/0000000000001-a", "queue/0000000000002-b"]);
    expect(page.IsTruncated).toBe(true);
    const rest = await s3.send(
      new ListObjectsV2Command({
        Bucket: server.bucket,
        Prefix: "queue/",
        ContinuationToken: page.NextContinuationToken,
      }),
    );
    expect(rest.Contents?.map((o) => o.Key)).toEqual(["queue/0000000000003-c"]);
  });

  it("rejects a wrong secret with 403", async () => {
    const intruder = clientFor(server, "not-the-secret");
    try {
      const error = await failure(
        intruder.send(new PutObjectCommand({ Bucket: server.bucket, Key: "jobs/intruder.json", Body: "x" })),
      );
      expect(error.$metadata.httpStatusCode).toBe(403);
      expect(error.name).toBe("SignatureDoesNotMatch");
    } finally {
      intruder.destroy();
    }
  });
});
