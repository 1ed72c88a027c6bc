/**
 * The headline figures of a model card, as the registry lists them: the card's own top-level `metrics`
 * when it has one, else (cards written before that field existed) the text-to-image evaluator's figures.
 */
export function cardMetrics(card: unknown): Record<string, number> {
  if (typeof card !== "object" || card === null) return {};
  const c = card as Record<string, unknown>;
  const out: Record<string, number> = {};
  if (typeof c.metrics === "object" && c.metrics !== null) {
    for (const [k, v] of Object.entries(c.metrics))
      if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
    return out;
  }
  const evaluation = c.evaluation as
    | { promptAccuracy?: { overall?: unknown }; frechet?: { ratio?: unknown; generatedVsReal?: unknown } }
    | undefined;
  const pick = (name: string, v: unknown) => {
    if (typeof v === "number" && Number.isFinite(v)) out[name] = v;
  };
  pick("promptAccuracy", evaluation?.promptAccuracy?.overall);
  pick("frechetDistance", evaluation?.frechet?.generatedVsReal);
  pick("frechetRatio", evaluation?.frechet?.ratio);
  return out;
}
