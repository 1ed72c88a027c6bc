import { afterAll, beforeAll } from "vitest";
import { type Receiver, startReceiver } from "./receiver.ts";
import { startStack, type TestStack } from "./stack.ts";

/** A stack and a webhook receiver for one test file: started before its tests, stopped after them. */
export function useStackAndReceiver(): { readonly stack: TestStack; readonly receiver: Receiver } {
  const h = {} as { stack: TestStack; receiver: Receiver };
  beforeAll(async () => {
    [h.stack, h.receiver] = await Promise.all([startStack(), startReceiver()]);
  });
  afterAll(async () => {
    await Promise.all([h.stack?.stop(), h.receiver?.close()]);
  });
  return h;
}
