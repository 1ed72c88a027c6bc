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

/**
 * What the MNIST digit generator understands: each digit as a numeral and as a word. A prompt that names
 * several ("a 7, not a one") gets the first.
 */
export const DIGIT_CLASSES = [
  { label: "0", words: ["0", "zero", "nought", "naught"] },
  { label: "1", words: ["1", "one"] },
  { label: "2", words: ["2", "two"] },
  { label: "3", words: ["3", "three"] },
  { label: "4", words: ["4", "four"] },
  { label: "5", words: ["5", "five"] },
  { label: "6", words: ["6", "six"] },
  { label: "7", words: ["7", "seven"] },
  { label: "8", words: ["8", "eight"] },
  { label: "9", words: ["9", "nine"] },
] as const;

/** The classes of a class-conditional model, in the order of its generator's label input. */
export type ClassVocabulary = readonly { readonly label: string; readonly words: readonly string[] }[];

/** Class vocabularies of the class-conditional models, by model name. */
export const CLASS_VOCABULARIES: Readonly<Record<string, ClassVocabulary>> = {
  "fashion-cdcgan": FASHION_CLASSES,
  "digits-cdcgan": DIGIT_CLASSES,
};

export function classVocabularyFor(modelName: string): ClassVocabulary | undefined {
  return Object.hasOwn(CLASS_VOCABULARIES, modelName) ? CLASS_VOCABULARIES[modelName] : undefined;
}

export type PromptMatch = { ok: true; classIndex: number; label: string } | { ok: false; known: string[] };

export function normalisePrompt(prompt: string): string {
  return prompt.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

/** The first class the prompt names, by position in the prompt; at one position the longest phrase wins. */
export function matchClassPrompt(classes: ClassVocabulary, prompt: string): PromptMatch {
  const text = ` ${normalisePrompt(prompt).replace(/[^\p{L}\p{N}\- ]/gu, " ")} `;
  let best: { at: number; length: number; classIndex: number } | undefined;
  classes.forEach((c, classIndex) => {
    for (const phrase of c.words) {
      const at = text.indexOf(` ${phrase} `);
      if (at < 0) continue;
      if (best === undefined || at < best.at || (at === best.at && phrase.length > best.length))
        best = { at, length: phrase.length, classIndex };
    }
  });
  if (best === undefined) return { ok: false, known: classes.map((c) => c.label) };
  return { ok: true, classIndex: best.classIndex, label: classes[best.classIndex]?.label ?? "" };
}

/** Token vocabularies of the text-encoder models, by model name. */
export const TOKEN_VOCABULARIES: Readonly<Record<string, TokenVocabulary>> = {
  "shapes-tcgan": SHAPES_VOCABULARY,
};

export function tokenVocabularyFor(modelName: string): TokenVocabulary | undefined {
  return Object.hasOwn(TOKEN_VOCABULARIES, modelName) ? TOKEN_VOCABULARIES[modelName] : undefined;
}

/**
 * What a text-to-image model reads in a prompt: a class model's class labels, a token model's attribute
 * values (each also has synonyms); undefined for a model with no vocabulary.
 */
export function understoodWords(modelName: string): string[] | undefined {
  const vocab = tokenVocabularyFor(modelName);
  if (vocab) return [...new Set(Object.values(vocab.attributes).flat())];
  return classVocabularyFor(modelName)?.map((c) => c.label);
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
    return {
      ok: false,
      message: `the prompt has no word this model knows; it understands ${describeVocabulary(vocab)}`,
      known: understoodWords(modelName) ?? [],
    };
  }
  const classes = classVocabularyFor(modelName);
  if (!classes) return { ok: false, message: "this model has no prompt vocabulary", known: [] };
  const match = matchClassPrompt(classes, prompt);
  if (match.ok) return { ok: true };
  return {
    ok: false,
    message: `the prompt names nothing this model can draw; it understands: ${match.known.join(", ")}`,
    known: match.known,
  };
}
