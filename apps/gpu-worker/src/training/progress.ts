import cliProgress from "cli-progress";

export interface Progress {
  update(step: number, values: { epoch: number; d: number; g: number }): void;
  log(line: string): void;
  stop(): void;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}

/**
 * A live bar on a terminal; on a pipe or log file, where a redrawn bar becomes noise, one plain line every
 * `every` steps. Both go to stderr so stdout stays free for machine-readable output.
 */
export function createProgress(
  total: number,
  start: number,
  stream: NodeJS.WriteStream | false = process.stderr,
): Progress {
  if (stream === false) return { update() {}, log() {}, stop() {} };
  const began = Date.now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format:
          "epoch {epoch} |{bar}| {value}/{total} steps | {rate} step/s | eta {eta_formatted} | D {d} G {g}",
        etaBuffer: 50,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let payload: Record<string, string | number> = { epoch: 1, d: "-", g: "-", rate: "-" };
    let value = start;
    let running = true;
    bar.start(total, value, payload);
    return {
      update(step, { epoch, d, g }) {
        const rate = (step - start) / ((Date.now() - began) / 1000);
        payload = { epoch, d: d.toFixed(3), g: g.toFixed(3), rate: rate.toFixed(2) };
        value = step;
        bar.update(step, payload);
      },
      log(line) {
        // Printing above a live bar needs it cleared first, or the two interleave.
        if (running) bar.stop();
        stream.write(`${line}\n`);
        if (running) bar.start(total, value, payload);
      },
      stop() {
        running = false;
        bar.stop();
      },
    };
  }
  const every = Math.max(1, Math.min(50, Math.floor(total / 20)));
  return {
    update(step, { epoch, d, g }) {
      if (step % every !== 0 && step !== total) return;
      const elapsed = (Date.now() - began) / 1000;
      const rate = (step - start) / elapsed;
      const eta = (total - step) / rate;
      stream.write(
        `step ${step}/${total} epoch ${epoch} ${rate.toFixed(2)} step/s eta ${formatDuration(eta)} D ${d.toFixed(3)} G ${g.toFixed(3)}\n`,
      );
    },
    log: (line) => stream.write(`${line}\n`),
    stop() {},
  };
}
