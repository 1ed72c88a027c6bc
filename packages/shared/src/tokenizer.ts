/**
 * The word tokenizer of the text-conditioned generators, shared by the edge (which refuses a prompt with no
 * known word before queueing anything) and the worker (which feeds the token ids to the generator's learned
 * text encoder). One definition, so both sides always agree on what a model understands.
 *
 * Each model has a fixed vocabulary of canonical tokens; synonyms map to the same token ("crimson" → red,
 * "backdrop" → background), and every other word is dropped. Word order is kept: the encoder reads token
 * windows, which is how it tells "a red star on blue" from "a blue star on red".
 */

export interface TokenVocabulary {
  readonly name: string;
  /** Prompts are cut to this many known tokens; shorter ones are padded with id 0. */
  readonly maxTokens: number;
  /** Canonical tokens by id; id 0 is padding and never produced by a word. */
  readonly tokens: readonly string[];
  /** Attribute → its values, each a canonical token: what captions combine and the evaluator checks. */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  /** Canonical token → the words that mean it (the token itself included). */
  readonly words: Readonly<Record<string, readonly string[]>>;
}

export const PAD = "<pad>";

export const SHAPE_ATTRIBUTES = {
  shape: ["circle", "square", "triangle", "star", "heart", "cross"],
  color: ["red", "orange", "yellow", "green", "blue", "purple", "white", "black"],
  size: ["small", "large"],
  position: ["left", "right", "top", "bottom", "center"],
  /** Background colour: the same colour words, read as background when the text says so. */
  background: ["red", "orange", "yellow", "green", "blue", "purple", "white", "black"],
} as const;

export type ShapeAttribute = keyof typeof SHAPE_ATTRIBUTES;

/** Words that carry no attribute but bind colours to the background ("on", "background", "with"). */
const SHAPE_STRUCTURE = ["on", "background", "with"] as const;

const SHAPE_WORDS: Record<string, readonly string[]> = {
  circle: ["circle", "circles", "disc", "disk", "dot", "round", "ball"],
  square: ["square", "squares", "box", "block"],
  triangle: ["triangle", "triangles", "triangular"],
  star: ["star", "stars", "starry"],
  heart: ["heart", "hearts"],
  cross: ["cross", "crosses", "plus"],
  red: ["red", "crimson", "scarlet", "ruby"],
  orange: ["orange", "amber", "tangerine"],
  yellow: ["yellow", "gold", "golden", "lemon"],
  green: ["green", "emerald", "lime"],
  blue: ["blue", "azure", "navy", "cobalt"],
  purple: ["purple", "violet", "lilac", "lavender"],
  white: ["white", "ivory", "snow"],
  black: ["black", "ebony", "jet"],
  small: ["small", "little", "tiny", "mini"],
  large: ["large", "big", "huge", "giant", "bigger"],
  left: ["left", "leftmost"],
  right: ["right", "rightmost"],
  top: ["top", "upper"],
  bottom: ["bottom", "lower"],
  center: ["center", "centre", "middle", "centered", "centred", "central"],
  on: ["on", "against", "over", "upon", "atop"],
  background: ["background", "backdrop", "backgrounds", "bg"],
  with: ["with"],
};

const canonical = (values: readonly string[]) => [...new Set(values)];

/** The vocabulary of `shapes-tcgan`: procedural shapes with colours, sizes, positions and backgrounds. */
export const SHAPES_VOCABULARY: TokenVocabulary = {
  name: "shapes",
  maxTokens: 12,
  tokens: [
    PAD,
    ...canonical([
      ...SHAPE_ATTRIBUTES.shape,
      ...SHAPE_ATTRIBUTES.color,
      ...SHAPE_ATTRIBUTES.size,
      ...SHAPE_ATTRIBUTES.position,
      ...SHAPE_STRUCTURE,
    ]),
  ],
  attributes: SHAPE_ATTRIBUTES,
  words: SHAPE_WORDS,
};

export interface Tokenized {
  /** Token ids, at most maxTokens, unpadded. */
  ids: number[];
  /** The canonical tokens of `ids`. */
  tokens: string[];
  /** Words of the prompt the vocabulary does not know (dropped). */
  dropped: string[];
}

const lookups = new WeakMap<TokenVocabulary, Map<string, number>>();

function lookup(vocab: TokenVocabulary): Map<string, number> {
  let map = lookups.get(vocab);
  if (!map) {
    map = new Map();
    for (const [id, token] of vocab.tokens.entries()) {
      if (id === 0) continue;
      for (const word of vocab.words[token] ?? [token]) map.set(word, id);
    }
    lookups.set(vocab, map);
  }
  return map;
}

/** Lower-case words (NFKC, so full-width letters read as ASCII); anything but letters and digits splits. */
export function words(prompt: string): string[] {
  return prompt
    .normalize("NFKC")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

export function tokenize(vocab: TokenVocabulary, prompt: string): Tokenized {
  const map = lookup(vocab);
  const out: Tokenized = { ids: [], tokens: [], dropped: [] };
  for (const word of words(prompt)) {
    const id = map.get(word);
    if (id === undefined) {
      out.dropped.push(word);
    } else if (out.ids.length < vocab.maxTokens) {
      out.ids.push(id);
      out.tokens.push(vocab.tokens[id] ?? PAD);
    }
  }
  return out;
}

/**
 * The generator's text input: one row of `tokens.length` per position (maxTokens rows), one-hot, padding
 * rows all zero, flattened row-major. One-hot rows times the encoder's first dense layer is an embedding
 * lookup that trains on every backend (the Embedding layer's gradient needs a kernel wasm lacks).
 */
export function tokenRows(vocab: TokenVocabulary, ids: readonly number[]): Float32Array {
  const size = vocab.tokens.length;
  const out = new Float32Array(vocab.maxTokens * size);
  ids.slice(0, vocab.maxTokens).forEach((id, pos) => {
    if (id > 0 && id < size) out[pos * size + id] = 1;
  });
  return out;
}

/** What a vocabulary understands, attribute by attribute, for error messages and model listings. */
export function describeVocabulary(vocab: TokenVocabulary): string {
  return Object.entries(vocab.attributes)
    .map(([attribute, values]) => `${attribute}: ${values.join(", ")}`)
    .join("; ");
}
