/**
 * The models a deployment serves, per task. The edge checks requests against it and fills the default
 * model; the worker looks up how to run each one. Versions are pinned here so a cache key always names
 * the exact weights that produced an image.
 */
import type { Task } from "./schemas.ts";

export const TASKS = ["text-to-image", "style-transfer", "super-resolution"] as const;

export interface CatalogEntry {
  readonly task: Task;
  readonly name: string;
  readonly version: number;
  readonly description: string;
  /** Output size in pixels (square) for generators with a fixed size. */
  readonly outputSize?: number;
  /** Style transfer: the styles this model has a generator for (one generator per style). */
  readonly styles?: readonly string[];
  /** Super-resolution: the upscaling factors it offers. */
  readonly scales?: readonly number[];
}

export const CATALOG: readonly CatalogEntry[] = [
  {
    task: "text-to-image",
    name: "fashion-cdcgan",
    version: 1,
    description: "Class-conditional DCGAN trained on Fashion-MNIST: 28×28 grayscale clothing items.",
    outputSize: 28,
  },
  {
    task: "text-to-image",
    name: "fashion-cdcgan",
    version: 2,
    description:
      "Class-conditional DCGAN with an ACGAN class head in its discriminator, trained on Fashion-MNIST: 28×28 " +
      "grayscale clothing items, closer to the real images' statistics and more varied than version 1.",
    outputSize: 28,
  },
  {
    task: "text-to-image",
    name: "fashion-cdcgan",
    version: 3,
    description:
      "Class-conditional DCGAN with a projection discriminator, trained on Fashion-MNIST: 28×28 grayscale " +
      "clothing items, the asked-for item more often and closer to the real images than version 2.",
    outputSize: 28,
  },
  {
    task: "text-to-image",
    name: "digits-cdcgan",
    version: 1,
    description:
      "Class-conditional DCGAN with an ACGAN class head in its discriminator, trained on MNIST: 28×28 grayscale " +
      'handwritten digits; prompts name a digit as a numeral or a word ("a handwritten 7", "seven").',
    outputSize: 28,
  },
  {
    task: "text-to-image",
    name: "digits-cdcgan",
    version: 2,
    description:
      "Class-conditional DCGAN with a projection discriminator, trained on MNIST: 28×28 grayscale handwritten " +
      "digits, the asked-for digit 97.6% of the time by the evaluator's judge; prompts name a digit as a numeral " +
      'or a word ("a handwritten 7", "seven").',
    outputSize: 28,
  },
  {
    task: "text-to-image",
    name: "shapes-tcgan",
    version: 1,
    description:
      "Text-conditioned DCGAN with a learned token encoder, trained on procedural captioned shapes: 32×32 RGB " +
      "shapes with colours, sizes, positions and backgrounds.",
    outputSize: 32,
  },
  {
    task: "text-to-image",
    name: "shapes-tcgan",
    version: 2,
    description:
      "Text-conditioned DCGAN with a learned token encoder, trained on procedural captioned shapes; nearest-" +
      "neighbour upsampling and the prompt fed to every generator resolution. Follows colour, size and background " +
      "far better than version 1; shape and position not yet.",
    outputSize: 32,
  },
  {
    task: "text-to-image",
    name: "shapes-tcgan",
    version: 3,
    description:
      "Text-conditioned DCGAN trained on procedural captioned shapes, its text encoders pretrained to name what " +
      "captions say and then frozen. Follows colour, size, position and background; the outline (circle, star…) " +
      "not yet.",
    outputSize: 32,
  },
  {
    task: "text-to-image",
    name: "shapes-tcgan",
    version: 4,
    description:
      "Version 3 trained on to step 4,650: follows colour, size, position and background, and the outline " +
      "(circle, star…) 42% of the time.",
    outputSize: 32,
  },
  {
    task: "text-to-image",
    name: "shapes-tcgan",
    version: 5,
    description:
      "Version 3 trained on to step 10,500: follows colour, size, position and background, and the outline " +
      "(circle, star…) 86% of the time.",
    outputSize: 32,
  },
  {
    task: "text-to-image",
    name: "shapes-tcgan",
    version: 6,
    description:
      "Version 3 trained on to step 13,500: follows colour, size, position and background, and the outline " +
      "(circle, star…) 91% of the time.",
    outputSize: 32,
  },
  {
    task: "text-to-image",
    name: "shapes-tcgan",
    version: 7,
    description:
      "Version 6's run branched at step 12,450 and trained to 16,500 with a mode-seeking term: the outline right " +
      "91% of the time, and two to three times version 6's variety across seeds.",
    outputSize: 32,
  },
  {
    task: "style-transfer",
    name: "cyclegan",
    version: 1,
    description:
      "CycleGAN generators trained on unpaired photos ↔ Van Gogh's The Starry Night and low-poly illustrations.",
    styles: ["starry-night", "low-poly"],
  },
  {
    task: "style-transfer",
    name: "cyclegan",
    version: 2,
    description:
      "CycleGAN generators trained on unpaired photos ↔ Van Gogh's The Starry Night and low-poly illustrations; " +
      "both retrained with nearest-neighbour upsampling (no checkerboard), starry-night for longer.",
    styles: ["starry-night", "low-poly"],
  },
  {
    task: "style-transfer",
    name: "cyclegan",
    version: 3,
    description:
      "CycleGAN generators trained on unpaired photos ↔ Van Gogh's The Starry Night and low-poly illustrations; " +
      "low-poly fine-tuned with an edge-consistency loss so the scene's edges stay where they were (edge SSIM " +
      "0.51), starry-night as in version 2.",
    styles: ["starry-night", "low-poly"],
  },
  {
    task: "style-transfer",
    name: "pix2pix",
    version: 1,
    description:
      "pix2pix U-Net generator (PatchGAN-trained, L1 + adversarial) on paired Twemoji → Noto Color Emoji " +
      "drawings: redraws an emoji in Noto's style; fully convolutional, tiled for large inputs.",
    styles: ["noto-emoji"],
  },
  {
    task: "super-resolution",
    name: "srgan",
    version: 1,
    description:
      "SRGAN-family residual generators (×2, ×4) with pixel-shuffle upsampling and a bilinear skip, trained " +
      "on natural photos; tiled, so large inputs upscale in bounded memory.",
    scales: [2, 4],
  },
  {
    task: "super-resolution",
    name: "srgan",
    version: 2,
    description:
      "SRGAN-family residual generators (×2, ×4) with pixel-shuffle upsampling and a bilinear skip, trained " +
      "on natural photos; ×2 trained 3.5× longer than version 1 (+0.34 dB on the held-out photos), ×4 as in " +
      "version 1. Tiled, so large inputs upscale in bounded memory.",
    scales: [2, 4],
  },
  {
    task: "super-resolution",
    name: "srgan",
    version: 3,
    description:
      "SRGAN-family residual generators (×2, ×4) with pixel-shuffle upsampling and a bilinear skip; ×2 " +
      "fine-tuned from version 2 on 21 wallpaper photos, each at two sizes (+0.30 dB on the held-out photos, " +
      "bicubic + 1.58 dB), ×4 as in version 1. Tiled, so large inputs upscale in bounded memory.",
    scales: [2, 4],
  },
];

export const DEFAULT_MODEL: Record<Task, string | undefined> = {
  "text-to-image": "fashion-cdcgan",
  "style-transfer": "cyclegan",
  "super-resolution": "srgan",
};

export function modelsFor(task: Task): CatalogEntry[] {
  return CATALOG.filter((m) => m.task === task);
}

/** Resolves `name@version` exactly, or `name` alone to its newest version, to a catalog entry of the task. */
export function resolveModel(task: Task, ref: string): CatalogEntry | undefined {
  const [name, version] = ref.split("@");
  return CATALOG.filter(
    (m) => m.task === task && m.name === name && (version === undefined || String(m.version) === version),
  ).sort((a, b) => b.version - a.version)[0];
}

/** The catalog entry a request naming `name` alone gets (its newest version); an error if none is listed. */
export function shippedModel(task: Task, name: string): CatalogEntry {
  const entry = resolveModel(task, name);
  if (entry === undefined) throw new Error(`The catalog lists no ${task} model named ${name}.`);
  return entry;
}

export function modelRef(entry: CatalogEntry): string {
  return `${entry.name}@${entry.version}`;
}
