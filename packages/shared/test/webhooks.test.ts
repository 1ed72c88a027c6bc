import { describe, expect, it } from "vitest";
import { generateWebhookSecret, signWebhook, verifyWebhook, webhookHeaders } from "../src/index.ts";

// The test vector published with the Standard Webhooks specification's reference libraries.
const SPEC = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

describe("Standard Webhooks", () => {
  it("reproduces the specification's signature", async () => {
    expect(await signWebhook(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body)).toBe(SPEC.signature);
  });

  it("accepts the secret without its whsec_ prefix", async () => {
    expect(await signWebhook(SPEC.secret.slice(6), SPEC.id, SPEC.timestamp, SPEC.body)).toBe(SPEC.signature);
  });

  it("verifies the specification's delivery, among several signatures", async () => {
    const headers = {
      "webhook-id": SPEC.id,
      "webhook-timestamp": String(SPEC.timestamp),
      "webhook-signature": `v1,bm9wZQ== ${SPEC.signature}`,
    };
    await expect(
      verifyWebhook(SPEC.secret, headers, SPEC.body, { nowSeconds: SPEC.timestamp }),
    ).resolves.toEqual({
      test: 2432232314,
    });
  });

  it("rejects a changed body, a wrong secret, a stale timestamp and missing headers", async () => {
    const secret = generateWebhookSecret();
    const now = 1_700_000_000;
    const headers = await webhookHeaders(secret, "msg_1", now, '{"a":1}');
    const h = new Headers({ ...headers });
    await expect(verifyWebhook(secret, h, '{"a":1}', { nowSeconds: now })).resolves.toEqual({ a: 1 });
    await expect(verifyWebhook(secret, h, '{"a":2}', { nowSeconds: now })).rejects.toThrow(/no matching/);
    await expect(verifyWebhook(generateWebhookSecret(), h, '{"a":1}', { nowSeconds: now })).rejects.toThrow();
    await expect(verifyWebhook(secret, h, '{"a":1}', { nowSeconds: now + 301 })).rejects.toThrow(/tolerance/);
    await expect(verifyWebhook(secret, {}, '{"a":1}', { nowSeconds: now })).rejects.toThrow(/missing/);
  });

  it("generates secrets in the whsec_ format", () => {
    expect(generateWebhookSecret()).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
  });
});
