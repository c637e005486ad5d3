// The web UI's one template helper: html`...` escapes every interpolated value unless it is
// already Html (built by html`` itself or, for sanitized readme output only, by trusted()).
// Arrays are joined; null, undefined and false render as nothing. Also the page layout.
import type { Principal } from '../core/identity.js';
import { STATIC } from './static.js';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

function render(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Marks text as safe markup: only for output of the readme sanitizer (ui/readme.ts). */
export function trusted(text: string): Html {
  return new Html(text);
}

export interface Viewer {
  principal: Principal;
  /** the session's CSRF token, when signed in */
  csrf?: string;
  /** a session made from an authorization token is limited to that token's domain */
  scope?: { domain: string; owner: string };
  expiresAt?: Date;
}

export interface Crumb {
  label: string;
  href?: string;
}

/** A whole page: header (who is signed in, sign-in or sign-out), breadcrumbs, then the body. */
export function page(o: { title: string; viewer: Viewer; crumbs?: Crumb[]; body: Html }): string {
  const who = o.viewer.principal;
  const account =
    who.kind === 'anonymous'
      ? html`<span class="who">Anonymous</span> <a class="button" href="/ui/signin">Sign in</a>`
      : html`<span class="who" title="${o.viewer.expiresAt ? `Session ends ${o.viewer.expiresAt.toISOString()}` : ''}">${who.arn}</span>
          <form method="post" action="/ui/signout" class="inline">
            <input type="hidden" name="csrf" value="${o.viewer.csrf ?? ''}">
            <button type="submit">Sign out</button>
          </form>`;
  const crumbs = o.crumbs?.length
    ? html`<nav aria-label="Breadcrumb" class="crumbs"><ol>${o.crumbs.map((c) =>
        c.href ? html`<li><a href="${c.href}">${c.label}</a></li>` : html`<li aria-current="page">${c.label}</li>`,
      )}</ol></nav>`
    : '';
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${o.title} · Hoard</title>
<link rel="stylesheet" href="${STATIC.css.path}">
<script src="${STATIC.js.path}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/ui/">Hoard</a><div class="account">${account}</div></header>
${crumbs}
<main id="main" tabindex="-1">
<h1>${o.title}</h1>
${o.body}
</main>
</body>
</html>`.text}`;
}

/** Bytes as people read them (1 KiB = 1024 B). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A time as an HTML <time> element (UTC, to the second). */
export function time(d: Date | null | undefined): Html {
  if (!d) return html`<span class="muted">never</span>`;
  const iso = d.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time>`;
}
