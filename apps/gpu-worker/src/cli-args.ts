/** Argument helpers shared by the worker's commands, so every command refuses bad input the same way. */

/** `--name N` as a positive integer, or undefined when absent; a bad value throws with the usage. */
export function positiveInt(name: string, value: string | undefined, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a positive integer, got "${value}".\n${usage}`);
  return n;
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
