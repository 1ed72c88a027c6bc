import { JobRecord, keys, verifyWebhook, WebhookPayload } from "@ganvas/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { postJson, startStack, type TestStack } from "../helpers/stack.ts";
import { WorkerPool, waitFor } from "../helpers/workers.ts";

// Three worker processes share the queue while the test kills them with SIGKILL at random and starts them
// again. A short lease makes takeovers quick; every timing is configuration, not a sleep in the test.
const JOBS = 100;
const WAVES = 10;
const WAVE_EVERY_MS = 1000;
/** Three kills, three or more waves apart: more than a lease between them, so takeovers finish in between. */
const KILL_AFTER_WAVES = [1, 4, 7];
const KILLS = KILL_AFTER_WAVES.length;
const LEASE_MS = 1500;
const PROMPTS = [
  "a t-shirt",
  "a trouser",
  "a pullover",
  "a dress",
  "a coat",
  "a sandal",
  "a sneaker",
  "a bag",
];

let stack: TestStack;
let receiver: Receiver;
let pool: WorkerPool;

beforeAll(async () => {
  [stack, receiver] = await Promise.all([
    startStack({ edgeVars: { GANVAS_RATE_LIMIT_PER_MINUTE: "0" } }),
    startReceiver(),
  ]);
  pool = new WorkerPool(stack, {
    GANVAS_LEASE_MS: String(LEASE_MS),
    GANVAS_BATCH_MAX: "8",
    // A window long enough that a worker visibly holds its claimed jobs for a moment on any machine.
    GANVAS_BATCH_WINDOW_MS: "250",
    GANVAS_WEBHOOK_TIMEOUT_MS: "2000",
    GANVAS_BACKOFF_MAX_MS: "1000",
  });
  await pool.start(3);
});

afterAll(async () => {
  await pool?.stop();
  await Promise.all([stack?.stop(), receiver?.close()]);
});

const post = (i: number, path: string) =>
  postJson(`${stack.edge.url}/v1/images/text-to-image`, {
    prompt: PROMPTS[i % PROMPTS.length],
    n: 2,
    seed: 1000 + i,
    webhook: { url: receiver.url(path) },
  });

