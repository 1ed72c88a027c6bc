/** The bucket layout (see DESIGN.md): one place that spells every key. */
export const keys = {
  input: (sha256: string) => `inputs/${sha256}`,
  job: (id: string) => `jobs/${id}.json`,
  queuePrefix: "queue/",
  /** Zero-padded so lexicographic listing order is enqueue order. */
  queueMarker: (enqueuedAtMs: number, id: string) => `queue/${String(enqueuedAtMs).padStart(15, "0")}-${id}`,
  resultImage: (id: string, index: number) => `results/${id}/${index}.png`,
  manifest: (id: string) => `results/${id}/manifest.json`,
  model: (task: string, name: string, version: number, file: string) =>
    `models/${task}/${name}/${version}/${file}`,
  registry: "models/registry.json",
  /** Webhook deliveries still to make, one per event and subscriber, named by the event's webhook-id. */
  deliveriesPrefix: "deliveries/",
  delivery: (webhookId: string) => `deliveries/${webhookId}.json`,
  /** Deliveries that used up their retries or were refused for good, kept for inspection and replay. */
  deadLettersPrefix: "dead-letters/",
  deadLetter: (webhookId: string) => `dead-letters/${webhookId}.json`,
  /** A webhook URL whose receiver answered 410 Gone; nothing more is sent to it. */
  disabledWebhook: (urlSha256: string) => `webhooks/disabled/${urlSha256}.json`,
} as const;

export function parseQueueMarker(key: string): { enqueuedAt: number; id: string } | undefined {
  const m = /^queue\/(\d{15})-([0-9a-f]{64})$/.exec(key);
  if (!m?.[1] || !m[2]) return undefined;
  return { enqueuedAt: Number(m[1]), id: m[2] };
}

export function parseDeliveryKey(key: string): string | undefined {
  const m = /^deliveries\/([A-Za-z0-9_-]{1,128})\.json$/.exec(key);
  return m?.[1];
}
