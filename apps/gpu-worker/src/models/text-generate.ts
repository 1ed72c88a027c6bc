import { type TokenVocabulary, tokenize, tokenRows } from "@ganvas/shared";
import type * as tfl from "@tensorflow/tfjs-layers";
import { type ConditionalGenerator, drawNoise, layersGenerator, toBytes } from "./generate.ts";

/**
 * Runs a text-encoder generator. Its second input is the prompt's token rows (see `tokenRows`), which
 * the ConditionalGenerator interface carries where a class model has its one-hot label: every serving
 * runtime (TensorFlow.js, ONNX) feeds the two models the same way.
 */
export interface PromptRequest {
  prompt: string;
  /** Same seed, prompt and count ⇒ same images. */
  seed: number;
  count: number;
  /** Scales the noise (default 1): lower draws more typical images, with less variety. */
  temperature?: number;
}

function isConditionalGenerator(m: tfl.LayersModel | ConditionalGenerator): m is ConditionalGenerator {
  return typeof (m as ConditionalGenerator).latentDim === "number";
}

/** Token rows for each image of each request, row-major: [Σ count × maxTokens·vocabSize]. */
export function promptRows(vocab: TokenVocabulary, requests: readonly PromptRequest[]): Float32Array {
  const width = vocab.maxTokens * vocab.tokens.length;
  const total = requests.reduce((n, r) => n + r.count, 0);
  const out = new Float32Array(total * width);
  let row = 0;
  for (const { prompt, count } of requests) {
    const rows = tokenRows(vocab, tokenize(vocab, prompt).ids);
    for (let i = 0; i < count; i++, row++) out.set(rows, row * width);
  }
  return out;
}

/** One generator call for many prompts; each request's noise comes from its own seed, as for class models. */
export async function generateFromPrompts(
  model: tfl.LayersModel | ConditionalGenerator,
  vocab: TokenVocabulary,
  requests: readonly PromptRequest[],
): Promise<{ images: Uint8Array[][]; width: number; height: number; channels: number }> {
  const generator = isConditionalGenerator(model) ? model : layersGenerator(model);
  const width = vocab.maxTokens * vocab.tokens.length;
  if (generator.numClasses !== width) {
    throw new Error(
      `The generator reads ${generator.numClasses} condition values, the ${vocab.name} vocabulary makes ${width}: wrong model for this vocabulary.`,
    );
  }
  for (const { count } of requests) {
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`count must be a positive integer, got ${count}.`);
  }
  const batch = requests.reduce((n, r) => n + r.count, 0);
  const out = await generator.predict(
    drawNoise(requests, generator.latentDim),
    promptRows(vocab, requests),
    batch,
  );
  const pixels = toBytes(out.data);
  const size = out.height * out.width * out.channels;
  let offset = 0;
  const images = requests.map(({ count }) =>
    Array.from({ length: count }, () => pixels.slice(offset * size, ++offset * size)),
  );
  return { images, width: out.width, height: out.height, channels: out.channels };
}
