import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { loadGenerator } from "../src/models/load.ts";
import { parseTrainArgs } from "../src/training/cli.ts";
import { decayAt } from "../src/training/ema.ts";
import { epochOrder, type TrainOptions, train } from "../src/training/run.ts";
import { listSnapshots } from "../src/training/snapshots.ts";
import { annealedRate } from "../src/training/steps.ts";
import { withTempDir } from "./helpers.ts";

/** A few-step digits run on 128 images, writing under `dir`, with no grids, snapshots or progress. */
function digitsRun(dir: string, seed: number) {
  return {
    model: "digits-cdcgan" as const,
    epochs: 1,
    batchSize: 32,
    seed,
    outDir: join(dir, "out"),
    stateDir: join(dir, "state"),
    limit: 128,
    backend: "wasm",
    samples: false,
    snapshotEvery: 0,
    progress: false as const,
  };
}

/** A saved generator's weights, flattened: all of them, or only those an optimizer updates. */
async function generatorWeights(dir: string, which: "weights" | "trainableWeights"): Promise<number[]> {
  const generator = await loadGenerator(dir);
  const values = generator[which].flatMap((w) => [...w.read().dataSync()]);
  generator.dispose();
  return values;
}

/**
 * How far (L2) a 2-step digits run's generator moves over 3 more steps resumed with `resumed`'s options. Only its
 * trainable weights: batch norm's moving statistics follow the batches, not the rate.
 */
async function generatorMovement(dir: string, resumed: Partial<TrainOptions>): Promise<number> {
  const base = digitsRun(dir, 4);
  const weights = () => generatorWeights(join(dir, "out"), "trainableWeights");
  await train({ ...base, steps: 2, resume: false });
  const before = await weights();
  const result = await train({ ...base, steps: 5, resume: true, ...resumed });
  expect(result.metadata.options).toMatchObject(resumed);
  const after = await weights();
  let squares = 0;
  for (const [i, w] of after.entries()) squares += (w - (before[i] as number)) ** 2;
  return Math.sqrt(squares);
}

