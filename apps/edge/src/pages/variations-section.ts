import { html } from "hono/html";
import type { VariationsView } from "../variations.ts";

/**
 * The gallery's variations panel. It is rendered `hidden` and only its script (variations-client.ts) shows
 * it, so with scripts off the page is the plain result, and nothing on it depends on them.
 */
export function variationsSection(v: VariationsView) {
  const size = v.generatorBytes === undefined ? "" : ` (${(v.generatorBytes / 1e6).toFixed(1)} MB)`;
  return html`<section id="variations" class="variations" hidden
      data-model="${v.generatorUrl}" data-ort="${v.ortModule}" data-wasm="${v.ortWasm}"
      data-seed="${v.seed}" data-count="${v.count}" data-temperature="${v.temperature}" data-class-index="${v.classIndex}"
      data-num-classes="${v.numClasses}" data-latent-dim="${v.latentDim}">
      <h2>Variations</h2>
      <p class="muted">Nearby points in the generator's latent space, drawn in your browser: the generator${size}
        and onnxruntime-web ${v.ortVersion} are downloaded once, then every change is computed here, with no
        request to the server. At distance 0 the tiles are the image itself.</p>
      <div class="vary-controls">
        <label>Image <select class="vary-base">${Array.from(
          { length: v.count },
          (_, i) => html`<option value="${i}">#${i + 1}</option>`,
        )}</select></label>
        <label class="vary-slider">Distance <input class="vary-distance" type="range" min="0" max="1" step="0.05"
          value="0.3"> <output class="vary-distance-value">0.30</output></label>
        <button class="vary-shuffle" type="button" disabled>Shuffle</button>
        <output class="vary-status" aria-live="polite">Loading the generator…</output>
      </div>
      <div class="vary-grid"></div>
    </section>
    <script type="module" src="${v.script}"></script>`;
}

export const VARIATIONS_STYLE = `
.variations h2 { margin-top: 2rem; }
.vary-controls { display: flex; flex-wrap: wrap; gap: .6rem 1.2rem; align-items: center; margin: .5rem 0 1rem;
  font-size: .9rem; }
.vary-controls select, .vary-controls button { background: var(--panel2); color: var(--text); border: 1px solid var(--line);
  border-radius: 8px; padding: .25rem .6rem; font: inherit; }
.vary-controls button:not(:disabled) { cursor: pointer; }
.vary-slider { display: flex; align-items: center; gap: .5rem; }
.vary-slider input { width: min(14rem, 40vw); accent-color: var(--accent); }
.vary-status { color: var(--muted); font-size: .82rem; }
.vary-grid { display: grid; grid-template-columns: repeat(8, minmax(0, 1fr)); gap: .7rem; }
@media (max-width: 600px) { .vary-grid { grid-template-columns: repeat(4, minmax(0, 1fr)); gap: .4rem; } }
.vary-tile { padding: .4rem; }
.vary-tile canvas { display: block; width: 100%; aspect-ratio: 1; image-rendering: pixelated; border-radius: 7px;
  background: #000; }
`;