describe("fault tolerance: workers killed with SIGKILL while running", () => {
  it(`3 workers, ${JOBS} jobs, ${KILLS} random kill -9 and restarts: every job succeeds, every subscriber hears once per job`, async () => {
    const ids: string[] = [];
    const subscribedA = new Set<string>();
    const joined = new Set<string>();
    const kills: { victim: string; held: string[] }[] = [];

    // The chaos: once wave KILL_AFTER_WAVES[k] is posted, kill -9 a random worker among those that hold leases
    // at that moment, and start a new one in its place. It runs beside the waves, never holding them up: on a
    // fast machine a wave can be done before anyone looks, and the next wave brings new work to catch. The
    // victim is killed as soon as its metrics show what it holds, so the jobs it dies with are the ones it
    // listed. A job is allowed 3 attempts (the edge's maxAttempts), so a worker holding a job already taken
    // over once is spared: this test is about takeovers, not about running out of attempts (the in-process
    // runtime tests cover that).
    let wavesPosted = 0;
    const killOneHolding = async () => {
      let victim: number | undefined;
      let held: string[] = [];
      await waitFor(
        "a worker holding only first attempts",
        async () => {
          const all = await Promise.all([0, 1, 2].map((slot) => pool.metrics(slot)));
          const candidates = [0, 1, 2].filter((slot) => {
            const jobs = all[slot]?.heldJobs ?? [];
            return jobs.length > 0 && jobs.every((j) => j.attempts < 2);
          });
          victim = candidates[Math.floor(Math.random() * candidates.length)];
          if (victim === undefined) return false;
          held = (all[victim]?.heldJobs ?? []).map((j) => j.id);
          return true;
        },
        30_000,
        () => `waves posted: ${wavesPosted}`,
        5,
      );
      const dead = await pool.kill(victim!);
      kills.push({ victim: dead.name, held });
      await pool.restart(victim!);
    };
    const chaos = (async () => {
      for (const after of KILL_AFTER_WAVES) {
        await waitFor(
          `wave ${after}`,
          () => wavesPosted > after,
          60_000,
          () => "",
          20,
        );
        await killOneHolding();
      }
    })();
    chaos.catch(() => {});

    // Jobs arrive through the edge in waves; every fifth is asked for twice at once, so it has two subscribers.
    for (let w = 0; w < WAVES; w++) {
      const wave = Array.from({ length: JOBS / WAVES }, (_, k) => w * (JOBS / WAVES) + k);
      const [answers, twins] = await Promise.all([
        Promise.all(wave.map((i) => post(i, "/a"))),
        Promise.all(wave.filter((i) => i % 5 === 0).map((i) => post(i, "/b"))),
      ]);
      // 202: queued or joined, so a webhook will come. 200: the result already existed (the other request's
      // job finished first), which is answered at once and subscribes nobody.
      for (const a of [...answers, ...twins]) expect([200, 202]).toContain(a.status);
      for (const a of answers) ids.push(a.json.id);
      for (const a of answers) if (a.status === 202) subscribedA.add(a.json.id);
      for (const t of twins) if (t.status === 202) joined.add(t.json.id);
      wavesPosted = w + 1;
      await new Promise((r) => setTimeout(r, WAVE_EVERY_MS));
    }
    await chaos;

    expect(ids).toHaveLength(JOBS);
    expect(new Set(ids).size).toBe(JOBS);
    expect(subscribedA.size).toBeGreaterThan(JOBS - JOBS / 5 - 1);
    expect(joined.size).toBeGreaterThan(0);

    const records = async () =>
      Promise.all(ids.map(async (id) => (await stack.storage.getJson(keys.job(id), JobRecord))?.value));
    await waitFor(
      "every job to succeed",
      async () => (await records()).every((j) => j?.status === "succeeded"),
      60_000,
      async () => {
        const counts: Record<string, number> = {};
        for (const j of await records())
          counts[j?.status ?? "missing"] = (counts[j?.status ?? "missing"] ?? 0) + 1;
        return JSON.stringify(counts);
      },
    );
    const expectedA = subscribedA.size;
    const expectedB = joined.size;
    await waitFor(
      "every subscriber to hear of every job",
      () => receiver.byWebhookId("/a").size >= expectedA && receiver.byWebhookId("/b").size >= expectedB,
      60_000,
      () =>
        `a: ${receiver.byWebhookId("/a").size}/${expectedA}, b: ${receiver.byWebhookId("/b").size}/${expectedB}`,
    );

    // The kills hit running work: some jobs were taken over from a dead worker, and that attempt counted.
    const final = (await records()) as JobRecord[];
    expect(kills).toHaveLength(KILLS);
    expect(kills.every((k) => k.held.length > 0)).toBe(true);
    // The jobs a victim held when it died were taken over: a second attempt, by another worker.
    const orphaned = new Set(kills.flatMap((k) => k.held));
    expect(final.some((j) => orphaned.has(j.id) && j.attempts >= 2)).toBe(true);
    expect(final.every((j) => j.attempts <= j.maxAttempts)).toBe(true);
    for (const j of final) {
      const manifest = await stack.storage.exists(keys.manifest(j.id));
      expect(manifest, `manifest of ${j.id}`).toBe(true);
    }

    // De-duplicated by webhook-id: exactly one event per job and subscriber, each signed and about its job.
    for (const [path, expected] of [
      ["/a", subscribedA],
      ["/b", joined],
    ] as const) {
      const unique = receiver.byWebhookId(path);
      const jobsSeen: string[] = [];
      for (const [, copies] of unique) {
        const payloads = await Promise.all(
          copies.map(async (d) =>
            WebhookPayload.parse(await verifyWebhook(stack.webhookSecret, d.headers as never, d.body)),
          ),
        );
        expect(new Set(payloads.map((p) => `${p.type}:${p.data.id}`)).size).toBe(1);
        expect(payloads[0]?.type).toBe("job.succeeded");
        jobsSeen.push(payloads[0]!.data.id);
      }
      expect(jobsSeen.sort()).toEqual([...expected].sort());
    }
    expect(await stack.storage.list(keys.queuePrefix)).toEqual([]);
    expect(await stack.storage.list(keys.deadLettersPrefix)).toEqual([]);
    await waitFor(
      "the delivery records to clear",
      async () => (await stack.storage.list(keys.deliveriesPrefix)).length === 0,
      20_000,
    );
    const attempts: Record<number, number> = {};
    for (const j of final) attempts[j.attempts] = (attempts[j.attempts] ?? 0) + 1;
    const duplicates =
      receiver.deliveries.length - receiver.byWebhookId("/a").size - receiver.byWebhookId("/b").size;
    console.log(
      `subscribers: a ${expectedA}, b ${expectedB}; kills: ${JSON.stringify(kills.map((k) => ({ victim: k.victim, held: k.held.length })))}; jobs by attempts: ${JSON.stringify(attempts)}; duplicate deliveries: ${duplicates}`,
    );
  });
});
