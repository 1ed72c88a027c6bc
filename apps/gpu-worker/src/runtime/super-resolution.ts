import type { ImageTransform } from "./image-to-image.ts";

/** Super-resolution: the job's ×scale generator, tiled over the input. */
export function superResolutionTransform(_modelsDir: string): ImageTransform {
  return async (_input, spec) => {
    throw new Error(`no super-resolution generator is shipped for ${spec.model} yet`);
  };
}
