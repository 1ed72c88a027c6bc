/** Argument helpers shared by the worker's commands, so every command refuses bad input the same way. */

/** A flag with a parseArgs default is always a string, so its number is never undefined. */
type Parsed<V> = V extends string ? number : number | undefined;

function checked<V extends string | undefined>(
  name: string,
  value: V,
  usage: string,
  want: string,
  ok: (n: number) => boolean,
): Parsed<V> {
  if (value === undefined) return undefined as Parsed<V>;
  const n = Number(value);
  // Number("") is 0: an empty value is a slip, not a zero.
  if (value.trim() === "" || !ok(n)) throw new Error(`--${name} must be ${want}, got "${value}".\n${usage}`);
  return n as Parsed<V>;
}

/** `--name N` as a positive integer, or undefined when absent; a bad value throws with the usage. */
export function positiveInt<V extends string | undefined>(name: string, value: V, usage: string): Parsed<V> {
  return checked(name, value, usage, "a positive integer", (n) => Number.isInteger(n) && n >= 1);
}

/** `--name N` as an integer from 0 up, or undefined when absent. */
export function nonNegativeInt<V extends string | undefined>(
  name: string,
  value: V,
  usage: string,
): Parsed<V> {
  return checked(name, value, usage, "a non-negative integer", (n) => Number.isInteger(n) && n >= 0);
}

/** `--name X` as a number from 0 to max, or undefined when absent. */
export function nonNegativeNumber<V extends string | undefined>(
  name: string,
  value: V,
  usage: string,
  max = Number.POSITIVE_INFINITY,
): Parsed<V> {
  const want = max === Number.POSITIVE_INFINITY ? "a non-negative number" : `a number from 0 to ${max}`;
  return checked(name, value, usage, want, (n) => Number.isFinite(n) && n >= 0 && n <= max);
}

/** `--name X` as a number above 0, up to max, or undefined when absent. */
export function positiveNumber<V extends string | undefined>(
  name: string,
  value: V,
  usage: string,
  max: number,
): Parsed<V> {
  return checked(
    name,
    value,
    usage,
    `a number above 0, up to ${max}`,
    (n) => Number.isFinite(n) && n > 0 && n <= max,
  );
}

/** `--upsampling transpose|nearest` for the generators that offer both; absent means "transpose". */
export function upsamplingFlag(value: string | undefined, usage: string): "transpose" | "nearest" {
  if (value === undefined || value === "transpose" || value === "nearest") return value ?? "transpose";
  throw new Error(`--upsampling must be transpose or nearest, got "${value}".\n${usage}`);
}

/** Readers for a command's parsed flags that fall back to a default when the flag is absent. */
export function flagNumbers<V extends object>(values: V, usage: string) {
  const text = (name: keyof V & string) => values[name] as string | undefined;
  return {
    int: (name: keyof V & string, fallback: number) => positiveInt(name, text(name), usage) ?? fallback,
    num: (name: keyof V & string, fallback: number, max?: number) =>
      nonNegativeNumber(name, text(name), usage, max) ?? fallback,
  };
}

/** The flags every trainer takes, to spread into its parseArgs options. */
export const TRAIN_FLAGS = {
  out: { type: "string" },
  state: { type: "string" },
  resume: { type: "boolean", default: false },
  seed: { type: "string", default: "1" },
  limit: { type: "string" },
  backend: { type: "string" },
  "no-samples": { type: "boolean", default: false },
} as const;

export interface TrainFlagValues {
  out?: string;
  state?: string;
  resume: boolean;
  seed: string;
  limit?: string;
  backend?: string;
  "no-samples": boolean;
}

/**
 * TRAIN_FLAGS as trainer options; where a run writes by default is the command's to say. Every trainer's default
 * is under .ganvas/runs/, beside its state: a run never overwrites a shipped version unless --out names it.
 */
export function trainFlagOptions(
  values: TrainFlagValues,
  usage: string,
  defaults: { outDir: string; stateDir: string },
) {
  return {
    seed: checked("seed", values.seed, usage, "an integer", Number.isInteger),
    outDir: values.out ?? defaults.outDir,
    stateDir: values.state ?? defaults.stateDir,
    resume: values.resume,
    limit: positiveInt("limit", values.limit, usage),
    backend: values.backend,
    samples: !values["no-samples"],
  };
}

/**
 * Parses a command's arguments. On bad arguments it prints why and returns undefined with
 * process.exitCode 2, so a caller that only awaits the command still exits non-zero.
 */
export function parseCommandArgs<T>(parse: (argv: string[]) => T, argv: string[]): T | undefined {
  try {
    return parse(argv);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return undefined;
  }
}

/**
 * A trainer's command: exit code 2 on bad arguments (see parseCommandArgs); otherwise it trains (progress on
 * stderr) and writes one JSON line to stdout: where the generator went, the step reached, the speed, and what
 * `report` adds. A training failure throws.
 */
export async function trainerCommand<O extends { outDir: string }, M extends { step: number }>(
  parse: (argv: string[]) => O,
  argv: string[],
  train: (options: O) => Promise<{ metadata: M; stepsPerSecond: number }>,
  report: (metadata: M, options: O) => object,
): Promise<number> {
  const options = parseCommandArgs(parse, argv);
  if (options === undefined) return 2;
  const { metadata, stepsPerSecond } = await train(options);
  const summary = {
    out: options.outDir,
    step: metadata.step,
    stepsPerSecond: Number(stepsPerSecond.toFixed(3)),
    ...report(metadata, options),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}
