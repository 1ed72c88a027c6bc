import { join } from "node:path";
import { classVocabularyFor, type JobSpec, matchClassPrompt, tokenVocabularyFor } from "@ganvas/shared";
import { encodePng } from "../image/png.ts";
import { generateBatch } from "../models/generate.ts";
import { generateFromPrompts } from "../models/text-generate.ts";
import { loadOncePerDir, loadServedGenerator, type ServingOptions } from "../serving/load.ts";
import { createLogger } from "./log.ts";
import type { GeneratedImage } from "./runner.ts";

/** The class models (Fashion-MNIST, MNIST digits) draw 28×28 gray. */
const CLASS_IMAGE_SIZE = 28;

/**
 * Loads each text-to-image generator once per process, on first use, on the fastest serving runtime present
 * (see serving/load.ts; GANVAS_SERVING_RUNTIME forces one), and runs batches of its jobs. A model with a
 * token vocabulary (shapes-tcgan) reads the prompt's tokens and draws RGB; the others pick a class from the
 * prompt and draw gray.
 */
export function textToImageRunner(modelsDir: string, options: ServingOptions = {}) {
  const log = options.log ?? createLogger({ component: "text-to-image" });
  const load = loadOncePerDir((dir) => loadServedGenerator(dir, { ...options, log }));
  const model = (ref: string) => {
    const [name, version] = ref.split("@");
    return load(join(modelsDir, "text-to-image", name ?? "", version ?? ""));
  };
  // Temperature is left out of the params at its default, 1 (see textToImageSpec).
  const temperature = (spec: JobSpec) => Number(spec.params.temperature ?? 1);
  return async (specs: readonly JobSpec[]): Promise<GeneratedImage[][]> => {
    const [first] = specs;
    if (!first) return [];
    const name = first.model.split("@")[0] ?? "";
    const vocab = tokenVocabularyFor(name);
    if (vocab) {
      const requests = specs.map((spec) => ({
        prompt: String(spec.params.prompt ?? ""),
        seed: Number(spec.params.seed ?? 0),
        count: Number(spec.params.n ?? 1),
        temperature: temperature(spec),
      }));
      const out = await generateFromPrompts(await model(first.model), vocab, requests);
      return out.images.map((job) =>
        job.map((pixels) => ({
          png: encodePng(pixels, out.width, out.height),
          width: out.width,
          height: out.height,
        })),
      );
    }
    const classes = classVocabularyFor(name);
    if (!classes) throw new Error(`model ${first.model} has no prompt vocabulary`);
    const requests = specs.map((spec) => {
      const prompt = String(spec.params.prompt ?? "");
      const match = matchClassPrompt(classes, prompt);
      if (!match.ok) throw new Error(`prompt names no known class: ${prompt}`);
      return {
        classIndex: match.classIndex,
        seed: Number(spec.params.seed ?? 0),
        count: Number(spec.params.n ?? 1),
        temperature: temperature(spec),
      };
    });
    const images = await generateBatch(await model(first.model), requests);
    return images.map((job) =>
      job.map((gray) => ({
        png: encodePng(gray, CLASS_IMAGE_SIZE, CLASS_IMAGE_SIZE),
        width: CLASS_IMAGE_SIZE,
        height: CLASS_IMAGE_SIZE,
      })),
    );
  };
}
