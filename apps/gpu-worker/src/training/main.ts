import { trainCommand } from "./cli.ts";

// Stand-alone entry for `tsx src/training/main.ts …`, handy before the worker CLI dispatches `train`.
process.exitCode = await trainCommand(process.argv.slice(2));