describe("trainer", () => {
  it("a one-epoch run on a small slice writes a loadable checkpoint, metadata and a sample grid; resume continues", async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, "out");
      const base = {
        model: "fashion-cdcgan" as const,
        epochs: 1,
        batchSize: 128,
        seed: 3,
        outDir: out,
        stateDir: join(dir, "state"),
        limit: 256,
        backend: "wasm",
        progress: false as const,
      };
      const first = await train({ ...base, resume: false });
      expect(first.metadata).toMatchObject({ step: 2, epoch: 1, totalEpochs: 1, completed: true });
      for (const f of ["model.json", "weights.bin", "metadata.json", "samples.png"]) {
        expect((await stat(join(out, f))).size).toBeGreaterThan(0);
      }
      const png = PNG.sync.read(await readFile(join(out, "samples.png")));
      expect([png.width, png.height]).toEqual([10 * 28 + 9 * 2, 10 * 28 + 9 * 2]);
      const meta = JSON.parse(await readFile(join(out, "metadata.json"), "utf8"));
      expect(meta).toMatchObject({ model: "fashion-cdcgan", step: 2, backend: { name: "wasm" } });

      const resumed = await train({ ...base, epochs: 2, resume: true, samples: false });
      expect(resumed.metadata).toMatchObject({ step: 4, epoch: 2, totalEpochs: 2, completed: true });
      expect(resumed.metadata.started).toBe(meta.started);
    });
  });

  it("an ACGAN run keeps generator snapshots for the curve, and a resumed run keeps its class head", async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, "out");
      const state = join(dir, "state");
      const base = {
        model: "fashion-cdcgan" as const,
        epochs: 1,
        steps: 4,
        batchSize: 64,
        seed: 2,
        outDir: out,
        stateDir: state,
        limit: 256,
        backend: "wasm",
        samples: false,
        snapshotEvery: 2,
        progress: false as const,
      };
      const first = await train({ ...base, auxWeight: 0.5, resume: false });
      expect(first.metadata.options).toMatchObject({ config: { auxWeight: 0.5 } });
      expect((await listSnapshots(state)).map((s) => s.step)).toEqual([2, 4]);
      expect(first.metadata.curve?.map((p) => p.step)).toEqual([2, 4]);
      // Asking for no head on resume does not rebuild the saved discriminator's head away.
      const resumed = await train({ ...base, steps: 6, auxWeight: 0, resume: true });
      expect(resumed.metadata.options).toMatchObject({ config: { auxWeight: 0.5 } });
      expect(resumed.metadata.curve?.map((p) => p.step)).toEqual([2, 4, 6]);
    });
  });

  it("trains the digits with augmentation, wider networks and a projection D; a resume keeps them", async () => {
    await withTempDir(async (dir) => {
      const base = { ...digitsRun(dir, 5), steps: 2, auxWeight: 1, augment: true };
      const first = await train({ ...base, widthScale: 0.5, projection: true, resume: false });
      expect(first.metadata).toMatchObject({ data: { name: "mnist", images: 128 }, completed: true });
      const kept = {
        config: { generatorWidths: [32, 16], discriminatorWidths: [16, 32], conditioning: "projection" },
      };
      expect(first.metadata.options).toMatchObject(kept);
      expect(Number.isFinite(first.metadata.lastLosses?.d)).toBe(true);
      const resumed = await train({ ...base, steps: 3, resume: true });
      expect(resumed.metadata.options).toMatchObject(kept);
    });
  });

  it("--anneal lowers both learning rates over the run's last steps", async () => {
    const rates = [0, 5, 6, 7, 8, 9].map((step) => annealedRate(step, 10, 4, 2e-4));
    for (const [i, want] of [2e-4, 2e-4, 2e-4, 1.5e-4, 1e-4, 0.5e-4].entries())
      expect(rates[i]).toBeCloseTo(want, 12);
    expect(annealedRate(9, 10, 0, 2e-4)).toBe(2e-4);
    // Two copies of one 2-step run resumed for 3 steps, one annealed over 1,000: its steps are at under 0.3% of the
    // rate, so the generator barely moves, while the other's moves by Adam's full step size.
    const constant = await withTempDir((dir) => generatorMovement(dir, {}));
    const annealed = await withTempDir((dir) => generatorMovement(dir, { annealSteps: 1000 }));
    expect(constant).toBeGreaterThan(0);
    expect(annealed).toBeLessThan(constant * 0.05);
  });

  it("--d-lr and --g-lr set each network's rate, and a resumed run keeps them", async () => {
    const constant = await withTempDir((dir) => generatorMovement(dir, {}));
    // The generator's rate alone, at 1/1000 of the default: the generator barely moves.
    const slow = await withTempDir((dir) => generatorMovement(dir, { learningRates: { g: 2e-7 } }));
    expect(constant).toBeGreaterThan(0);
    expect(slow).toBeLessThan(constant * 0.05);
    await withTempDir(async (dir) => {
      const base = digitsRun(dir, 7);
      const first = await train({ ...base, steps: 1, resume: false, learningRates: { d: 4e-4, g: 1e-4 } });
      expect(first.metadata.options).toMatchObject({ learningRates: { d: 4e-4, g: 1e-4 } });
      const resumed = await train({ ...base, steps: 2, resume: true, learningRates: { g: 5e-5 } });
      expect(resumed.metadata.options).toMatchObject({ learningRates: { d: 4e-4, g: 5e-5 } });
    });
  });

  it("--ema ships an average of the generator, keeps the generator in the state folder, and resumes both", async () => {
    await withTempDir(async (dir) => {
      const base = digitsRun(dir, 6);
      const out = join(dir, "out");
      const trained = join(dir, "state", "generator");
      const weights = (from: string) => generatorWeights(from, "weights");
      const first = await train({ ...base, steps: 2, resume: false, emaDecay: 0.5 });
      expect(first.metadata.options).toMatchObject({ emaDecay: 0.5 });
      const averageBefore = await weights(out);
      expect(averageBefore).not.toEqual(await weights(trained));
      // Resumed without the flag, the run keeps its decay and folds its next step into the saved average.
      const resumed = await train({ ...base, steps: 3, resume: true });
      expect(resumed.metadata.options).toMatchObject({ emaDecay: 0.5 });
      const generator = await weights(trained);
      const average = await weights(out);
      const d = decayAt(0.5, 2);
      expect(d).toBeCloseTo(0.25, 12);
      average.forEach((a, i) => {
        expect(a).toBeCloseTo(d * (averageBefore[i] as number) + (1 - d) * (generator[i] as number), 5);
      });
      // --ema 0 ships the generator itself again, resumed from the trained copy rather than the average.
      await train({ ...base, steps: 4, resume: true, emaDecay: 0 });
      await expect(stat(trained)).rejects.toThrow(/ENOENT/);
      expect(await weights(out)).not.toEqual(average);
    });
  });

  it("refuses to resume from nothing", async () => {
    await withTempDir(async (dir) => {
      await expect(
        train({
          model: "fashion-cdcgan",
          epochs: 1,
          batchSize: 64,
          seed: 1,
          outDir: dir,
          stateDir: dir,
          resume: true,
          limit: 64,
          backend: "wasm",
          progress: false,
        }),
      ).rejects.toThrow(/Nothing to resume/);
    });
  });

  it("shuffles each epoch differently but reproducibly", () => {
    const a = epochOrder(50, 1, 0);
    expect(epochOrder(50, 1, 0)).toEqual(a);
    expect(epochOrder(50, 1, 1)).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("parses the CLI flags", () => {
    const opts = parseTrainArgs(["--epochs", "3", "--batch", "32", "--seed", "9", "--resume"]);
    expect(opts).toMatchObject({
      model: "fashion-cdcgan",
      epochs: 3,
      batchSize: 32,
      seed: 9,
      resume: true,
      outDir: join(".ganvas", "runs", "fashion-cdcgan"),
    });
    expect(() => parseTrainArgs(["--model", "nope"])).toThrow(/Unknown model/);
    expect(() => parseTrainArgs(["--epochs", "0"])).toThrow(/positive integer/);
    expect(parseTrainArgs(["--aux-weight", "0.5", "--snapshot-every", "0"])).toMatchObject({
      auxWeight: 0.5,
      snapshotEvery: 0,
    });
    expect(() => parseTrainArgs(["--aux-weight=-1"])).toThrow(/--aux-weight must be a number/);
    expect(() => parseTrainArgs(["--aux-weight", "lots"])).toThrow(/--aux-weight must be a number/);
    expect(
      parseTrainArgs(["--model", "digits-cdcgan", "--augment", "--width-scale", "2", "--projection"]),
    ).toMatchObject({
      model: "digits-cdcgan",
      augment: true,
      projection: true,
      widthScale: 2,
    });
    expect(() => parseTrainArgs(["--width-scale", "0"])).toThrow(/--width-scale must be a number above 0/);
    expect(parseTrainArgs(["--model", "shapes-tcgan", "--pretrain-encoder", "500"])).toMatchObject({
      encoderPretrainSteps: 500,
    });
    expect(() => parseTrainArgs(["--model", "shapes-tcgan", "--pretrain-encoder=-3"])).toThrow(
      /--pretrain-encoder must be/,
    );
    expect(parseTrainArgs(["--model", "shapes-tcgan", "--mode-seeking", "1"])).toMatchObject({
      modeSeekingWeight: 1,
    });
    expect(() => parseTrainArgs(["--model", "shapes-tcgan", "--mode-seeking", "much"])).toThrow(
      /--mode-seeking must be a number/,
    );
  });

  it("rejects a flag the chosen model's trainer would ignore", () => {
    expect(() => parseTrainArgs(["--mode-seeking", "0.1"])).toThrow(
      /--mode-seeking applies to text models \(shapes-tcgan\), not to fashion-cdcgan/,
    );
    expect(() => parseTrainArgs(["--model", "shapes-tcgan", "--projection"])).toThrow(
      /--projection applies to class models \(.*fashion-cdcgan.*\), not to shapes-tcgan/,
    );
    expect(() => parseTrainArgs(["--resume", "--width-scale", "2"])).toThrow(
      /--width-scale shapes a fresh run only/,
    );
    expect(() => parseTrainArgs(["--model", "shapes-tcgan", "--resume", "--warmup", "10"])).toThrow(
      /--warmup shapes a fresh run only/,
    );
    expect(() => parseTrainArgs(["--model", "shapes-tcgan", "--anneal", "100"])).toThrow(
      /--anneal applies to class models/,
    );
    expect(parseTrainArgs(["--resume", "--steps", "12000", "--anneal", "3000"])).toMatchObject({
      annealSteps: 3000,
    });
    expect(() => parseTrainArgs(["--model", "shapes-tcgan", "--ema", "0.999"])).toThrow(
      /--ema applies to class models/,
    );
    expect(() => parseTrainArgs(["--ema", "1"])).toThrow(/--ema must be below 1/);
    expect(() => parseTrainArgs(["--ema", "1.5"])).toThrow(/--ema must be a number from 0 to 1/);
    expect(parseTrainArgs(["--resume", "--ema", "0.999"])).toMatchObject({ emaDecay: 0.999 });
    expect(parseTrainArgs(["--d-lr", "4e-4", "--g-lr", "1e-4"])).toMatchObject({
      learningRates: { d: 4e-4, g: 1e-4 },
    });
    expect(parseTrainArgs(["--g-lr", "1e-4"]).learningRates).toEqual({ d: undefined, g: 1e-4 });
    expect(() => parseTrainArgs(["--model", "shapes-tcgan", "--d-lr", "4e-4"])).toThrow(
      /--d-lr applies to class models/,
    );
    // What a resumed run does read is still accepted.
    expect(
      parseTrainArgs(["--model", "shapes-tcgan", "--resume", "--mode-seeking", "0.1", "--aux-weight", "2"]),
    ).toMatchObject({ resume: true, modeSeekingWeight: 0.1, auxWeight: 2 });
  });
});
