import { z } from "zod";
import { TASKS } from "./catalog.ts";
import { TEMPERATURE_RANGE } from "./seeded-normal.ts";

/** Every contract between client, edge and worker is defined here once; types and OpenAPI derive from it. */

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters (a sha256)");

export const WEBHOOK_EVENTS = ["job.succeeded", "job.failed"] as const;
export const WebhookEvent = z.enum(WEBHOOK_EVENTS);

export const WebhookSubscription = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).max(2048),
  events: z
    .array(WebhookEvent)
    .min(1)
    .max(WEBHOOK_EVENTS.length)
    .default([...WEBHOOK_EVENTS]),
});
export type WebhookSubscription = z.infer<typeof WebhookSubscription>;

const ModelRef = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}(@[0-9]{1,6})?$/, "must be a model name, optionally with @version")
  .describe("`name` or `name@version` (GET /v1/models lists them); default: the task's default model");
const Seed = z
  .int()
  .min(0)
  .max(4_294_967_295)
  .describe("fixes the noise; without one the seed derives from the request, so repeating it hits the cache");

/** C0/C1 controls other than the whitespace that is collapsed anyway, and unpaired UTF-16 surrogates. */
const UNPRINTABLE = /[\p{Cc}\p{Cs}]/u;

export const TextToImageRequest = z.strictObject({
  prompt: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(500, "must be at most 500 characters")
    .refine(
      (s) => !UNPRINTABLE.test(s.replace(/[\t\n\r]/g, " ")),
      "must not contain control characters or unpaired surrogates",
    )
    .transform((s) => s.normalize("NFC").replace(/\s+/g, " "))
    .describe("what to draw; the model names the things it understands in its 422 if it knows none of them"),
  model: ModelRef.optional(),
  n: z.int().min(1).max(8).default(1).describe("how many images"),
  seed: Seed.optional(),
  temperature: z
    .number()
    .min(TEMPERATURE_RANGE.min)
    .max(TEMPERATURE_RANGE.max)
    .optional()
    .describe(
      "scales the noise (default 1, as trained): lower gives more typical images that follow the prompt more " +
        "often, with less variety between them; the same seed at another temperature draws the same images, nearer the typical",
    ),
  webhook: WebhookSubscription.optional(),
});
export type TextToImageRequest = z.infer<typeof TextToImageRequest>;

/** Base64 of INLINE_IMAGE_MAX_BYTES (256 KiB) plus room for the `data:image/…;base64,` prefix. */
const INLINE_DATA_URL_MAX = 349_600;

export const InlineImage = z
  .string()
  .max(INLINE_DATA_URL_MAX, "inline images are limited to 256 KiB; upload larger ones with POST /v1/uploads")
  .regex(/^data:image\/[a-z0-9.+-]+;base64,/i, "must be a data URL: data:image/png;base64,…")
  .describe("a small png, jpeg or webp (≤ 256 KiB) as a base64 data URL, instead of `input`");

const InputRef = Sha256Hex.describe("id of an upload (POST /v1/uploads); send either this or `image`");
const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be lowercase letters, digits and hyphens");

export const StyleTransferRequest = z.strictObject({
  input: InputRef.optional(),
  image: InlineImage.optional(),
  style: Name.describe("a style name; GET /v1/models lists each model's styles"),
  model: ModelRef.optional(),
  webhook: WebhookSubscription.optional(),
});
export type StyleTransferRequest = z.infer<typeof StyleTransferRequest>;

export const SuperResolutionRequest = z.strictObject({
  input: InputRef.optional(),
  image: InlineImage.optional(),
  scale: z
    .union([z.literal(2), z.literal(4)])
    .default(2)
    .describe("upscaling factor"),
  model: ModelRef.optional(),
  webhook: WebhookSubscription.optional(),
});
export type SuperResolutionRequest = z.infer<typeof SuperResolutionRequest>;

export const Task = z.enum(TASKS);
export type Task = z.infer<typeof Task>;

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;

export const Subscriber = WebhookSubscription.extend({ id: z.string().min(1).max(64) });
export type Subscriber = z.infer<typeof Subscriber>;

export const Lease = z.object({ owner: z.string(), expiresAt: z.number() });

/** What the worker needs to run a job; part of the cache key, so no delivery details in here. */
export const JobSpec = z.object({
  task: Task,
  model: z.string(),
  params: z.record(z.string(), z.unknown()),
  input: Sha256Hex.nullable(),
});
export type JobSpec = z.infer<typeof JobSpec>;

export const JobRecord = JobSpec.extend({
  schema: z.literal(1),
  id: Sha256Hex,
  status: JobStatus,
  attempts: z.int().min(0),
  maxAttempts: z.int().min(1),
  lease: Lease.nullable(),
  subscribers: z.array(Subscriber),
  /** Origin of the edge that accepted the job, so links in webhooks point back at it. */
  baseUrl: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  error: z.object({ message: z.string() }).optional(),
});
export type JobRecord = z.infer<typeof JobRecord>;

export const ResultImage = z.object({
  index: z.int().min(0),
  key: z.string(),
  width: z.int(),
  height: z.int(),
  bytes: z.int(),
  sha256: Sha256Hex,
});

export const Manifest = JobSpec.extend({
  schema: z.literal(1),
  id: Sha256Hex,
  images: z.array(ResultImage),
  createdAt: z.number(),
  runtime: z.object({ backend: z.string(), ms: z.number() }),
});
export type Manifest = z.infer<typeof Manifest>;

export const WebhookPayload = z.object({
  type: WebhookEvent,
  timestamp: z.string(),
  data: z.object({
    id: Sha256Hex,
    status: JobStatus,
    task: Task,
    model: z.string(),
    outputs: z.array(z.string()),
    gallery: z.string().optional(),
    error: z.object({ message: z.string() }).optional(),
  }),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;
