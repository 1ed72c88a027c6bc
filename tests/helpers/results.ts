import { verifyWebhook, WebhookPayload } from "@ganvas/shared";
import { PNG } from "pngjs";
import { expect } from "vitest";
import type { Receiver } from "./receiver.ts";
import type { TestStack } from "./stack.ts";

/**
 * Waits for the one webhook delivery on `path`, checks it is a signed `job.succeeded` for job `id` with a
 * single output served by the edge, and returns that output decoded. For image-to-image jobs, whose result
 * is always one PNG.
 */
export async function singleSucceededPng(
  stack: TestStack,
  receiver: Receiver,
  path: string,
  id: string,
  stopWorker: () => Promise<void>,
): Promise<PNG> {
  const [delivery] = await receiver.waitFor(1, 90_000, path);
  await stopWorker();
  const payload = WebhookPayload.parse(
    await verifyWebhook(stack.webhookSecret, delivery!.headers as never, delivery!.body),
  );
  expect(payload.type).toBe("job.succeeded");
  expect(payload.data.id).toBe(id);
  expect(payload.data.outputs).toEqual([`${stack.edge.url}/r/${id}/0.png`]);

  const res = await fetch(payload.data.outputs[0]!);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("image/png");
  return PNG.sync.read(Buffer.from(await res.arrayBuffer()));
}
