import { jpegOfSize, pngOfSize, webpOfSize } from "../fixtures/images.ts";
import { type BadCase, type Fixtures, T2I } from "./cases.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => new Uint8Array(b);

/** Copies `b` and applies `edit` to the copy. */
function edited(b: Uint8Array, edit: (c: Uint8Array) => void): Uint8Array {
  const c = b.slice();
  edit(c);
  return c;
}

function upload(
  name: string,
  body: Uint8Array,
  status: number,
  type: string,
  headers?: Record<string, string>,
): BadCase {
  return {
    name: `upload ${name}`,
    method: "POST",
    path: "/v1/uploads",
    raw: true,
    body,
    status,
    type,
    headers,
  };
}

/** Everything POST /v1/uploads must refuse: non-images, truncated and damaged images, bombs, limits, auth. */
export function uploadCases(real: Record<string, Uint8Array>, fx: Fixtures): BadCase[] {
  const png = real.png ?? new Uint8Array();
  const cases: BadCase[] = [
    { ...upload("without Authorization", png, 401, "unauthorized"), noAuth: true },
    upload("with a wrong key", png, 401, "unauthorized", { authorization: "Bearer nope" }),
    upload("with Basic auth", png, 401, "unauthorized", { authorization: `Basic ${btoa(`x:${fx.key}`)}` }),
    upload("empty body", new Uint8Array(), 422, "invalid-image"),
    upload("as a multipart form", png, 415, "unsupported-media-type", {
      "content-type": "multipart/form-data; boundary=x",
    }),
    upload("as a url-encoded form", png, 415, "unsupported-media-type", {
      "content-type": "application/x-www-form-urlencoded",
    }),
    upload(
      `of ${10 * 1024 * 1024 + 1} bytes`,
      new Uint8Array(10 * 1024 * 1024 + 1),
      413,
      "payload-too-large",
    ),
    upload(
      "png header over 10 MiB",
      edited(new Uint8Array(10 * 1024 * 1024 + 7), (c) => c.set(png.subarray(0, 33))),
      413,
      "payload-too-large",
    ),
  ];
  const notImages: [string, Uint8Array][] = [
    ["plain text", enc("hello, this is not an image")],
    ["JSON", enc('{"image":"png"}')],
    ["HTML", enc("<!doctype html><title>x</title>")],
    ["SVG", enc('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')],
    ["GIF87a", enc("GIF87a\x01\x00\x01\x00\x00\x00\x00;")],
    ["GIF89a", enc("GIF89a\x01\x00\x01\x00\x00\x00\x00;")],
    ["BMP", bytes(0x42, 0x4d, 0x3a, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 0x28, 0)],
    ["TIFF little-endian", bytes(0x49, 0x49, 0x2a, 0, 8, 0, 0, 0)],
    ["TIFF big-endian", bytes(0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8)],
    ["ICO", bytes(0, 0, 1, 0, 1, 0, 16, 16)],
    ["AVIF", bytes(0, 0, 0, 0x1c, ...enc("ftypavif"), 0, 0, 0, 0)],
    ["HEIC", bytes(0, 0, 0, 0x18, ...enc("ftypheic"), 0, 0, 0, 0)],
    ["JPEG XL", bytes(0xff, 0x0a, 0xfa, 0x7f)],
    ["PDF", enc("%PDF-1.7\n%âãÏÓ")],
    ["ZIP", bytes(0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0)],
    ["gzip", bytes(0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0)],
    ["ELF", bytes(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0)],
    ["RIFF WAVE", enc("RIFF\x24\x00\x00\x00WAVEfmt ")],
    ["one byte", bytes(0x89)],
    ["half a PNG signature", png.subarray(0, 4)],
    ["JPEG SOI without a marker", bytes(0xff, 0xd8, 0x00, 0x00)],
    ["random bytes", Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff)],
    ["PNG bytes base64-encoded", enc(btoa(String.fromCharCode(...png)))],
  ];
  for (const [name, body] of notImages) cases.push(upload(name, body, 415, "unsupported-media-type"));
  cases.push(
    upload("png declared image/png but text", enc("not a png"), 415, "unsupported-media-type", {
      "content-type": "image/png",
    }),
  );

  for (const [name, img] of Object.entries(real)) {
    const cuts = new Set([12, 33, Math.floor(img.length / 2), img.length - 2, img.length - 1]);
    for (const cut of cuts)
      if (cut < img.length)
        cases.push(upload(`${name} cut to ${cut} bytes`, img.subarray(0, cut), 422, "invalid-image"));
  }

  const jpeg = real.jpeg ?? new Uint8Array();
  const webp = real["webp-lossy"] ?? new Uint8Array();
  const damaged: [string, Uint8Array][] = [
    ["png with a bad IHDR CRC", edited(png, (c) => (c[29] = (c[29] ?? 0) ^ 0xff))],
    ["png with width 0", pngOfSize(0, 10)],
    ["png with bit depth 3", pngOfSize(8, 8, { depth: 3 })],
    ["png without IDAT", edited(pngOfSize(4, 4), (c) => c.set(enc("zzzz"), 37))],
    ["png whose IHDR is not first", edited(png, (c) => c.set(enc("IHDX"), 12))],
    ["jpeg with height 0", jpegOfSize(16, 0)],
    ["jpeg without a frame header", bytes(0xff, 0xd8, 0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0xff, 0xd9)],
    ["jpeg with a second SOI", bytes(0xff, 0xd8, 0xff, 0xd8, 0xff, 0xd9)],
    [
      "jpeg with junk between segments",
      edited(jpeg, (c) => (c[2 + 2 + ((c[4] ?? 0) << 8) + (c[5] ?? 0)] = 0x00)),
    ],
    ["jpeg EOI only", bytes(0xff, 0xd8, 0xff, 0xd9)],
    ["webp VP8 without start code", edited(webp, (c) => (c[23] = 0))],
    ["webp RIFF size too small", edited(webp, (c) => c.set([4, 0, 0, 0], 4))],
    ["webp with an unknown first chunk", edited(webp, (c) => c.set(enc("VP9 "), 12))],
    ["webp VP8L without signature", edited(real["webp-lossless"] ?? new Uint8Array(), (c) => (c[20] = 0))],
  ];
  for (const [name, body] of damaged) cases.push(upload(name, body, 422, "invalid-image"));

  const bombs: [string, Uint8Array][] = [
    ["png 100000×100000 over one row of data", pngOfSize(100_000, 100_000, { rows: 1 })],
    ["png 65535×65535 over one row", pngOfSize(65_535, 65_535, { rows: 1 })],
    ["png 4097×4097 (pixels)", pngOfSize(4097, 4097, { rows: 1 })],
    ["png 8193×1 (side)", pngOfSize(8193, 1)],
    ["png 1×20000 (side)", pngOfSize(1, 20_000, { rows: 1 })],
    ["jpeg 65535×65535", jpegOfSize(65_535, 65_535)],
    ["jpeg 5000×5000 without scan", jpegOfSize(5000, 5000, { complete: false })],
    ["webp 16384×16384", webpOfSize(16_384, 16_384)],
    ["webp 8193×2", webpOfSize(8193, 2)],
  ];
  for (const [name, body] of bombs) cases.push(upload(name, body, 422, "image-too-large"));
  return cases;
}

