import type { Context } from "hono";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** The HTML shell of the edge's pages: one stylesheet, no inline scripts, no third-party requests. */

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface PageParts {
  title: string;
  description: string;
  head?: Html | string;
  body: Html;
  extraStyle?: Html | string;
}

export function page(p: PageParts) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title}</title>
<meta name="description" content="${p.description}">
<meta name="color-scheme" content="dark">
<link rel="icon" href="data:,">
${p.head ?? ""}
<style>${raw(BASE_STYLE)}${p.extraStyle ?? ""}</style>
</head>
<body>
${p.body}
<footer class="foot">Made by <a href="/docs">Ganvas</a>, an image API built on generative adversarial networks.</footer>
</body>
</html>`;
}

/**
 * Pages only load their own images and inline styles; nothing may frame them. A page with `scripts` may also
 * run the edge's own script files (never inline ones), compile WebAssembly and fetch from its own origin:
 * what the gallery's in-browser variations need.
 */
export function setPageHeaders(c: Context, cacheControl: string, options: { scripts?: boolean } = {}): void {
  c.header("cache-control", cacheControl);
  const scripts = options.scripts ? " script-src 'self' 'wasm-unsafe-eval'; connect-src 'self';" : "";
  c.header(
    "content-security-policy",
    `default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline';${scripts} base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  );
  c.header("referrer-policy", "strict-origin-when-cross-origin");
}

const BASE_STYLE = `
:root { --bg: #0e1014; --panel: #171a21; --panel2: #1e222b; --line: #272c36; --text: #e9eaee;
  --muted: #98a0ae; --accent: #8ab4ff; --ok: #5fd39a; --warn: #f6c453; --bad: #ff7a7a;
  color-scheme: dark; font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; background: radial-gradient(1200px 600px at 10% -10%, #1b2233 0%, var(--bg) 60%); color: var(--text);
  min-height: 100vh; line-height: 1.5; }
a { color: var(--accent); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; }
main { max-width: 1040px; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
.top { max-width: 1040px; margin: 0 auto; padding: 1.1rem 1.25rem; display: flex; gap: .75rem; align-items: baseline; }
.brand { font-weight: 700; letter-spacing: .02em; color: var(--text); text-decoration: none; font-size: 1.05rem; }
.brand::before { content: ""; display: inline-block; width: .7rem; height: .7rem; margin-right: .45rem; border-radius: 3px;
  background: linear-gradient(135deg, #8ab4ff, #c58aff); }
.right { margin-left: auto; font-size: .9rem; }
.muted { color: var(--muted); }
h1 { font-size: clamp(1.5rem, 3vw, 2.1rem); line-height: 1.2; margin: .25rem 0 .75rem; }
h2 { font-size: 1.1rem; margin: 2rem 0 .75rem; }
.foot { max-width: 1040px; margin: 0 auto; padding: 1.5rem 1.25rem 2.5rem; color: var(--muted); font-size: .85rem;
  border-top: 1px solid var(--line); }
`;
