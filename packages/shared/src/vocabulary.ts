import { describeVocabulary, SHAPES_VOCABULARY, type TokenVocabulary, tokenize } from "./tokenizer.ts";

// The tokenizer is part of the prompt vocabulary's public surface (the worker encodes prompts with it).
export * from "./tokenizer.ts";

/**
 * What the Fashion-MNIST generator understands: each class with the words and phrases that name it.
 * Matching is on whole words, longest phrase first, so "ankle boot" wins over "boot" and
 * "t-shirt" is not read as "shirt".
 */
export const FASHION_CLASSES = [
  { label: "t-shirt/top", words: ["t-shirt", "tshirt", "t shirt", "tee", "top", "tank top"] },
  { label: "trouser", words: ["trouser", "trousers", "pants", "jeans", "slacks"] },
  { label: "pullover", words: ["pullover", "sweater", "jumper", "hoodie"] },
  { label: "dress", words: ["dress", "gown", "frock"] },
  { label: "coat", words: ["coat", "jacket", "parka", "overcoat"] },
  { label: "sandal", words: ["sandal", "sandals", "flip-flop", "flip flops"] },
  { label: "shirt", words: ["shirt", "blouse", "button-up", "button up shirt"] },
  { label: "sneaker", words: ["sneaker", "sneakers", "trainer", "trainers", "running shoe", "shoe"] },
  { label: "bag", words: ["bag", "handbag", "purse", "tote", "backpack"] },
  { label: "ankle boot", words: ["ankle boot", "ankle boots", "boot", "boots"] },
] as const;

const phrases = FASHION_CLASSES.flatMap((c, classIndex) =>
  c.words.map((w) => ({ phrase: w, classIndex })),
).sort((a, b) => b.phrase.length - a.phrase.length);

export type PromptMatch = { ok: true; classIndex: number; label: string } | { ok: false; known: string[] };

export function normalisePrompt(prompt: string): string {
  return prompt.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

/** The first class the prompt names, by position in the prompt. */
export function matchFashionPrompt(prompt: string): PromptMatch {
  const text = ` ${normalisePrompt(prompt).replace(/[^\p{L}\p{N}\- ]/gu, " ")} `;
  let best: { at: number; classIndex: number } | undefined;
  for (const { phrase, classIndex } of phrases) {
    const at = text.indexOf(` ${phrase} `);
    if (at >= 0 && (best === undefined || at < best.at)) best = { at, classIndex };
  }
  if (best === undefined) return { ok: false, known: FASHION_CLASSES.map((c) => c.label) };
  const cls = FASHION_CLASSES[best.classIndex];
  return { ok: true, classIndex: best.classIndex, label: cls?.label ?? "" };
}

/** Token vocabularies of the text-encoder models, by model name; any other model takes class prompts. */
export const TOKEN_VOCABULARIES: Readonly<Record<string, TokenVocabulary>> = {
  "shapes-tcgan": SHAPES_VOCABULARY,
};

export function tokenVocabularyFor(modelName: string): TokenVocabulary | undefined {
  return Object.hasOwn(TOKEN_VOCABULARIES, modelName) ? TOKEN_VOCABULARIES[modelName] : undefined;
}

export type PromptCheck = { ok: true } | { ok: false; message: string; known: string[] };

/**
 * Whether `modelName` can draw anything from the prompt: a token model needs at least one word of its
 * vocabulary, a class model one class name. A refusal says what the model understands.
 */
export function checkPrompt(modelName: string, prompt: string): PromptCheck {
  const vocab = tokenVocabularyFor(modelName);
  if (vocab) {
    if (tokenize(vocab, prompt).ids.length > 0) return { ok: true };
    const known = [...new Set(Object.values(vocab.attributes).flat())];
    return {
      ok: false,
      message: `the prompt has no word this model knows; it understands ${describeVocabulary(vocab)}`,
      known,
    };
  }
  const match = matchFashionPrompt(prompt);
  if (match.ok) return { ok: true };
  return {
    ok: false,
    message: `the prompt names nothing this model can draw; it understands: ${match.known.join(", ")}`,
    known: match.known,
  };
}
