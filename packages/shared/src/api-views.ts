import { z } from "zod";
import { IMAGE_FORMATS } from "./image-sniff.ts";
import { JobStatus, Sha256Hex, Task } from "./schemas.ts";

/**
 * What the edge answers, as schemas: the edge builds these objects, the OpenAPI document is generated from
 * them, and clients (and the tests) parse with them.
 */

export const JobView = z.object({
  id: Sha256Hex.describe("the cache key: the same request always gets the same id"),
  status: JobStatus,
  cached: z.boolean().describe("true when the result existed before this request"),
  task: Task,
  model: z.string().describe("name@version that produced (or will produce) the images"),
  params: z.record(z.string(), z.unknown()).describe("the request's parameters with defaults filled in"),
  input: Sha256Hex.nullable().describe("the input image's upload id (style transfer, super-resolution)"),
  outputs: z.array(z.string()).describe("PNG URLs, once the job has succeeded"),
  links: z.object({ self: z.string(), gallery: z.string(), cancel: z.string() }),
  attempts: z.int().optional(),
  createdAt: z.string().optional(),
  finishedAt: z.string().optional(),
  error: z.object({ message: z.string() }).optional(),
});
export type JobView = z.infer<typeof JobView>;

export const UploadView = z.object({
  id: Sha256Hex.describe("sha256 of the bytes; pass it as `input`"),
  format: z.enum(IMAGE_FORMATS),
  mediaType: z.string(),
  width: z.int(),
  height: z.int(),
  bytes: z.int(),
  url: z.string(),
});
export type UploadView = z.infer<typeof UploadView>;

export const ModelView = z.object({
  task: Task,
  name: z.string(),
  version: z.int(),
  ref: z.string().describe("name@version, as requests and results name it"),
  description: z.string(),
  default: z.boolean(),
  active: z.boolean(),
  outputSize: z.int().optional(),
  styles: z.array(z.string()).optional(),
  scales: z.array(z.int()).optional(),
  understands: z
    .array(z.string())
    .optional()
    .describe("text-to-image: the classes or words the model reads in a prompt (synonyms also work)"),
  metrics: z.record(z.string(), z.number()).optional(),
  sample: z.string().optional().describe("URL of the model's sample grid"),
  card: z.string().optional().describe("URL of the model card"),
});
export type ModelView = z.infer<typeof ModelView>;

export const ModelsView = z.object({
  source: z
    .enum(["registry", "catalog"])
    .describe("the bucket's models/registry.json, or the built-in catalog"),
  tasks: z.array(z.object({ task: Task, default: z.string().nullable(), models: z.array(ModelView) })),
});
export type ModelsView = z.infer<typeof ModelsView>;
