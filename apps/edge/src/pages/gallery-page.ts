import type { JobRecord, Manifest } from "@ganvas/shared";
import { html, raw } from "hono/html";
import type { VariationsView } from "../variations.ts";
import { resultUrls } from "../views.ts";
import { page } from "./layout.ts";
import { VARIATIONS_STYLE, variationsSection } from "./variations-section.ts";

/** GET /g/<id>: a finished result as a page worth sharing, or a self-refreshing page while it runs. */

const TASK_NAMES: Record<Manifest["task"], string> = {
  "text-to-image": "Text to image",
  "style-transfer": "Style transfer",
  "super-resolution": "Super-resolution",
};

function headline(m: Pick<Manifest, "task" | "params">): string {
  const p = m.params;
  if (typeof p.prompt === "string") return p.prompt;
  if (m.task === "style-transfer") return `Restyled as “${String(p.style ?? "")}”`;
  if (m.task === "super-resolution") return `Enlarged ×${String(p.scale ?? "")}`;
  return TASK_NAMES[m.task];
}

function socialTags(title: string, description: string, pageUrl: string, image?: string) {
  return html`<meta property="og:type" content="website">
<meta property="og:site_name" content="Ganvas">
<meta property="og:title" content="${title}">
<meta property="og:description" content="${description}">
<meta property="og:url" content="${pageUrl}">
${image ? html`<meta property="og:image" content="${image}"><meta name="twitter:image" content="${image}">` : ""}
<meta name="twitter:card" content="${image ? "summary_large_image" : "summary"}">
<meta name="twitter:title" content="${title}">
<meta name="twitter:description" content="${description}">`;
}

/** `variations`: what the page needs to offer in-browser variations, when the result's model allows them. */
export function galleryPage(origin: string, m: Manifest, job?: JobRecord, variations?: VariationsView) {
  const urls = resultUrls(origin, m);
  const title = headline(m);
  const first = m.images[0];
  const small = (first?.width ?? 0) < 160;
  const seed = m.params.seed;
  const description = `${TASK_NAMES[m.task]} by ${m.model}${seed === undefined ? "" : `, seed ${String(seed)}`} — made with Ganvas`;
  const short = m.id.slice(0, 8);
  const chips = [
    TASK_NAMES[m.task],
    m.model,
    first ? `${first.width}×${first.height}` : undefined,
    seed === undefined ? undefined : `seed ${String(seed)}`,
    m.params.temperature === undefined ? undefined : `temperature ${String(m.params.temperature)}`,
    `${urls.length} image${urls.length === 1 ? "" : "s"}`,
  ].filter((x): x is string => x !== undefined);
  const input = m.input
    ? html`<figure class="card input"><img src="${origin}/v1/uploads/${m.input}" alt="input image">
        <figcaption><span>Input</span><a href="${origin}/v1/uploads/${m.input}">Original</a></figcaption></figure>`
    : "";
  const body = html`<header class="top"><a class="brand" href="/docs">Ganvas</a>
      <span class="muted">${TASK_NAMES[m.task]}</span><a class="right" href="${origin}/v1/jobs/${m.id}">API record</a></header>
    <main>
      <h1>${title}</h1>
      <ul class="chips">${chips.map((c) => html`<li>${c}</li>`)}</ul>
      <section class="grid ${small ? "pixel" : ""} ${m.input ? "with-input" : ""}">
        ${input}
        ${urls.map(
          (u, i) => html`<figure class="card"><img src="${u}" alt="${title} (${i + 1})"
              width="${m.images[i]?.width ?? 256}" height="${m.images[i]?.height ?? 256}">
            <figcaption><span>${m.input ? "Output" : `#${i + 1}`}</span><a href="${u}" download="ganvas-${short}-${i}.png">Download PNG</a></figcaption></figure>`,
        )}
      </section>
      ${variations ? variationsSection(variations) : ""}
      <h2>Details</h2>
      <dl class="details">
        <dt>Model</dt><dd><code>${m.model}</code></dd>
        <dt>Parameters</dt><dd><code>${JSON.stringify(m.params)}</code></dd>
        <dt>Created</dt><dd>${new Date(job?.createdAt ?? m.createdAt).toISOString().replace("T", " ").slice(0, 19)} UTC</dd>
        <dt>Generated in</dt><dd>${Math.round(m.runtime.ms)} ms on ${m.runtime.backend}</dd>
        <dt>Result id</dt><dd><code>${m.id}</code></dd>
      </dl>
    </main>`;
  const head = socialTags(`${title} · Ganvas`, description, `${origin}/g/${m.id}`, urls[0]);
  const style = variations ? GALLERY_STYLE + VARIATIONS_STYLE : GALLERY_STYLE;
  return page({ title: `${title} · Ganvas`, description, head, body, extraStyle: raw(style) });
}

