import {
  CATALOG_CHOICES,
  cacheKey,
  JobView,
  keys,
  ModelsView,
  readJob,
  sha256Hex,
  TextToImageRequest,
  textToImageSpec,
  updateJob,
} from "@ganvas/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realImages } from "./fixtures/images.ts";
import { writeResult } from "./fixtures/results.ts";
import { call, expectProblem, type Harness, postJson, startHarness } from "./helpers.ts";

let h: Harness;
const real = await realImages();
const T2I = "/v1/images/text-to-image";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

/** Plays the worker: writes the result for a job the edge created. */
async function finish(view: JobView) {
  await writeResult(h.storage, view.id, view, [real.png as Uint8Array, real["png-palette"] as Uint8Array]);
}

describe("POST /v1/images/text-to-image", () => {
  it("creates a job once and joins repeats of it", async () => {
    const first = await postJson(h, T2I, { prompt: "a bag", seed: 3 });
    expect(first.status).toBe(202);
    const view = JobView.parse(first.json());
    expect(first.headers.get("location")).toBe(view.links.self);
    const second = await postJson(h, T2I, { prompt: "  a   bag ", seed: 3 });
    expect(second.json().id).toBe(view.id);
    const listed = await h.storage.list("");
    expect(listed.filter((k) => k.includes(view.id))).toHaveLength(2); // the job and its queue marker
  });

  it("answers 200 from the cache once the result exists", async () => {
    const created = JobView.parse((await postJson(h, T2I, { prompt: "a coat", n: 2 })).json());
    await finish(created);
    const again = await postJson(h, T2I, { prompt: "a coat", n: 2 });
    expect(again.status).toBe(200);
    expect(again.json()).toMatchObject({ id: created.id, status: "succeeded", cached: true });
    expect(again.json().outputs).toEqual([
      `${h.url}/r/${created.id}/0.png`,
      `${h.url}/r/${created.id}/1.png`,
    ]);
  });

  it("records a https webhook with its event filter on the job", async () => {
    const webhook = { url: "https://hooks.example.com/ganvas?x=1", events: ["job.failed"] };
    const r = await postJson(h, T2I, { prompt: "a sandal", webhook });
    expect(r.status).toBe(202);
    const job = await readJob(h.storage, r.json().id);
    expect(job?.value.subscribers).toEqual([{ ...webhook, id: expect.stringMatching(/^sub_/) }]);
  });

  it("names every invalid field at once", async () => {
    const body = expectProblem(await postJson(h, T2I, { prompt: "", n: 99, extra: 1 }), 422, "validation");
    expect(body.errors?.map((e) => e.path).sort()).toEqual(["(body)", "n", "prompt"]);
  });

  it("lists what is available when a model or prompt is unknown", async () => {
    const model = expectProblem(
      await postJson(h, T2I, { prompt: "a dress", model: "dalle" }),
      422,
      "validation",
    );
    expect(model.errors).toEqual([
      { path: "model", message: expect.stringContaining("available: fashion-cdcgan@1") },
    ]);
    const prompt = expectProblem(await postJson(h, T2I, { prompt: "a spaceship" }), 422, "validation");
    expect(prompt.errors?.[0]).toMatchObject({ path: "prompt", message: expect.stringContaining("sneaker") });
  });
});

