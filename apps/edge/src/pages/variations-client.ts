/**
 * Runs in the browser, on a gallery page that offers variations (bundled by scripts/prepare-static.ts, not
 * part of the Worker). It loads onnxruntime-web and the result's generator once, then renders nearby latent
 * points of one of the result's images on every slider move, with no server round trip.
 *
 * The page says which result it shows (seed, image count, class, latent size); the latent points are drawn
 * with the same seeded generator the worker used, so at distance 0 the tiles are the result's own images.
 * onnxruntime-web runs single-threaded: threads need SharedArrayBuffer, which needs the page to be
 * cross-origin isolated (COOP + COEP), and one thread renders the eight tiles in a few milliseconds.
 */
import {
  requestNoise,
  seededNormal,
  TEMPERATURE_RANGE,
} from "../../../../packages/shared/src/seeded-normal.ts";

/** The part of onnxruntime-web's API used here (the module is loaded from the edge at run time). */
interface OrtTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
}
interface Ort {
  env: { logLevel?: string; wasm: { numThreads?: number; wasmPaths?: { wasm: string } } };
  Tensor: new (type: "float32", data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: {
    create(model: Uint8Array, options: { executionProviders: string[] }): Promise<OrtSession>;
  };
}

const TILES = 8;

/** [-1, 1] → 0–255 as the worker does it: round((x + 1) · 127.5) in float32, halves to even, clipped. */
function toByte(x: number): number {
  const v = Math.fround(Math.fround(x + 1) * 127.5);
  const base = Math.floor(v);
  const frac = v - base;
  const r = frac < 0.5 ? base : frac > 0.5 ? base + 1 : base % 2 === 0 ? base : base + 1;
  return Number.isNaN(r) ? 0 : Math.min(255, Math.max(0, r));
}

/** The result's noise scale; a page without one (or with one outside the API's range) draws at 1, as trained. */
function temperature(value: string | undefined): number {
  const t = Number(value ?? 1);
  return t >= TEMPERATURE_RANGE.min && t <= TEMPERATURE_RANGE.max ? t : 1;
}

function readConfig(section: HTMLElement) {
  const d = section.dataset;
  const int = (name: string) => {
    const v = Number(d[name]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`data-${name} is not a whole number`);
    return v;
  };
  return {
    model: d.model ?? "",
    ort: d.ort ?? "",
    wasm: d.wasm ?? "",
    seed: int("seed"),
    count: int("count"),
    temperature: temperature(d.temperature),
    classIndex: int("classIndex"),
    numClasses: int("numClasses"),
    latentDim: int("latentDim"),
  };
}

async function start(section: HTMLElement): Promise<void> {
  const config = readConfig(section);
  const status = section.querySelector<HTMLOutputElement>(".vary-status");
  const slider = section.querySelector<HTMLInputElement>("input.vary-distance");
  const distanceOut = section.querySelector<HTMLOutputElement>(".vary-distance-value");
  const baseSelect = section.querySelector<HTMLSelectElement>("select.vary-base");
  const shuffle = section.querySelector<HTMLButtonElement>("button.vary-shuffle");
  const grid = section.querySelector<HTMLElement>(".vary-grid");
  if (!status || !slider || !distanceOut || !baseSelect || !shuffle || !grid) return;
  section.hidden = false;
  const say = (text: string) => {
    status.textContent = text;
  };

  const canvases = Array.from({ length: TILES }, (_, i) => {
    const figure = grid.appendChild(document.createElement("figure"));
    figure.className = "card vary-tile";
    const canvas = figure.appendChild(document.createElement("canvas"));
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `variation ${i + 1}`);
    return canvas;
  });

