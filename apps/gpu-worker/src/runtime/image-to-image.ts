import type { JobSpec } from "@ganvas/shared";
import sharp from "sharp";
import type { RgbImage } from "../sr/image.ts";
import type { GeneratedImage } from "./runner.ts";

/** Reads an uploaded input image's bytes (the bucket's `inputs/<sha256>`). */
export type ReadInput = (sha256: string) => Promise<Uint8Array>;

/** One image-to-image job: the decoded input in, the output image out. */
export type ImageTransform = (input: RgbImage, spec: JobSpec) => Promise<RgbImage>;

/**
 * Decodes any format the edge accepts (PNG, JPEG, WebP) to 8-bit RGB, EXIF orientation applied. Transparent
 * pixels are composited on white, as a viewer shows them: dropping alpha would expose whatever colour the
 * encoder left under them (often black).
 */
export async function decodeInput(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes)
    .rotate()
    .flatten({ background: "#ffffff" })
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels === 3) return { width: info.width, height: info.height, data: new Uint8Array(data) };
  // Gray inputs come back with one channel: spread it over R, G and B.
  const count = info.width * info.height;
  const rgb = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) rgb.fill(data[i * info.channels] ?? 0, i * 3, i * 3 + 3);
  return { width: info.width, height: info.height, data: rgb };
}

export async function encodeOutput(image: RgbImage): Promise<GeneratedImage> {
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
  return { png: new Uint8Array(png), width: image.width, height: image.height };
}

/**
 * Image-to-image tasks (style transfer, super-resolution): every job has its own input of its own size, so
 * jobs of one batch run one after the other, each in bounded memory through the transform's tiling.
 */
export function imageToImageRunner(readInput: ReadInput, transform: ImageTransform) {
  return async (specs: readonly JobSpec[]): Promise<GeneratedImage[][]> => {
    const out: GeneratedImage[][] = [];
    for (const spec of specs) {
      if (!spec.input) throw new Error(`a ${spec.task} job needs an input image`);
      const input = await decodeInput(await readInput(spec.input));
      out.push([await encodeOutput(await transform(input, spec))]);
    }
    return out;
  };
}