/** Ids that are malformed or name nothing, and methods a path does not allow. */
export function idAndMethodCases(fx: Fixtures): BadCase[] {
  const missing = "e".repeat(64);
  const get = (path: string, status = 404, type = "not-found"): BadCase => ({
    name: `GET ${path.slice(0, 90)}`,
    method: "GET",
    path,
    status,
    type,
  });
  const badIds = [
    "abc",
    "0".repeat(63),
    "0".repeat(65),
    "A".repeat(64),
    "g".repeat(64),
    "%00",
    "..%2F..%2Fetc",
    "%F0%9F%98%80",
    "%E0%A4%A",
    "a".repeat(1000),
    missing,
  ];
  const cases: BadCase[] = [
    ...badIds.map((id) => get(`/v1/jobs/${id}`)),
    ...badIds.slice(0, 5).map((id) => get(`/g/${id}`)),
    get(`/g/${missing}`),
    ...["abc", "A".repeat(64), missing].map((id) => get(`/r/${id}/0.png`)),
    ...["100.png", "x.png", "0.jpg", "-1.png", "0.png.exe"].map((f) => get(`/r/${missing}/${f}`)),
    ...["abc", missing, "A".repeat(64)].map((id) => get(`/v1/uploads/${id}`)),
    get("/v1/models/text-to-image/fashion-cdcgan/1/weights.bin"),
    get("/v1/models/text-to-image/fashion-cdcgan/1/model.json"),
    get("/v1/models/nope/x/1/sample.png"),
    get("/problems/nope"),
    get("/nowhere"),
    get("/v2/images/text-to-image"),
    {
      name: "POST unknown task",
      method: "POST",
      path: "/v1/images/unknown-task",
      body: "{}",
      status: 404,
      type: "not-found",
    },
  ];
  for (const id of ["abc", "A".repeat(64), missing]) {
    cases.push({
      name: `cancel ${id.slice(0, 8)}`,
      method: "POST",
      path: `/v1/jobs/${id}/cancel`,
      raw: true,
      status: 404,
      type: "not-found",
    });
  }
  cases.push(
    {
      name: "cancel a succeeded job",
      method: "POST",
      path: `/v1/jobs/${fx.succeeded}/cancel`,
      raw: true,
      status: 409,
      type: "conflict",
    },
    {
      name: "cancel without a key",
      method: "POST",
      path: `/v1/jobs/${fx.succeeded}/cancel`,
      raw: true,
      noAuth: true,
      status: 401,
      type: "unauthorized",
    },
  );
  const methods: [string, string][] = [
    ["PUT", T2I],
    ["DELETE", T2I],
    ["PATCH", T2I],
    ["GET", T2I],
    ["GET", "/v1/images/style-transfer"],
    ["GET", "/v1/uploads"],
    ["PUT", `/v1/uploads/${missing}`],
    ["DELETE", `/v1/jobs/${missing}`],
    ["GET", `/v1/jobs/${missing}/cancel`],
    ["POST", "/v1/models"],
    ["POST", `/r/${missing}/0.png`],
    ["POST", `/g/${missing}`],
    ["PUT", "/openapi.json"],
    ["POST", "/docs"],
  ];
  for (const [method, path] of methods) {
    cases.push({
      name: `${method} ${path}`,
      method,
      path,
      raw: true,
      body: method === "GET" ? undefined : "{}",
      status: 405,
      type: "method-not-allowed",
    });
  }
  return cases;
}
