import { derivedSeed } from "./cache-key.ts";
import { UPLOAD_LIMITS } from "./image-sniff.ts";
import { CATALOG_CHOICES, type ModelChoices, type RegistryModel } from "./model-registry.ts";
import type { JobSpec, Task, TextToImageRequest } from "./schemas.ts";
import { checkPrompt } from "./vocabulary.ts";

/** A request field the catalog or vocabulary refused, in the shape the edge reports as a validation issue. */
export class RequestFieldError extends Error {
  constructor(
    readonly path: string,
    message: string,
    readonly allowed?: readonly string[],
  ) {
    super(message);
    this.name = "RequestFieldError";
  }
}

const ref = (m: { name: string; version: number }) => `${m.name}@${m.version}`;

function offered(task: Task, choices: ModelChoices): RegistryModel[] {
  return choices.models.filter((m) => m.task === task && m.active !== false);
}

/** `name@version` exactly, or `name` alone meaning its newest active version. */
function resolveIn(models: RegistryModel[], wanted: string): RegistryModel | undefined {
  const [name, version] = wanted.split("@");
  return models
    .filter((m) => m.name === name && (version === undefined || String(m.version) === version))
    .sort((a, b) => b.version - a.version)[0];
}

/** The requested model, or the task's default; an unknown one names every model the task offers. */
export function pickModel(
  task: Task,
  requested: string | undefined,
  choices: ModelChoices = CATALOG_CHOICES,
): RegistryModel {
  const wanted = requested ?? choices.defaults[task];
  const models = offered(task, choices);
  const entry = wanted === undefined ? undefined : resolveIn(models, wanted);
  if (entry === undefined) {
    const allowed = models.map(ref);
    throw new RequestFieldError(
      "model",
      allowed.length === 0
        ? `no ${task} model is deployed yet`
        : `unknown model "${wanted}"; available: ${allowed.join(", ")}`,
      allowed,
    );
  }
  return entry;
}

/** Turns a validated text-to-image request into the job it asks for, defaults and seed filled in. */
export async function textToImageSpec(
  req: TextToImageRequest,
  choices: ModelChoices = CATALOG_CHOICES,
): Promise<JobSpec> {
  const entry = pickModel("text-to-image", req.model, choices);
  // Each model has its own vocabulary: a prompt it cannot read is refused here, before anything is queued.
  const understood = checkPrompt(entry.name, req.prompt);
  if (!understood.ok) throw new RequestFieldError("prompt", understood.message, understood.known);
  const base: JobSpec = {
    task: "text-to-image",
    model: ref(entry),
    params: { prompt: req.prompt, n: req.n },
    input: null,
  };
  // The seed derives from what is drawn, not how far from typical: one request at two temperatures draws the
  // same images, one nearer the typical. Temperature 1 is left out, so those requests keep their cache keys.
  const seed = req.seed ?? (await derivedSeed(base));
  const temperature =
    req.temperature === undefined || req.temperature === 1 ? {} : { temperature: req.temperature };
  return { ...base, params: { ...base.params, seed, ...temperature } };
}

/**
 * Style transfer: the named model must offer the style; without a model, the default model if it offers
 * it, else the newest model that does. One generator per style, so no seed: the same input and style
 * always give the same image.
 */
export function styleTransferSpec(
  req: { style: string; model?: string | undefined },
  input: string,
  choices: ModelChoices = CATALOG_CHOICES,
): JobSpec {
  const models = offered("style-transfer", choices);
  let entry: RegistryModel | undefined;
  if (req.model !== undefined) {
    entry = pickModel("style-transfer", req.model, choices);
    if (!entry.styles?.includes(req.style)) {
      const styles = entry.styles ?? [];
      throw new RequestFieldError(
        "style",
        `${ref(entry)} has no style "${req.style}"; it offers: ${styles.join(", ") || "none"}`,
        styles,
      );
    }
  } else {
    const fallback = choices.defaults["style-transfer"];
    const preferred = fallback === undefined ? undefined : resolveIn(models, fallback);
    entry = preferred?.styles?.includes(req.style)
      ? preferred
      : models.filter((m) => m.styles?.includes(req.style)).sort((a, b) => b.version - a.version)[0];
    if (entry === undefined) {
      const styles = [...new Set(models.flatMap((m) => m.styles ?? []))].sort();
      throw new RequestFieldError(
        "style",
        styles.length === 0
          ? "no style-transfer model is deployed yet"
          : `unknown style "${req.style}"; available: ${styles.join(", ")}`,
        styles,
      );
    }
  }
  return { task: "style-transfer", model: ref(entry), params: { style: req.style }, input };
}

export const DEFAULT_SCALES: readonly number[] = [2, 4];

export function superResolutionSpec(
  req: { scale: number; model?: string | undefined },
  input: string,
  choices: ModelChoices = CATALOG_CHOICES,
): JobSpec {
  const entry = pickModel("super-resolution", req.model, choices);
  const scales = entry.scales ?? DEFAULT_SCALES;
  if (!scales.includes(req.scale)) {
    throw new RequestFieldError(
      "scale",
      `${ref(entry)} offers ${scales.map((s) => `×${s}`).join(", ")}`,
      scales.map(String),
    );
  }
  return { task: "super-resolution", model: ref(entry), params: { scale: req.scale }, input };
}

/** Super-resolution output is capped at the upload pixel limit, so a ×4 input may have 1/16 of it. */
export function maxInputPixels(spec: JobSpec): number {
  const scale = typeof spec.params.scale === "number" ? spec.params.scale : 1;
  return Math.floor(UPLOAD_LIMITS.maxPixels / (scale * scale));
}
