import { PROBLEMS } from "@ganvas/shared";
import { html, raw } from "hono/html";
import { OPERATIONS, type Operation } from "../operations.ts";
import { page } from "./layout.ts";

/**
 * GET /docs: the OpenAPI document rendered on the server, so the reference needs no script, no CDN and no
 * network — it works offline and under a strict Content-Security-Policy.
 */

type Json = Record<string, unknown>;

/** Descriptions use `backticks` for names; render those as code, escape everything else. */
function inlineCode(text: string) {
  return text.split("`").map((part, i) => (i % 2 ? html`<code>${part}</code>` : html`${part}`));
}

function typeOf(s: Json): string {
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (Array.isArray(s.anyOf)) return (s.anyOf as Json[]).map(typeOf).join(" | ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.type === "array" && s.items) return `${typeOf(s.items as Json)}[]`;
  if (s.$ref) return String(s.$ref).split("/").pop() ?? "";
  return String(s.type ?? "any");
}

function constraints(s: Json): string {
  const parts: string[] = [];
  if (s.minimum !== undefined || s.maximum !== undefined)
    parts.push(`${s.minimum ?? "…"}–${s.maximum ?? "…"}`);
  if (s.minLength !== undefined) parts.push(`≥ ${s.minLength} chars`);
  if (s.maxLength !== undefined) parts.push(`≤ ${s.maxLength} chars`);
  if (s.minItems !== undefined || s.maxItems !== undefined)
    parts.push(`${s.minItems ?? 0}–${s.maxItems ?? "…"} items`);
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return parts.join(", ");
}

function fields(schema: Json | undefined) {
  const props = schema?.properties as Record<string, Json> | undefined;
  if (!props) return "";
  const required = new Set((schema?.required as string[] | undefined) ?? []);
  return html`<table class="fields"><thead><tr><th>field</th><th>type</th><th>limits</th><th></th></tr></thead><tbody>
    ${Object.entries(props).map(
      ([
        name,
        s,
      ]) => html`<tr><td><code>${name}</code>${required.has(name) ? html`<span class="req">required</span>` : ""}</td>
        <td><code>${typeOf(s)}</code></td><td>${constraints(s)}</td><td>${inlineCode(String(s.description ?? ""))}</td></tr>`,
    )}</tbody></table>`;
}

function bodySchema(op: Operation, schemas: Record<string, Json>): Json | undefined {
  const ref = (op.body?.["application/json"]?.schema as Json | undefined)?.$ref;
  return ref ? schemas[String(ref).split("/").pop() ?? ""] : undefined;
}

function opBlock(op: Operation, schemas: Record<string, Json>) {
  const statuses = Object.entries(op.responses).map(([s, r]) => [s, String((r as Json).description ?? "")]);
  for (const kind of op.problems) statuses.push([String(PROBLEMS[kind].status), `/problems/${kind}`]);
  return html`<section class="op" id="${op.id}">
    <h3><span class="method ${op.method}">${op.method.toUpperCase()}</span> <code>${op.path}</code>
      ${op.auth ? html`<span class="lock" title="needs an API key">API key</span>` : ""}</h3>
    <p>${op.summary}${op.description ? html`. ${inlineCode(op.description)}` : ""}</p>
    ${op.body && !op.body["application/json"] ? html`<p class="muted">Body: ${Object.keys(op.body).join(", ")}</p>` : ""}
    ${fields(bodySchema(op, schemas))}
    <ul class="statuses">${statuses.map(([s, d]) => html`<li><b>${s}</b> ${d}</li>`)}</ul>
  </section>`;
}

export function docsPage(origin: string, doc: Json) {
  const schemas = ((doc.components as Json).schemas ?? {}) as Record<string, Json>;
  const ops = OPERATIONS.filter((op) => op.method !== "head");
  const body = html`<header class="top"><a class="brand" href="/docs">Ganvas</a><span class="muted">API reference</span>
      <a class="right" href="/openapi.json">openapi.json</a></header>
    <main class="docs">
      <h1>Ganvas API</h1>
      <p class="lead">${inlineCode(String((doc.info as Json).description))}</p>
      <pre><code>curl -X POST ${origin}/v1/images/text-to-image \\
  -H 'authorization: Bearer $GANVAS_API_KEY' -H 'content-type: application/json' \\
  -H 'prefer: wait=30' -d '{"prompt": "a red dress", "n": 4}'</code></pre>
      <nav class="toc">${ops.map((op) => html`<a href="#${op.id}"><span class="method ${op.method}">${op.method.toUpperCase()}</span> ${op.path}</a>`)}</nav>
      ${ops.map((op) => opBlock(op, schemas))}
      <h2 id="problems">Problem types</h2>
      <table class="fields"><tbody>${Object.entries(PROBLEMS).map(
        ([kind, p]) =>
          html`<tr id="problem-${kind}"><td><code>/problems/${kind}</code></td><td>${p.status}</td><td>${p.title}</td></tr>`,
      )}</tbody></table>
    </main>`;
  return page({
    title: "Ganvas API reference",
    description: "HTTP API of Ganvas",
    body,
    extraStyle: raw(DOCS_STYLE),
  });
}

const DOCS_STYLE = `
.lead { color: var(--muted); max-width: 70ch; }
pre { background: var(--panel); padding: 1rem; border-radius: 10px; overflow-x: auto; }
.toc { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: .25rem 1rem; margin: 1.5rem 0; }
.toc a { color: var(--text); text-decoration: none; font-size: .9rem; }
.op { border-top: 1px solid var(--line); padding: 1rem 0; }
.op h3 { font-size: 1rem; display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.method { font: 600 .7rem/1 ui-monospace, monospace; padding: .3rem .45rem; border-radius: 5px; background: #2b6cb0; color: #fff; }
.method.post { background: #2f855a; } .method.head { background: #6b46c1; }
.lock { font-size: .7rem; color: #f6c453; border: 1px solid #f6c45355; border-radius: 99px; padding: .1rem .5rem; }
.fields { width: 100%; border-collapse: collapse; font-size: .85rem; margin: .5rem 0; }
.fields td, .fields th { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.req { margin-left: .4rem; font-size: .7rem; color: #f6c453; }
.statuses { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .35rem .9rem; font-size: .8rem; color: var(--muted); }
`;
