import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tfl from "@tensorflow/tfjs-layers";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { fsHandler } from "../src/models/fs-handler.ts";
import { parsePix2PixTrainArgs } from "../src/style/pix2pix-cli.ts";
import type { Pix2PixConfig } from "../src/style/pix2pix-model.ts";
import { type Pix2PixMetadata, trainPix2Pix } from "../src/style/pix2pix-train.ts";
import { withTempDir } from "./helpers.ts";

const tiny: Pix2PixConfig = {
  filters: 4,
  maxFilters: 8,
  depth: 4,
  discriminatorFilters: 4,
  discriminatorLayers: 2,
};

describe("pix2pix-train", () => {
  it("trains, checkpoints per epoch, resumes, and writes the generator contract and a merged model card", async () => {
    await withTempDir(async (dir) => {
      const version = join(dir, "pix2pix", "1");
      const outDir = join(version, "noto-emoji");
      const base = {
        ...parsePix2PixTrainArgs(["--out", outDir, "--state", join(dir, "state"), "--seed", "3"]),
        limit: 8,
        batchSize: 4,
        config: tiny,
        progress: false as const,
      };
      const first = await trainPix2Pix({ ...base, epochs: 1 });
      expect(first.metadata).toMatchObject({
        step: 2,
        totalSteps: 2,
        completed: true,
        multiple: 16,
        valueRange: [-1, 1],
      });
      const card1 = JSON.parse(await readFile(join(version, "model-card.json"), "utf8"));
      await writeFile(
        join(version, "model-card.json"),
        JSON.stringify({ ...card1, metrics: { ...card1.metrics, "noto-emoji.styleAccuracy": 0.5 } }),
      );

      const resumed = await trainPix2Pix({ ...base, epochs: 2, resume: true });
      expect(resumed.metadata.step).toBe(4);
      const meta = JSON.parse(await readFile(join(outDir, "metadata.json"), "utf8")) as Pix2PixMetadata;
      expect(meta).toMatchObject({ step: 4, epoch: 2, totalEpochs: 2, style: "noto-emoji", multiple: 16 });
      expect(meta.heldOut?.pairs).toBe(8);
      expect(meta.heldOut?.identityL1).toBeGreaterThan(0);

      const card = JSON.parse(await readFile(join(version, "model-card.json"), "utf8"));
      expect(card.metrics["noto-emoji.styleAccuracy"]).toBe(0.5);
      for (const k of [
        "heldOutL1",
        "heldOutPsnr",
        "identityL1",
        "identityPsnr",
        "heldOutL1AlphaDropped",
        "secondsPerMegapixel",
      ]) {
        expect(typeof card.metrics[`noto-emoji.${k}`]).toBe("number");
      }
      expect(card.paired["noto-emoji"].training.steps).toBe(4);

      // The generator loads on its own and keeps an input of the stated multiple at its size.
      const g = await tfl.loadLayersModel(fsHandler(outDir));
      expect(g.inputs[0]?.shape).toEqual([null, null, null, 3]);
      g.dispose();
      // Samples: 8 held-out rows of input · output · target, 64 px each with 4 px gaps.
      for (const png of [
        join(outDir, "samples.png"),
        join(version, "samples.png"),
        join(dir, "state", "samples", "epoch-2.png"),
      ]) {
        const m = await sharp(png).metadata();
        expect([m.width, m.height]).toEqual([3 * 64 + 4 * 4, 8 * 64 + 9 * 4]);
      }
    });
  });

  it("refuses bad arguments with the usage", () => {
    expect(() => parsePix2PixTrainArgs(["--style", "starry-night"])).toThrow(
      /--style must be one of noto-emoji/,
    );
    expect(() => parsePix2PixTrainArgs(["--epochs", "0"])).toThrow(/--epochs must be a positive integer/);
    expect(() => parsePix2PixTrainArgs(["--depth", "7"])).toThrow(/--depth must be at most 6/);
    expect(parsePix2PixTrainArgs([])).toMatchObject({
      style: "noto-emoji",
      epochs: 6,
      batchSize: 4,
      lambda: 100,
      outDir: join(".ganvas", "runs", "pix2pix", "noto-emoji"),
    });
  });
});
