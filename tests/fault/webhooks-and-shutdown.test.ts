import { freePort } from "@ganvas/infra";
import { JobRecord, keys, sha256Hex } from "@ganvas/shared";
import { afterEach, describe, expect, it } from "vitest";
import { useStackAndReceiver } from "../helpers/harness.ts";
import { postJson } from "../helpers/stack.ts";
import { WorkerPool, waitFor } from "../helpers/workers.ts";

// Real worker processes deliver to a real HTTP receiver; the retry schedule is compressed with
// GANVAS_WEBHOOK_RETRY_SCALE, never with sleeps in the test.
const SCHEDULE_S = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];
const SCALE = 0.00005; // the whole schedule in about 5 s

const h = useStackAndReceiver();
let pool: WorkerPool | undefined;
let seed = 9000;

afterEach(async () => {
  await pool?.stop();
  pool = undefined;
});

async function workers(count: number, env: NodeJS.ProcessEnv): Promise<WorkerPool> {
  pool = new WorkerPool(h.stack, { GANVAS_LEASE_MS: "2000", ...env });
  await pool.start(count);
  return pool;
}

async function submit(url: string): Promise<string> {
  const res = await postJson(`${h.stack.edge.url}/v1/images/text-to-image`, {
    prompt: "a coat",
    seed: seed++,
    webhook: { url },
  });
  expect(res.status).toBe(202);
  return res.json.id;
}

const job = async (id: string) => (await h.stack.storage.getJson(keys.job(id), JobRecord))?.value;
const deadLetters = async () =>
  Promise.all(
    (await h.stack.storage.list(keys.deadLettersPrefix)).map(async (k) => {
      const obj = await h.stack.storage.get(k);
      return JSON.parse(new TextDecoder().decode(obj?.body)) as {
        id: string;
        jobId: string;
        attempts: number;
        reason: string;
        history: { status?: number; error?: string }[];
      };
    }),
  );

describe("webhook delivery from worker processes", () => {
  it("retries a receiver that fails or is down on the compressed schedule, then keeps a dead letter", async () => {
    await workers(1, { GANVAS_WEBHOOK_RETRY_SCALE: String(SCALE) });
    h.receiver.respond.set("/down", { status: 503 });
    const closed = `http://127.0.0.1:${await freePort()}/nobody-home`;
    const [failing, unreachable] = [await submit(h.receiver.url("/down")), await submit(closed)];
    await waitFor("two dead letters", async () => (await deadLetters()).length === 2, 30_000);

    const got = h.receiver.deliveries.filter((d) => d.path === "/down");
    expect(got).toHaveLength(SCHEDULE_S.length);
    expect(new Set(got.map((d) => d.headers["webhook-id"])).size).toBe(1);
    for (let i = 1; i < got.length; i++) {
      expect(got[i]!.at - got[i - 1]!.at).toBeGreaterThanOrEqual(Math.floor(SCHEDULE_S[i]! * 1000 * SCALE));
    }
    const letters = await deadLetters();
    const byJob = new Map(letters.map((l) => [l.jobId, l]));
    expect(byJob.get(failing)).toMatchObject({ id: got[0]!.headers["webhook-id"], attempts: 8 });
    expect(byJob.get(failing)?.history.map((h) => h.status)).toEqual(Array(8).fill(503));
    expect(byJob.get(unreachable)?.attempts).toBe(8);
    expect(byJob.get(unreachable)?.history.every((h) => /ECONNREFUSED/.test(h.error ?? ""))).toBe(true);
    // The jobs themselves succeeded; only their notification gave up.
    expect((await job(failing))?.status).toBe("succeeded");
    expect(await h.stack.storage.list(keys.deliveriesPrefix)).toEqual([]);
  });

  it("a receiver answering 410 is disabled: no retries, no dead letter, nothing more sent to it", async () => {
    await workers(1, { GANVAS_WEBHOOK_RETRY_SCALE: String(SCALE) });
    h.receiver.respond.set("/gone", { status: 410 });
    const first = await submit(h.receiver.url("/gone"));
    const disabledKey = keys.disabledWebhook(await sha256Hex(h.receiver.url("/gone")));
    await waitFor("the URL to be disabled", () => h.stack.storage.exists(disabledKey), 30_000);
    const second = await submit(h.receiver.url("/gone"));
    await waitFor(
      "the second job to finish",
      async () => (await job(second))?.status === "succeeded",
      30_000,
    );
    await waitFor(
      "its delivery to be settled",
      async () => (await h.stack.storage.list(keys.deliveriesPrefix)).length === 0,
      10_000,
    );
    expect(h.receiver.deliveries.filter((d) => d.path === "/gone")).toHaveLength(1);
    expect((await deadLetters()).map((l) => l.jobId)).not.toContain(first);
    const record = JSON.parse(new TextDecoder().decode((await h.stack.storage.get(disabledKey))?.body));
    expect(record).toMatchObject({ url: h.receiver.url("/gone"), jobId: first });
  });

  it("a pending retry survives kill -9 of its worker: the next worker sends it with the same webhook-id", async () => {
    // Scale 0.4: the second attempt is due 2 s after the first, time enough to kill the worker first.
    const p = await workers(1, { GANVAS_WEBHOOK_RETRY_SCALE: "0.4" });
    h.receiver.respond.set("/flaky", { status: 500 });
    await submit(h.receiver.url("/flaky"));
    const [first] = await h.receiver.waitFor(1, 30_000, "/flaky");
    await p.kill(0);
    const killedAt = Date.now();
    h.receiver.respond.delete("/flaky");
    await p.restart(0);
    const [, second] = await h.receiver.waitFor(2, 30_000, "/flaky");
    expect(second!.at).toBeGreaterThan(killedAt);
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    await waitFor(
      "the record to clear",
      async () => (await h.stack.storage.list(keys.deliveriesPrefix)).length === 0,
      10_000,
    );
    expect(h.receiver.deliveries.filter((d) => d.path === "/flaky")).toHaveLength(2);
  });
});

describe("graceful shutdown of a worker process", () => {
  it("SIGTERM releases the jobs it claimed without counting an attempt, and exits 0", async () => {
    // A long batch window keeps the claimed job in the worker's hands, not yet in the generator.
    const p = await workers(1, { GANVAS_BATCH_WINDOW_MS: "20000", GANVAS_LEASE_MS: "30000" });
    const id = await submit(h.receiver.url("/term"));
    await waitFor("the claim", async () => (await job(id))?.status === "running", 30_000);
    const w = p.slots[0]!;
    const exited = new Promise<number | null>((r) => w.proc.child.once("exit", (code) => r(code)));
    process.kill(w.proc.child.pid!, "SIGTERM");
    expect(await exited).toBe(0);
    expect(await job(id)).toMatchObject({ status: "queued", attempts: 0, lease: null });
    expect(w.proc.output()).toMatch(/"message":"job released to the queue".*"jobId":"[0-9a-f]{64}"/);
    expect(h.receiver.deliveries.filter((d) => d.path === "/term")).toHaveLength(0);

    await p.restart(0, { GANVAS_BATCH_WINDOW_MS: "20" });
    await h.receiver.waitFor(1, 30_000, "/term");
    expect(await job(id)).toMatchObject({ status: "succeeded", attempts: 1 });
  });
});
