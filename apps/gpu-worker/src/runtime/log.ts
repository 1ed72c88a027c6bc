/** Structured logs: one JSON object per line on stderr, the job id on every line that concerns a job. */
export type Logger = (level: "debug" | "info" | "warn" | "error", message: string, fields?: object) => void;

export function createLogger(base: object): Logger {
  const quiet = process.env.GANVAS_LOG_LEVEL === "warn";
  return (level, message, fields = {}) => {
    if (quiet && (level === "debug" || level === "info")) return;
    if (level === "debug" && process.env.GANVAS_LOG_LEVEL !== "debug") return;
    process.stderr.write(
      `${JSON.stringify({ t: new Date().toISOString(), level, message, ...base, ...fields })}\n`,
    );
  };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