/** A job without a result yet: its state, refreshing every few seconds until it is done. */
export function pendingPage(origin: string, job: JobRecord) {
  const running = job.status === "queued" || job.status === "running";
  const title = headline(job);
  const body = html`<header class="top"><a class="brand" href="/docs">Ganvas</a>
      <a class="right" href="${origin}/v1/jobs/${job.id}">API record</a></header>
    <main><h1>${title}</h1>
      <p class="state ${job.status}">${running ? html`<span class="dot"></span>` : ""}This job is <b>${job.status}</b>${
        job.error && job.status === "failed"
          ? html`: ${job.error.message}`
          : running
            ? " — this page refreshes itself."
            : "."
      }</p>
      <ul class="chips"><li>${TASK_NAMES[job.task]}</li><li>${job.model}</li></ul></main>`;
  const head = html`${running ? raw('<meta http-equiv="refresh" content="3">') : ""}${socialTags(`${title} · Ganvas`, `${TASK_NAMES[job.task]} by ${job.model}`, `${origin}/g/${job.id}`)}`;
  return page({
    title: `${title} · Ganvas`,
    description: `${job.status} job`,
    head,
    body,
    extraStyle: raw(GALLERY_STYLE),
  });
}

const GALLERY_STYLE = `
.chips { list-style: none; padding: 0; margin: 0 0 1.5rem; display: flex; flex-wrap: wrap; gap: .4rem; }
.chips li { background: var(--panel2); border: 1px solid var(--line); border-radius: 99px; padding: .2rem .7rem;
  font-size: .8rem; color: var(--muted); }
.chips li:first-child { color: var(--text); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 1rem; }
.grid.with-input { grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); }
@media (max-width: 600px) { .grid, .grid.with-input { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: .6rem; }
  .card { padding: .45rem; border-radius: 11px; } .card figcaption { font-size: .75rem; } }
.card { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 14px; padding: .7rem;
  box-shadow: 0 10px 30px #0006; }
.card img { display: block; width: 100%; height: auto; border-radius: 9px; background: #000; }
.pixel .card:not(.input) img { image-rendering: pixelated; aspect-ratio: 1; object-fit: contain; }
.card.input { border-style: dashed; }
.card figcaption { display: flex; justify-content: space-between; align-items: center; margin-top: .55rem;
  font-size: .82rem; color: var(--muted); }
.card figcaption a { text-decoration: none; font-weight: 600; }
.details { display: grid; grid-template-columns: max-content 1fr; gap: .45rem 1.25rem; margin: 0; background: var(--panel);
  border: 1px solid var(--line); border-radius: 14px; padding: 1rem 1.25rem; font-size: .9rem; }
.details dt { color: var(--muted); }
.details dd { margin: 0; overflow-wrap: anywhere; }
.state { font-size: 1.05rem; }
.state.failed, .state.canceled { color: var(--bad); }
.dot { display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; background: var(--warn); margin-right: .6rem;
  animation: pulse 1.2s ease-in-out infinite; }
@keyframes pulse { 50% { opacity: .3; } }
`;
