import { keys, sha256Hex, UploadView } from "@ganvas/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headObject } from "../src/s3-objects.ts";
import { pngOfSize, realImages } from "./fixtures/images.ts";
import { writeResult } from "./fixtures/results.ts";
import { call, expectProblem, type Harness, startHarness } from "./helpers.ts";

// Production mode (GANVAS_DEV=0), so results go through the Workers Cache API as they would when deployed.
let h: Harness;
const real = await realImages();

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const upload = (body: Uint8Array, headers: Record<string, string> = {}) =>
  call(h.url, "/v1/uploads", { method: "POST", headers: { ...h.auth(), ...headers }, body });

describe("POST /v1/uploads", () => {
  it.each(Object.keys(real))("stores %s content-addressed, once", async (name) => {
    const bytes = real[name] as Uint8Array;
    const id = await sha256Hex(bytes);
    const first = await upload(bytes);
    expect(first.status).toBe(201);
    const view = UploadView.parse(first.json());
    expect(view).toMatchObject({
      id,
      width: 64,
      height: 48,
      bytes: bytes.length,
      format: name.split("-")[0],
    });
    expect(first.headers.get("location")).toBe(`${h.url}/v1/uploads/${id}`);
    const stored = await h.storage.get(keys.input(id));
    expect(stored?.body).toEqual(bytes);
    expect(stored?.contentType).toBe(view.mediaType);
    expect((await headObject(h.storage, keys.input(id)))?.metadata).toEqual({
      format: view.format,
      width: "64",
      height: "48",
    });
    const again = await upload(bytes);
    expect(again.status).toBe(200);
    expect(again.json().id).toBe(id);
  });

  it("reads the format from the bytes, not from the Content-Type", async () => {
    const r = await upload(real["webp-lossless"] as Uint8Array, { "content-type": "image/gif" });
    expect(r.json()).toMatchObject({ format: "webp", mediaType: "image/webp" });
  });

  it("accepts images exactly at the pixel and side limits", async () => {
    for (const [w, hgt] of [
      [4096, 4096],
      [8192, 2048],
    ] as const) {
      const r = await upload(pngOfSize(w, hgt));
      expect(r.status, `${w}×${hgt}`).toBe(201);
      expect(r.json()).toMatchObject({ width: w, height: hgt });
    }
  });

  it("stops reading a body without Content-Length once it passes the limit", async () => {
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent++ < 12) ctrl.enqueue(chunk);
        else ctrl.close();
      },
    });
    const r = await call(h.url, "/v1/uploads", {
      method: "POST",
      headers: h.auth(),
      body,
      duplex: "half",
    } as never);
    expectProblem(r, 413, "payload-too-large");
  });
});

describe("GET /v1/uploads/:id", () => {
  it("serves the bytes with their media type, a strong ETag and 304", async () => {
    const bytes = real.jpeg as Uint8Array;
    const { id } = (await upload(bytes)).json();
    const r = await call(h.url, `/v1/uploads/${id}`);
    expect(r.status).toBe(200);
    expect(r.bytes).toEqual(bytes);
    expect(r.headers.get("content-type")).toBe("image/jpeg");
    const etag = r.headers.get("etag") as string;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect((await call(h.url, `/v1/uploads/${id}`, { headers: { "if-none-match": etag } })).status).toBe(304);
  });
});

describe("GET /r/:id/:i.png", () => {
  const id = "c".repeat(64);
  const png = real.png as Uint8Array;
  const path = `/r/${id}/0.png`;

  beforeAll(async () => {
    const spec = {
      task: "text-to-image" as const,
      model: "fashion-cdcgan@1",
      params: { prompt: "a bag", n: 2, seed: 5 },
      input: null,
    };
    await writeResult(h.storage, id, spec, [png, real["png-palette"] as Uint8Array]);
  });

  it("serves the PNG immutable with a strong ETag", async () => {
    const r = await call(h.url, path);
    expect(r.status).toBe(200);
    expect(r.bytes).toEqual(png);
    expect(r.headers.get("content-type")).toBe("image/png");
    expect(r.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(r.headers.get("etag")).toMatch(/^"[0-9a-f]+"$/);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("answers 304 to a matching If-None-Match, weak or in a list, and 200 otherwise", async () => {
    const etag = (await call(h.url, path)).headers.get("etag") as string;
    for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, "*"]) {
      const r = await call(h.url, path, { headers: { "if-none-match": inm } });
      expect(r.status, inm).toBe(304);
      expect(r.bytes.length).toBe(0);
      expect(r.headers.get("etag")).toBe(etag);
    }
    expect((await call(h.url, path, { headers: { "if-none-match": '"other"' } })).status).toBe(200);
  });

  it("answers HEAD with the headers and no body", async () => {
    const r = await call(h.url, `/r/${id}/1.png`, { method: "HEAD" });
    expect(r.status).toBe(200);
    expect(r.bytes.length).toBe(0);
    expect(r.headers.get("content-type")).toBe("image/png");
    expect(r.headers.get("etag")).toBeTruthy();
  });

  it("keeps serving from the Workers cache once S3 has been asked", async () => {
    const p = `/r/${id}/1.png`;
    await call(h.url, p);
    const hit = await call(h.url, p);
    expect(hit.headers.get("x-edge-cache")).toBe("HIT");
    await h.storage.delete(keys.resultImage(id, 1));
    const after = await call(h.url, p);
    expect(after.status).toBe(200);
    expect(after.bytes).toEqual(real["png-palette"]);
  });

  it("404s an index the result does not have", async () => {
    expectProblem(await call(h.url, `/r/${id}/7.png`), 404, "not-found");
  });
});
