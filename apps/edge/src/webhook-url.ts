import { webhookUrlProblem } from "@ganvas/shared";
import { ProblemError } from "./problems.ts";

/**
 * Refuses webhook targets that are not public (see shared/webhook-target.ts for what is checked and why):
 * https only, no credentials, no loopback/private/link-local/metadata literals or internal hostnames.
 * In local development (`GANVAS_DEV=1`) loopback is allowed over http as well.
 */
export function checkWebhookUrl(raw: string, dev: boolean): void {
  const why = webhookUrlProblem(raw, { dev });
  if (why) {
    throw new ProblemError("validation", "the webhook URL is not allowed", {
      errors: [{ path: "webhook.url", message: why }],
    });
  }
}