  const started = performance.now();
  let ort: Ort;
  let session: OrtSession;
  try {
    const [module, model] = await Promise.all([
      import(/* @vite-ignore */ config.ort) as Promise<Ort>,
      fetch(config.model).then(async (r) => {
        if (!r.ok) throw new Error(`the generator answered ${r.status}`);
        return new Uint8Array(await r.arrayBuffer());
      }),
    ]);
    ort = module;
    ort.env.logLevel = "error";
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmPaths = { wasm: config.wasm };
    session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"] });
  } catch (err) {
    say(`Variations are unavailable in this browser (${err instanceof Error ? err.message : String(err)}).`);
    return;
  }
  const loadMs = performance.now() - started;
  section.dataset.loadMs = loadMs.toFixed(1);

  const { latentDim, numClasses, classIndex, seed, count, temperature } = config;
  // Unscaled: the great circle below keeps the norm the generator was trained at, then the temperature
  // scales every point as it scaled the result's (at distance 0, the result's own noise, bit for bit).
  const own = requestNoise(seed, count, latentDim);
  const labels = new Float32Array(TILES * numClasses);
  for (let i = 0; i < TILES; i++) labels[i * numClasses + classIndex] = 1;
  const [noiseName = "noise", labelName = "label"] = session.inputNames;
  const outputName = session.outputNames[0] ?? "image";
  let round = 0;
  let renders = 0;

  async function render(): Promise<void> {
    const base = Math.min(count - 1, Math.max(0, Number(baseSelect?.value ?? 0)));
    const distance = Number(slider?.value ?? 0);
    const z = own.subarray(base * latentDim, (base + 1) * latentDim);
    // Fixed directions per image and shuffle, so a distance always shows the same variations.
    const directions = seededNormal(`${seed}/${base}/${round}`, TILES * latentDim);
    // On the great circle from z towards each direction: distance 0 is the image itself, 1 a fresh
    // sample of the same class; the norm stays where the generator was trained.
    const angle = (distance * Math.PI) / 2;
    const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
    const noise = new Float32Array(TILES * latentDim);
    for (let t = 0; t < TILES; t++) {
      for (let k = 0; k < latentDim; k++) {
        const point = cos * (z[k] ?? 0) + sin * (directions[t * latentDim + k] ?? 0);
        noise[t * latentDim + k] = Math.fround(point) * temperature;
      }
    }
    const t0 = performance.now();
    const out = await session.run({
      [noiseName]: new ort.Tensor("float32", noise, [TILES, latentDim]),
      [labelName]: new ort.Tensor("float32", labels, [TILES, numClasses]),
    });
    const runMs = performance.now() - t0;
    const image = out[outputName];
    if (!image) throw new Error(`the generator has no output ${outputName}`);
    const [, height = 0, width = 0, channels = 1] = image.dims;
    const size = height * width * channels;
    canvases.forEach((canvas, t) => {
      canvas.width = width;
      canvas.height = height;
      const pixels = new ImageData(width, height);
      for (let p = 0; p < width * height; p++) {
        for (let ch = 0; ch < 3; ch++) {
          const value = image.data[t * size + p * channels + Math.min(ch, channels - 1)] ?? 0;
          pixels.data[p * 4 + ch] = toByte(value);
        }
        pixels.data[p * 4 + 3] = 255;
      }
      canvas.getContext("2d")?.putImageData(pixels, 0, 0);
    });
    renders++;
    section.dataset.runMs = runMs.toFixed(1);
    section.dataset.renders = String(renders);
    say(`Generator loaded in ${Math.round(loadMs)} ms · ${TILES} variations in ${runMs.toFixed(1)} ms`);
  }

  // One render at a time; slider moves during a render coalesce into one more.
  let running: Promise<void> | undefined;
  let again = false;
  const update = () => {
    distanceOut.value = Number(slider.value).toFixed(2);
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await render();
        } catch (err) {
          say(`Variations failed: ${err instanceof Error ? err.message : String(err)}`);
          again = false;
        }
      } while (again);
      running = undefined;
    })();
  };
  slider.addEventListener("input", update);
  baseSelect.addEventListener("change", update);
  shuffle.addEventListener("click", () => {
    round++;
    update();
  });
  shuffle.disabled = false;
  update();
}

const section = document.getElementById("variations");
if (section) void start(section);
