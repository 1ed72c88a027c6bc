import * as tfl from "@tensorflow/tfjs-layers";
import { describe, expect, it } from "vitest";
import { fsHandler } from "../src/models/fs-handler.ts";
import {
  buildSrDiscriminator,
  buildSrGenerator,
  pixelShuffle,
  SR_MODELS,
  type SrConfig,
} from "../src/sr/model.ts";
import { backend, withTempDir } from "./helpers.ts";

const tinySr: SrConfig = {
  scale: 2,
  filters: 4,
  blocks: 1,
  residualScale: 0.2,
  discriminatorWidths: [4, 8],
  patchSize: 16,
  seed: 3,
};

describe("SR models", () => {
  it("pixel shuffle by reshape/transpose equals tf.depthToSpace, and has a gradient", async () => {
    const { tf } = await backend();
    const x = tf.randomNormal([2, 3, 5, 12]) as import("@tensorflow/tfjs-core").Tensor4D;
    const ours = pixelShuffle(x, 2);
    const ref = tf.depthToSpace(x, 2, "NHWC");
    expect(ours.shape).toEqual([2, 6, 10, 3]);
    expect(tf.max(tf.abs(tf.sub(ours, ref))).dataSync()[0]).toBe(0);
    const g = tf.grad((t: import("@tensorflow/tfjs-core").Tensor) =>
      tf.sum(tf.square(pixelShuffle(t as never, 2))),
    )(x);
    expect(tf.max(tf.abs(tf.sub(g, tf.mul(x, 2)))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([x, ours, ref, g]);
  });

  it("×2 and ×4 generators upscale any size; the discriminator gives one logit per image", async () => {
    const { tf } = await backend();
    for (const scale of [2, 4] as const) {
      const g = buildSrGenerator({ ...tinySr, scale });
      const out = tf.tidy(() => g.predict(tf.zeros([1, 7, 5, 3])) as import("@tensorflow/tfjs-core").Tensor);
      expect(out.shape).toEqual([1, 7 * scale, 5 * scale, 3]);
      out.dispose();
      g.dispose();
    }
    const d = buildSrDiscriminator(tinySr);
    const logit = tf.tidy(
      () => d.predict(tf.zeros([3, 16, 16, 3])) as import("@tensorflow/tfjs-core").Tensor,
    );
    expect(logit.shape).toEqual([3, 1]);
    logit.dispose();
    d.dispose();
  });

  it("starts as half-pixel bilinear upscaling (zero tail) and round-trips through save/load with the custom layer", async () => {
    const { tf } = await backend();
    const g = buildSrGenerator(tinySr);
    const x = tf.randomUniform([1, 6, 6, 3]);
    const y = g.predict(x) as import("@tensorflow/tfjs-core").Tensor;
    const bilinear = tf.image.resizeBilinear(
      x as import("@tensorflow/tfjs-core").Tensor4D,
      [12, 12],
      false,
      true,
    );
    expect(tf.max(tf.abs(tf.sub(y, bilinear))).dataSync()[0]).toBeLessThan(1e-5);
    await withTempDir(async (dir) => {
      await g.save(fsHandler(dir));
      const loaded = await tfl.loadLayersModel(fsHandler(dir));
      const y2 = loaded.predict(x) as import("@tensorflow/tfjs-core").Tensor;
      expect(tf.max(tf.abs(tf.sub(y, y2))).dataSync()[0]).toBe(0);
      tf.dispose(y2);
      loaded.dispose();
    });
    tf.dispose([x, y, bilinear]);
    g.dispose();
  });

  it("registers ×2 and ×4 as super-resolution definitions", () => {
    expect(SR_MODELS["sr-x2"].config.scale).toBe(2);
    expect(SR_MODELS["sr-x4"].config.scale).toBe(4);
    expect(SR_MODELS["sr-x4"].task).toBe("super-resolution");
  });

  it("narrows the later shuffle stages with upFilters (×4 runs its last convs on 16× the pixels)", () => {
    const wide = buildSrGenerator({ ...tinySr, scale: 4 });
    const narrow = buildSrGenerator({ ...tinySr, scale: 4, upFilters: [4, 2] });
    expect(narrow.getLayer("up1_conv").outputShape).toEqual([null, null, null, 2 * 4]);
    expect(narrow.getLayer("tail").getWeights()[0]?.shape).toEqual([3, 3, 2, 3]);
    expect(narrow.countParams()).toBeLessThan(wide.countParams());
    expect(narrow.outputShape).toEqual(wide.outputShape);
    wide.dispose();
    narrow.dispose();
  });
});
