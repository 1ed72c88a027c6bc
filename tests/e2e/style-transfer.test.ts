import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { useStackAndReceiver } from "../helpers/harness.ts";
import { singleSucceededPng } from "../helpers/results.ts";
import { postJson } from "../helpers/stack.ts";

// A Twemoji the pix2pix generator never trained on ("thinking face" is in the held-out split), as uploaded:
// a 64×64 PNG with an alpha channel.
const require = createRequire(import.meta.url);
const TWEMOJI = join(
  dirname(require.resolve("emoji-datasource-twitter/emoji.json")),
  "img",
  "twitter",
  "64",
  "1f914.png",
);

const h = useStackAndReceiver();

describe("one style-transfer request through the whole pipeline", () => {
  it("upload → noto-emoji job → worker runs the shipped pix2pix@1 → signed webhook → a PNG of the input's size", async () => {
    const input = await readFile(TWEMOJI);
    const uploaded = await fetch(`${h.stack.edge.url}/v1/uploads`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: input,
    });
    expect(uploaded.status).toBe(201);
    const upload = (await uploaded.json()) as { id: string; width: number; height: number };
    expect([upload.width, upload.height]).toEqual([64, 64]);

    const worker = h.stack.startWorker();
    const accepted = await postJson(`${h.stack.edge.url}/v1/images/style-transfer`, {
      input: upload.id,
      style: "noto-emoji",
      model: "pix2pix@1",
      webhook: { url: h.receiver.url("/style") },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ status: "queued", task: "style-transfer" });
    const id: string = accepted.json.id;

    const png = await singleSucceededPng(h.stack, h.receiver, "/style", id, () => worker.stop());
    expect([png.width, png.height]).toEqual([64, 64]);
    // A drawn emoji, not a blank canvas, and not the upload handed back (compared on white, as the worker
    // reads an upload with alpha).
    const values = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) values.add(png.data[i]!);
    expect(values.size).toBeGreaterThan(32);
    const original = await sharp(input).flatten({ background: "#ffffff" }).raw().toBuffer();
    let differs = 0;
    for (let p = 0; p < 64 * 64; p++) {
      const d = [0, 1, 2].map((c) => Math.abs(png.data[p * 4 + c]! - original[p * 3 + c]!));
      if (Math.max(...d) > 24) differs++;
    }
    expect(differs).toBeGreaterThan(64);

    const again = await postJson(`${h.stack.edge.url}/v1/images/style-transfer`, {
      input: upload.id,
      style: "noto-emoji",
      model: "pix2pix@1",
    });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({
      id,
      status: "succeeded",
      cached: true,
      outputs: [`${h.stack.edge.url}/r/${id}/0.png`],
    });
  });
});
