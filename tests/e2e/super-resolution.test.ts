import { readFile } from "node:fs/promises";
import { PNG } from "pngjs";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { useStackAndReceiver } from "../helpers/harness.ts";
import { singleSucceededPng } from "../helpers/results.ts";
import { postJson } from "../helpers/stack.ts";

// A 96×96 crop of a held-out photo, shipped with the model; reduced to 60×44 so the sides are not square.
const PROBE = new URL("../../models/super-resolution/srgan/1/probe.png", import.meta.url);

const h = useStackAndReceiver();

describe("one super-resolution request through the whole pipeline", () => {
  it("upload → ×2 job → worker runs the shipped srgan (newest version) → signed webhook → a PNG of twice the size", async () => {
    const input = await sharp(await readFile(PROBE))
      .resize(60, 44, { fit: "fill" })
      .png()
      .toBuffer();
    const uploaded = await fetch(`${h.stack.edge.url}/v1/uploads`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: input,
    });
    expect(uploaded.status).toBe(201);
    const upload = (await uploaded.json()) as { id: string; width: number; height: number };
    expect([upload.width, upload.height]).toEqual([60, 44]);

    const worker = h.stack.startWorker();
    const accepted = await postJson(`${h.stack.edge.url}/v1/images/super-resolution`, {
      input: upload.id,
      scale: 2,
      webhook: { url: h.receiver.url("/sr") },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ status: "queued", task: "super-resolution" });
    const id: string = accepted.json.id;

    const png = await singleSucceededPng(h.stack, h.receiver, "/sr", id, () => worker.stop());
    expect([png.width, png.height]).toEqual([120, 88]);
    // An upscaled photo, not a blank canvas.
    const values = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) values.add(png.data[i]!);
    expect(values.size).toBeGreaterThan(64);
  });

  it("serves ×4 from the same upload, 4× the size, answered with Prefer: wait", async () => {
    const input = await sharp(await readFile(PROBE))
      .resize(60, 44, { fit: "fill" })
      .png()
      .toBuffer();
    const uploaded = await fetch(`${h.stack.edge.url}/v1/uploads`, { method: "POST", body: input });
    expect([200, 201]).toContain(uploaded.status); // 200 when the first test stored the same bytes
    const { id: upload } = (await uploaded.json()) as { id: string };
    const worker = h.stack.startWorker();
    const done = await postJson(
      `${h.stack.edge.url}/v1/images/super-resolution`,
      { input: upload, scale: 4 },
      { prefer: "wait=60" },
    );
    await worker.stop();
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ status: "succeeded", task: "super-resolution" });
    const res = await fetch(done.json.outputs[0]);
    const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    expect([png.width, png.height]).toEqual([240, 176]);
  });
});
