import { JobRecord, keys, verifyWebhook, WebhookPayload } from "@ganvas/shared";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { useStackAndReceiver } from "../helpers/harness.ts";
import { postJson } from "../helpers/stack.ts";

const h = useStackAndReceiver();

describe("one text-to-image request through the whole pipeline", () => {
  it("goes edge → S3 → worker → generator → S3 → signed webhook → cached link", async () => {
    const worker = h.stack.startWorker();
    const body = { prompt: "an ankle boot", n: 2, seed: 42, webhook: { url: h.receiver.url("/one") } };

    const accepted = await postJson(`${h.stack.edge.url}/v1/images/text-to-image`, body);
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ status: "queued", cached: false, task: "text-to-image" });
    const id: string = accepted.json.id;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(accepted.headers.get("location")).toBe(`${h.stack.edge.url}/v1/jobs/${id}`);

    const [delivery] = await h.receiver.waitFor(1, 90_000, "/one");
    const payload = WebhookPayload.parse(
      await verifyWebhook(h.stack.webhookSecret, delivery!.headers as never, delivery!.body),
    );
    expect(payload.type).toBe("job.succeeded");
    expect(payload.data.id).toBe(id);
    expect(payload.data.outputs).toEqual([0, 1].map((i) => `${h.stack.edge.url}/r/${id}/${i}.png`));
    expect(payload.data.gallery).toBe(`${h.stack.edge.url}/g/${id}`);

    const res = await fetch(payload.data.outputs[0]!);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const etag = res.headers.get("etag");
    expect(etag).toMatch(/^"[^"]+"$/);
    const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    expect([png.width, png.height]).toEqual([28, 28]);
    // A generated garment is not a blank canvas: its pixels vary.
    const values = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) values.add(png.data[i]!);
    expect(values.size).toBeGreaterThan(16);

    const revalidated = await fetch(payload.data.outputs[0]!, { headers: { "if-none-match": etag! } });
    expect(revalidated.status).toBe(304);

    const jobRes = await fetch(`${h.stack.edge.url}/v1/jobs/${id}`);
    expect(await jobRes.json()).toMatchObject({
      id,
      status: "succeeded",
      attempts: 1,
      outputs: payload.data.outputs,
    });

    const gallery = await fetch(payload.data.gallery!);
    expect(gallery.status).toBe(200);
    const page = await gallery.text();
    expect(page).toContain("an ankle boot");
    expect(page).toContain(`property="og:image" content="${payload.data.outputs[0]}"`);

    await worker.stop();
    const again = await postJson(`${h.stack.edge.url}/v1/images/text-to-image`, body);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({
      id,
      status: "succeeded",
      cached: true,
      outputs: payload.data.outputs,
    });

    // Exactly one delivery: nothing re-sent while the test went on.
    expect(h.receiver.deliveries.filter((d) => d.path === "/one")).toHaveLength(1);
  });

  it("joins identical requests into one job and notifies both callers", async () => {
    const body = (path: string) => ({
      prompt: "a summer dress",
      seed: 7,
      webhook: { url: h.receiver.url(path) },
    });
    const [a, b] = await Promise.all([
      postJson(`${h.stack.edge.url}/v1/images/text-to-image`, body("/twin-a")),
      postJson(`${h.stack.edge.url}/v1/images/text-to-image`, body("/twin-b")),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.json.id).toBe(b.json.id);
    const markers = (await h.stack.storage.list(keys.queuePrefix)).filter((k) => k.endsWith(a.json.id));
    expect(markers.length).toBeGreaterThanOrEqual(1);

    const worker = h.stack.startWorker();
    const [da] = await h.receiver.waitFor(1, 90_000, "/twin-a");
    const [db] = await h.receiver.waitFor(1, 10_000, "/twin-b");
    await worker.stop();
    for (const d of [da!, db!]) {
      const p = WebhookPayload.parse(await verifyWebhook(h.stack.webhookSecret, d.headers as never, d.body));
      expect(p).toMatchObject({ type: "job.succeeded", data: { id: a.json.id } });
    }
    expect(da!.headers["webhook-id"]).not.toBe(db!.headers["webhook-id"]);
    const job = await h.stack.storage.getJson(keys.job(a.json.id), JobRecord);
    expect(job?.value).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(job?.value.subscribers).toHaveLength(2);
    expect(await h.stack.storage.list(`results/${a.json.id}/`)).toEqual([
      `results/${a.json.id}/0.png`,
      `results/${a.json.id}/manifest.json`,
    ]);
  });
});
