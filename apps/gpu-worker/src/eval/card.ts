/** The model card written next to a generator version (`model-card.json`), and its printed table. */

export interface ClassScore {
  class: string;
  promptAccuracy: number;
  /** The classifier's accuracy on real test images of this class: the per-class ceiling. */
  realAccuracy: number;
  /** Mean pairwise pixel distance (values in [0, 1]) among one prompt's outputs across seeds. */
  generatedPixelDiversity: number;
  /** The same among real test images of that class: what "not collapsed" looks like. */
  realPixelDiversity: number;
  generatedFeatureDiversity: number;
  realFeatureDiversity: number;
}

/** A card's Fréchet entry: the generated-vs-real distance next to the real-vs-real baseline, and their ratio. */
export interface FrechetReport {
  features: string;
  generatedVsReal: number;
  realVsReal: number;
  ratio: number;
  target: number;
  met: boolean;
  sets: { reference: number; generated: number; baseline: number };
}

const significant = (x: number) => Number(x.toPrecision(6));

/** The Fréchet entry both evaluators write, from distances on the judge's `featureDim`-wide features. */
export function frechetReport(
  generatedVsReal: number,
  realVsReal: number,
  featureDim: number,
  target: number,
  sets: FrechetReport["sets"],
): FrechetReport {
  const ratio = realVsReal > 0 ? generatedVsReal / realVsReal : Number.POSITIVE_INFINITY;
  return {
    features: `classifier penultimate layer (${featureDim})`,
    generatedVsReal: significant(generatedVsReal),
    realVsReal: significant(realVsReal),
    ratio: significant(ratio),
    target,
    met: ratio <= target,
    sets,
  };
}

/** The table line both evaluators print for it. */
export function formatFrechet(f: FrechetReport): string {
  return `Fréchet distance  ${f.generatedVsReal.toFixed(3)} generated vs real, ${f.realVsReal.toFixed(3)} real vs real → ${f.ratio.toFixed(2)}× (target ≤ ${f.target}×: ${f.met ? "met" : "NOT met"})`;
}

export interface ModelCard {
  model: string;
  task: string;
  modelDir: string;
  training: {
    data: unknown;
    steps: number | null;
    epochs: number | null;
    batchSize: number | null;
    wallSeconds: number | null;
    backend: unknown;
    params: unknown;
    completed: boolean | null;
  };
  evaluation: {
    date: string;
    backend: string;
    wallSeconds: number;
    imagesPerClass: number;
    seeds: string;
    /** The noise scale images were drawn at, when not the default 1 (such a run writes no card). */
    temperature?: number;
    classifier: {
      dir: string;
      architecture: string;
      params: number;
      trainImages: number;
      epochs: number;
      /** Held-out accuracy on the real test images this run used: the ceiling for prompt accuracy. */
      testAccuracy: number;
      testImages: number;
    };
    promptAccuracy: { overall: number; target: number; met: boolean };
    frechet: FrechetReport;
    diversity: {
      pixelRatio: { mean: number; min: number };
      featureRatio: { mean: number; min: number };
    };
    perClass: ClassScore[];
    /** Prompt accuracy of the generator snapshots kept during training, against training time. */
    curve?: {
      imagesPerClass: number;
      points: { step: number; seconds: number; promptAccuracy: number }[];
      /** Training seconds at the first snapshot at or above 90%; null if none got there. */
      secondsTo90: number | null;
    };
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number) => x.toFixed(3);

/** A plain-text summary for the terminal. */
export function formatCard(card: ModelCard): string {
  const e = card.evaluation;
  const header = ["class", "prompt acc", "real acc", "div gen", "div real", "ratio"];
  const rows = e.perClass.map((c) => [
    c.class,
    pct(c.promptAccuracy),
    pct(c.realAccuracy),
    num(c.generatedPixelDiversity),
    num(c.realPixelDiversity),
    (c.generatedPixelDiversity / c.realPixelDiversity).toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  const yes = (met: boolean) => (met ? "met" : "NOT met");
  return [
    `${card.model} (${card.modelDir}) — ${e.imagesPerClass} images per class${atTemperature(e.temperature)}, backend ${e.backend}, ${e.wallSeconds.toFixed(0)} s`,
    `classifier: ${e.classifier.architecture}, ${e.classifier.trainImages} train images × ${e.classifier.epochs} epochs, real test accuracy ${pct(e.classifier.testAccuracy)} (${e.classifier.testImages} images)`,
    "",
    line(header),
    ...rows.map(line),
    "",
    `prompt accuracy   ${pct(e.promptAccuracy.overall)}  (target ≥ ${pct(e.promptAccuracy.target)}: ${yes(e.promptAccuracy.met)}; classifier ceiling ${pct(e.classifier.testAccuracy)})`,
    formatFrechet(e.frechet),
    ...(e.curve
      ? [
          `curve             ${e.curve.points.map((p) => `${p.seconds} s ${pct(p.promptAccuracy)}`).join(", ")}`,
          `90% reached at    ${e.curve.secondsTo90 === null ? "never" : `${e.curve.secondsTo90} s of training`}`,
        ]
      : []),
    `diversity ratio   pixels mean ${e.diversity.pixelRatio.mean.toFixed(2)} min ${e.diversity.pixelRatio.min.toFixed(2)}; features mean ${e.diversity.featureRatio.mean.toFixed(2)} min ${e.diversity.featureRatio.min.toFixed(2)} (1.00 = as varied as real images)`,
    "",
  ].join("\n");
}

/** The header's note of a non-default temperature: the figures then describe requests that set it. */
export function atTemperature(t: number | undefined): string {
  return t === undefined || t === 1 ? "" : ` at temperature ${t} (requests' default is 1)`;
}
