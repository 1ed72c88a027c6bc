import { describe, expect, it } from "vitest";
import {
  addSubscriber,
  cancel,
  claim,
  failAttempt,
  InvalidTransitionError,
  isClaimable,
  isLeasedTo,
  type JobRecord,
  keys,
  newJob,
  parseDeliveryKey,
  release,
  renewLease,
  succeed,
} from "../src/index.ts";

const id = "a".repeat(64);
const job = (maxAttempts = 2): JobRecord =>
  newJob({
    id,
    spec: { task: "text-to-image", model: "fashion-cdcgan@1", params: { prompt: "a dress" }, input: null },
    subscribers: [],
    baseUrl: "http://127.0.0.1:8787",
    now: 1000,
    maxAttempts,
  });

describe("job state machine", () => {
  it("runs queued → running → succeeded under one owner's lease", () => {
    const running = claim(job(), "w1", 30_000, 2000);
    expect(running).toMatchObject({
      status: "running",
      attempts: 1,
      lease: { owner: "w1", expiresAt: 32_000 },
    });
    expect(isClaimable(running, 31_999)).toBe(false);
    expect(() => succeed(running, "w2", 3000)).toThrow(/not leased/);
    const done = succeed(running, "w1", 3000);
    expect(done).toMatchObject({ status: "succeeded", lease: null, finishedAt: 3000 });
    expect(() => claim(done, "w1", 1, 4000)).toThrow(InvalidTransitionError);
  });

  it("lets another worker take a job whose lease expired, counting the attempt", () => {
    const running = claim(job(), "w1", 1000, 2000);
    expect(isClaimable(running, 3000)).toBe(true);
    const retaken = claim(running, "w2", 1000, 3000);
    expect(retaken).toMatchObject({ status: "running", attempts: 2, lease: { owner: "w2" } });
    const gaveUp = claim(retaken, "w3", 1000, 5000);
    expect(gaveUp).toMatchObject({ status: "failed", attempts: 2 });
    expect(gaveUp.error?.message).toMatch(/2 attempts/);
  });

  it("requeues a failed attempt until attempts run out", () => {
    const first = failAttempt(claim(job(), "w1", 1000, 2000), "w1", "boom", 2500);
    expect(first).toMatchObject({ status: "queued", lease: null, error: { message: "boom" } });
    const last = failAttempt(claim(first, "w1", 1000, 3000), "w1", "boom again", 3500);
    expect(last).toMatchObject({ status: "failed", attempts: 2 });
  });

  it("renews a lease only for its owner", () => {
    const running = claim(job(), "w1", 1000, 2000);
    expect(renewLease(running, "w1", 1000, 2500).lease?.expiresAt).toBe(3500);
    expect(() => renewLease(running, "w2", 1000, 2500)).toThrow();
  });

  it("cancels queued and running jobs but not finished ones", () => {
    expect(cancel(job(), 2000).status).toBe("canceled");
    expect(cancel(claim(job(), "w1", 1000, 2000), 2500).status).toBe("canceled");
    expect(() => cancel(cancel(job(), 2000), 3000)).toThrow(InvalidTransitionError);
  });

  it("adds a subscriber once", () => {
    const sub = { id: "s1", url: "https://example.com/h", events: ["job.succeeded" as const] };
    const once = addSubscriber(job(), sub, 2000);
    expect(addSubscriber(once, sub, 3000)).toBe(once);
    expect(once.subscribers).toHaveLength(1);
  });

  it("releases a claimed job without counting the attempt, only for its owner", () => {
    const taken = claim(claim(job(3), "w1", 1000, 2000), "w2", 1000, 3500);
    expect(taken.attempts).toBe(2);
    expect(isLeasedTo(taken, "w2")).toBe(true);
    expect(isLeasedTo(taken, "w1")).toBe(false);
    expect(() => release(taken, "w1", 3600)).toThrow(/not leased/);
    const back = release(taken, "w2", 3600);
    expect(back).toMatchObject({ status: "queued", attempts: 1, lease: null, updatedAt: 3600 });
    expect(isLeasedTo(back, "w2")).toBe(false);
  });
});

describe("delivery keys", () => {
  it("round-trips a webhook id through its delivery key and keeps dead letters apart", () => {
    const id = "msg_0123456789abcdef0123456789abcdef";
    expect(parseDeliveryKey(keys.delivery(id))).toBe(id);
    expect(parseDeliveryKey(keys.deadLetter(id))).toBeUndefined();
    expect(parseDeliveryKey("deliveries/../x.json")).toBeUndefined();
    expect(keys.deadLetter(id).startsWith(keys.deadLettersPrefix)).toBe(true);
  });
});
