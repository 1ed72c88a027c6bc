import { configFromEnv } from "./runtime/config.ts";

const USAGE = `Usage: ganvas-worker <command> [options]

Commands:
  run     claim and run jobs from the bucket until stopped (configured by environment, see README)
  train   train a generator: ganvas-worker train --model fashion-cdcgan|shapes-tcgan --epochs 10 --out <dir>
  eval    score a generator with an independent classifier, write model-card.json: ganvas-worker eval --model-dir <dir>
  export  write generator.onnx next to a generator's weights: ganvas-worker export --model-dir <dir>
  publish copy model versions to the bucket and list them in its registry: ganvas-worker publish --all
  sr-eval   score super-resolution (bicubic, UpscalerJS ESRGANs, ours) on the held-out photos: ganvas-worker sr-eval --scale 2
  sr-train  train a super-resolution GAN: ganvas-worker sr-train --model sr-x2 --steps 2000
  cyclegan-train  train a CycleGAN style (photos ↔ style images): ganvas-worker cyclegan-train --style starry-night
  style-eval      score style generators, write their model card: ganvas-worker style-eval --model-dir <version dir>
  pix2pix-train   train a pix2pix style (paired images): ganvas-worker pix2pix-train --style noto-emoji
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run": {
      const { serve } = await import("./runtime/serve.ts");
      await serve(configFromEnv());
      return 0;
    }
    case "train": {
      const { trainCommand } = await import("./training/cli.ts");
      return await trainCommand(rest);
    }
    case "eval": {
      const { evalCommand } = await import("./eval/cli.ts");
      return await evalCommand(rest);
    }
    case "export": {
      const { exportCommand } = await import("./onnx/cli.ts");
      await exportCommand(rest);
      return 0;
    }
    case "publish": {
      const { publishCommand } = await import("./publish/cli.ts");
      return await publishCommand(rest);
    }
    case "sr-eval": {
      const { srEvalCommand } = await import("./sr/cli.ts");
      return await srEvalCommand(rest);
    }
    case "sr-train": {
      const { srTrainCommand } = await import("./sr/cli.ts");
      return await srTrainCommand(rest);
    }
    case "cyclegan-train": {
      const { cycleGanTrainCommand } = await import("./style/cyclegan-cli.ts");
      return await cycleGanTrainCommand(rest);
    }
    case "pix2pix-train":
      return await (await import("./style/pix2pix-cli.ts")).pix2pixTrainCommand(rest);
    case "style-eval": {
      const { styleEvalCommand } = await import("./style/evaluate-cli.ts");
      return await styleEvalCommand(rest);
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
