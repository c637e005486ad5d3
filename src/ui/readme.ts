// A package version's readme as HTML that no browser can run: Markdown rendered by markdown-it
// with raw HTML disabled and links limited to http, https and mailto (and in-page anchors), then
// sanitize-html as a second line of defence (an allow-list of tags and attributes; images become
// links, since the CSP loads none from elsewhere). Non-Markdown readmes (PyPI reStructuredText or
// plain text) are shown as preformatted text. markdown-it's time grows faster than linearly on
// some inputs (long runs of emphasis or bracket characters: about 0.3 s for 64 KiB of `_`), so
// readmes are cut at 64 KiB (npm's own readme limit) and rendered ones are kept in a small cache
// keyed by version and revision.
import { LRUCache } from 'lru-cache';
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { html, trusted, type Html } from './html.js';

const MAX_README_CHARS = 64 * 1024;
const rendered = new LRUCache<string, Html>({ max: 500, maxSize: 32 * 1024 * 1024, sizeCalculation: (h) => h.text.length || 1 });
const SAFE_LINK = /^(https?:|mailto:|#)/i;

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
md.validateLink = (url: string) => SAFE_LINK.test(url.trim());

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'pre', 'code', 'em', 'strong', 's', 'del',
    'ul', 'ol', 'li', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span',
  ],
  allowedAttributes: { a: ['href', 'title', 'rel'], ol: ['start'], th: ['style'], td: ['style'], code: ['class'] },
  allowedStyles: { th: { 'text-align': [/^(left|right|center)$/] }, td: { 'text-align': [/^(left|right|center)$/] } },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: 'nofollow noopener noreferrer' } }),
    img: (_tagName, attribs) => ({ tagName: 'a', attribs: { href: attribs.src ?? '', rel: 'nofollow noopener noreferrer' }, text: attribs.alt || attribs.src || 'image' }),
  },
};

/** Which readmes are Markdown: npm's always; PyPI's when its Description-Content-Type says so. */
export function isMarkdown(format: string, metadata: Record<string, unknown>): boolean {
  if (format !== 'pypi') return true;
  const pypi = metadata.pypi as { description_content_type?: unknown } | undefined;
  const type = typeof pypi?.description_content_type === 'string' ? pypi.description_content_type.toLowerCase() : '';
  return type.startsWith('text/markdown');
}

/** `cacheKey`: names this exact text (version id and revision), so a rendering is reused. */
export function renderReadme(text: string, markdown: boolean, cacheKey?: string): Html {
  const hit = cacheKey === undefined ? undefined : rendered.get(cacheKey);
  if (hit) return hit;
  const clipped = text.length > MAX_README_CHARS ? `${text.slice(0, MAX_README_CHARS)}\n\n…` : text;
  const out = markdown ? trusted(sanitizeHtml(md.render(clipped), SANITIZE)) : html`<pre class="readme-text">${clipped}</pre>`;
  if (cacheKey !== undefined) rendered.set(cacheKey, out);
  return out;
}
