import { DEFAULT_STYLE_CLASSIFIER } from "./classifier.ts";
import { loadEmojiPairs } from "./emoji-data.ts";
import type { StyleEvalData } from "./evaluate.ts";

/**
 * Evaluation data for the paired emoji style: the judge learns Twemoji (source) vs Noto Color Emoji (target)
 * on the training split's real drawings, is checked on the held-out split's, and the held-out Twemoji are the
 * inputs whose outputs it scores. Each 64×64 emoji is one whole crop. Undefined for other styles.
 */
export async function emojiEvalData(style: string): Promise<StyleEvalData | undefined> {
  if (style !== "noto-emoji") return undefined;
  const { train, heldOut } = await loadEmojiPairs();
  const crop = 64;
  return {
    style,
    sets: {
      source: { name: "twemoji", train: train.map((p) => p.input), heldOut: heldOut.map((p) => p.input) },
      target: {
        name: "noto-emoji",
        train: train.map((p) => p.target),
        heldOut: heldOut.map((p) => p.target),
      },
    },
    heldOutCrops: { source: heldOut.map((p) => p.input), target: heldOut.map((p) => p.target) },
    inputs: heldOut.map((p) => p.input),
    references: heldOut.map((p) => p.target),
    crop,
    judge: { ...DEFAULT_STYLE_CLASSIFIER, crop },
  };
}