describe("Prefer: wait", () => {
  it("holds the request until the result appears", async () => {
    const body = { prompt: "a shirt", seed: 11 };
    const id = await cacheKey(await textToImageSpec(TextToImageRequest.parse(body)));
    const t0 = Date.now();
    const pending = postJson(h, T2I, body, { prefer: "wait=10" });
    await sleep(700);
    const job = await readJob(h.storage, id);
    expect(job?.value.status).toBe("queued");
    await writeResult(h.storage, id, job!.value, [real.png as Uint8Array]);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.headers.get("preference-applied")).toBe("wait=10");
    expect(r.json()).toMatchObject({
      id,
      status: "succeeded",
      cached: false,
      outputs: [`${h.url}/r/${id}/0.png`],
      attempts: job?.value.attempts,
      // When the job was submitted, before its result was written.
      createdAt: new Date(job?.value.createdAt ?? 0).toISOString(),
    });
    expect(Date.parse(r.json().finishedAt)).toBeGreaterThan(job?.value.createdAt ?? 0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("answers 202 when the wait runs out", async () => {
    const t0 = Date.now();
    const r = await postJson(h, T2I, { prompt: "a pullover" }, { prefer: "respond-async, wait=1" });
    expect(r.status).toBe(202);
    expect(r.headers.get("preference-applied")).toBe("wait=1");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it("stops waiting as soon as the job is canceled", async () => {
    const created = JobView.parse((await postJson(h, T2I, { prompt: "a dress", seed: 99 })).json());
    const t0 = Date.now();
    const waiting = postJson(h, T2I, { prompt: "a dress", seed: 99 }, { prefer: "wait=30" });
    await sleep(500);
    expect(
      (await call(h.url, `/v1/jobs/${created.id}/cancel`, { method: "POST", headers: h.auth() })).status,
    ).toBe(200);
    const r = await waiting;
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ id: created.id, status: "canceled" });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("caps the wait at 60 seconds", async () => {
    const created = JobView.parse((await postJson(h, T2I, { prompt: "a trouser" })).json());
    const waiting = postJson(h, T2I, { prompt: "a trouser" }, { prefer: "wait=3600" });
    await sleep(300);
    await finish(created);
    const r = await waiting;
    expect(r.headers.get("preference-applied")).toBe("wait=60");
    expect(r.status).toBe(200);
  });
});

describe("POST /v1/jobs/:id/cancel", () => {
  it("cancels a queued job, and canceling again changes nothing", async () => {
    const created = JobView.parse((await postJson(h, T2I, { prompt: "a tote" })).json());
    expect(created.links.cancel).toBe(`${h.url}/v1/jobs/${created.id}/cancel`);
    const first = await call(h.url, `/v1/jobs/${created.id}/cancel`, { method: "POST", headers: h.auth() });
    expect(first.status).toBe(200);
    expect(JobView.parse(first.json()).status).toBe("canceled");
    const second = await call(h.url, `/v1/jobs/${created.id}/cancel`, { method: "POST", headers: h.auth() });
    expect(second.json()).toMatchObject({ status: "canceled", finishedAt: first.json().finishedAt });
    expect((await call(h.url, `/v1/jobs/${created.id}`)).json().status).toBe("canceled");
    // Asking again starts it afresh.
    const retry = await postJson(h, T2I, { prompt: "a tote" });
    expect(retry.json()).toMatchObject({ id: created.id, status: "queued" });
  });

  it("refuses to cancel a finished job and 404s an unknown one", async () => {
    const created = JobView.parse((await postJson(h, T2I, { prompt: "a parka" })).json());
    await finish(created);
    await updateJob(h.storage, created.id, (j) => ({ ...j, status: "succeeded", finishedAt: Date.now() }));
    const refused = await call(h.url, `/v1/jobs/${created.id}/cancel`, { method: "POST", headers: h.auth() });
    expect(expectProblem(refused, 409, "conflict").detail).toMatch(/succeeded/);
    expectProblem(
      await call(h.url, `/v1/jobs/${"9".repeat(64)}/cancel`, { method: "POST", headers: h.auth() }),
      404,
      "not-found",
    );
  });
});

describe("style transfer and super-resolution", () => {
  it("create jobs from an upload id", async () => {
    const { id } = (
      await call(h.url, "/v1/uploads", { method: "POST", headers: h.auth(), body: real.jpeg })
    ).json();
    const st = await postJson(h, "/v1/images/style-transfer", { input: id, style: "low-poly" });
    expect(st.status).toBe(202);
    expect(st.json()).toMatchObject({
      task: "style-transfer",
      model: "cyclegan@3",
      params: { style: "low-poly" },
      input: id,
    });
    const pix = await postJson(h, "/v1/images/style-transfer", { input: id, style: "noto-emoji" });
    expect(pix.json().model).toBe("pix2pix@1");
    const sr = await postJson(h, "/v1/images/super-resolution", { input: id, scale: 4 });
    expect(sr.json()).toMatchObject({
      task: "super-resolution",
      model: "srgan@3",
      params: { scale: 4 },
      input: id,
    });
  });

  it("treats an inline image like an upload of the same bytes", async () => {
    const bytes = real["webp-alpha"] as Uint8Array;
    const image = `data:image/webp;base64,${Buffer.from(bytes).toString("base64")}`;
    const inline = await postJson(h, "/v1/images/super-resolution", { image });
    expect(inline.status).toBe(202);
    const sha = await sha256Hex(bytes);
    expect(inline.json().input).toBe(sha);
    expect((await h.storage.get(keys.input(sha)))?.body).toEqual(bytes);
    const byId = await postJson(h, "/v1/images/super-resolution", { input: sha, scale: 2 });
    expect(byId.json().id).toBe(inline.json().id);
  });
});

describe("GET /v1/models", () => {
  it("lists the built-in catalog when the bucket has no registry", async () => {
    const r = await call(h.url, "/v1/models");
    expect(r.status).toBe(200);
    const body = ModelsView.parse(r.json());
    expect(body.source).toBe("catalog");
    expect(body.tasks.map((t) => [t.task, t.default])).toEqual([
      ["text-to-image", "fashion-cdcgan@3"],
      ["style-transfer", "cyclegan@3"],
      ["super-resolution", "srgan@3"],
    ]);
    expect(body.tasks[2]?.models[0]?.scales).toEqual([2, 4]);
    // Each text model says what it reads in a prompt; image-to-image models read none.
    const understands = (name: string) => body.tasks[0]?.models.find((m) => m.name === name)?.understands;
    expect(understands("digits-cdcgan")).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(understands("fashion-cdcgan")).toContain("ankle boot");
    expect(understands("shapes-tcgan")).toEqual(expect.arrayContaining(["triangle", "red", "left"]));
    expect(body.tasks[1]?.models[0]?.understands).toBeUndefined();
  });

  it("follows models/registry.json: models, styles, defaults, metrics and sample images", async () => {
    const registry = {
      schema: 1,
      defaults: { "style-transfer": "cyclegan" },
      models: [
        ...CATALOG_CHOICES.models.filter((m) => m.task !== "style-transfer"),
        { task: "style-transfer", name: "cyclegan", version: 1, styles: ["starry-night"], active: false },
        {
          task: "style-transfer",
          name: "cyclegan",
          version: 2,
          styles: ["ukiyo-e"],
          metrics: { styleAccuracy: 0.93 },
          sample: "sample.png",
          card: "card.json",
        },
      ],
    };
    await h.storage.putJson(keys.registry, registry);
    await h.storage.put(keys.model("style-transfer", "cyclegan", 2, "sample.png"), real.png as Uint8Array);
    await h.storage.put(keys.model("style-transfer", "cyclegan", 2, "weights.bin"), new Uint8Array(8));
    try {
      const body = ModelsView.parse((await call(h.url, "/v1/models")).json());
      expect(body.source).toBe("registry");
      const st = body.tasks.find((t) => t.task === "style-transfer");
      expect(st?.default).toBe("cyclegan@2");
      const v2 = st?.models.find((m) => m.version === 2);
      expect(v2).toMatchObject({ active: true, default: true, metrics: { styleAccuracy: 0.93 } });
      const sample = await call(h.url, new URL(v2?.sample ?? "").pathname);
      expect(sample.bytes).toEqual(real.png);
      expectProblem(await call(h.url, "/v1/models/style-transfer/cyclegan/2/weights.bin"), 404, "not-found");

      const { id } = (
        await call(h.url, "/v1/uploads", { method: "POST", headers: h.auth(), body: real.png })
      ).json();
      const ok = await postJson(h, "/v1/images/style-transfer", { input: id, style: "ukiyo-e" });
      expect(ok.json().model).toBe("cyclegan@2");
      const old = expectProblem(
        await postJson(h, "/v1/images/style-transfer", { input: id, style: "starry-night" }),
        422,
        "validation",
      );
      expect(old.errors).toEqual([{ path: "style", message: expect.stringContaining("available: ukiyo-e") }]);
    } finally {
      await h.storage.delete(keys.registry);
    }
  });

  it("falls back to the catalog when the registry does not parse", async () => {
    await h.storage.put(keys.registry, "{ not json", { contentType: "application/json" });
    try {
      expect((await call(h.url, "/v1/models")).json().source).toBe("catalog");
      expect((await postJson(h, T2I, { prompt: "a boot" })).status).toBe(202);
    } finally {
      await h.storage.delete(keys.registry);
    }
  });
});
