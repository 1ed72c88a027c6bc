import type { ImageTransform } from "./image-to-image.ts";

/** Style transfer: the job's style generator, tiled over the input. */
export function styleTransferTransform(_modelsDir: string): ImageTransform {
  return async (_input, spec) => {
    throw new Error(`no style-transfer generator is shipped for ${spec.model} yet`);
  };
}
