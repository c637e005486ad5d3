// A PEP 503 project page as an upstream index sends it, read by a linear scanner: one pass over
// the text with indexOf and a character loop per tag, no regular expressions, so hostile or
// malformed upstream bytes cost time proportional to their length. It yields the anchors (their
// attributes and text) and the `pypi:repository-version` meta tag; everything else is skipped.
// (A general HTML parser library such as htmlparser2 would do the same job; none is a dependency.)

export interface Anchor {
  /** attribute names lowercased, values with character references decoded; valueless attributes are '' */
  attrs: Map<string, string>;
  text: string;
}

export interface ParsedPage {
  anchors: Anchor[];
  /** content of <meta name="pypi:repository-version">, if present */
  repositoryVersion: string | null;
}

/** Parses the anchors and the API version meta tag of a PEP 503 page. */
export function parseProjectHtml(html: string): ParsedPage {
  const anchors: Anchor[] = [];
  let repositoryVersion: string | null = null;
  let i = 0;
  const n = html.length;
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    const nameEnd = scanName(html, lt + 1);
    const tag = html.slice(lt + 1, nameEnd).toLowerCase();
    if (tag !== 'a' && tag !== 'meta') {
      // Any other tag (or a stray '<'): skip to the end of the tag, minding quoted values.
      i = tag ? skipTag(html, nameEnd) : lt + 1;
      continue;
    }
    const { attrs, end } = readAttributes(html, nameEnd);
    i = end;
    if (tag === 'meta') {
      if (attrs.get('name') === 'pypi:repository-version') repositoryVersion = attrs.get('content') ?? null;
      continue;
    }
    // The anchor's text runs to its closing tag; markup inside it is dropped.
    const close = indexOfCi(html, '</a', i);
    const raw = html.slice(i, close < 0 ? n : close);
    anchors.push({ attrs, text: decodeEntities(stripTags(raw)).trim() });
    i = close < 0 ? n : skipTag(html, close + 3);
  }
  return { anchors, repositoryVersion };
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 12;

function scanName(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (isSpace(c) || c === 62 /* > */ || c === 47 /* / */) break;
    i++;
  }
  return i;
}

/** The index just past the '>' ending the tag whose attributes start at i. */
function skipTag(s: string, i: number): number {
  return readAttributes(s, i).end;
}

function readAttributes(s: string, i: number): { attrs: Map<string, string>; end: number } {
  const attrs = new Map<string, string>();
  const n = s.length;
  while (i < n) {
    let c = s.charCodeAt(i);
    if (isSpace(c) || c === 47) {
      i++;
      continue;
    }
    if (c === 62) return { attrs, end: i + 1 };
    const start = i;
    while (i < n) {
      c = s.charCodeAt(i);
      if (isSpace(c) || c === 62 || c === 61 /* = */ || c === 47) break;
      i++;
    }
    const name = s.slice(start, i).toLowerCase();
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    let value = '';
    if (s.charCodeAt(i) === 61) {
      i++;
      while (i < n && isSpace(s.charCodeAt(i))) i++;
      const q = s.charCodeAt(i);
      if (q === 34 || q === 39) {
        const close = s.indexOf(q === 34 ? '"' : "'", i + 1);
        const stop = close < 0 ? n : close;
        value = s.slice(i + 1, stop);
        i = stop + 1;
      } else {
        const vs = i;
        while (i < n && !isSpace(s.charCodeAt(i)) && s.charCodeAt(i) !== 62) i++;
        value = s.slice(vs, i);
      }
    }
    if (name && !attrs.has(name)) attrs.set(name, decodeEntities(value));
    if (i === start) i++; // never stall on an unexpected character
  }
  return { attrs, end: n };
}

function indexOfCi(s: string, needle: string, from: number): number {
  for (let i = s.indexOf('<', from); i >= 0; i = s.indexOf('<', i + 1)) if (s.slice(i, i + needle.length).toLowerCase() === needle) return i;
  return -1;
}

function stripTags(s: string): string {
  if (!s.includes('<')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    if (lt < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, lt);
    const gt = s.indexOf('>', lt);
    i = gt < 0 ? s.length : gt + 1;
  }
  return out;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes numeric character references and the named ones PEP 503 pages use. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const amp = s.indexOf('&', i);
    if (amp < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, amp);
    const semi = s.indexOf(';', amp + 1);
    const body = semi > amp && semi - amp <= 10 ? s.slice(amp + 1, semi) : null;
    let decoded: string | null = null;
    if (body !== null) {
      if (body[0] === '#') {
        const hex = body[1] === 'x' || body[1] === 'X';
        const digits = body.slice(hex ? 2 : 1);
        const code = digits && [...digits].every((d) => (hex ? /[0-9a-f]/i : /[0-9]/).test(d)) ? parseInt(digits, hex ? 16 : 10) : NaN;
        if (Number.isFinite(code) && code > 0 && code <= 0x10ffff) decoded = String.fromCodePoint(code);
      } else if (Object.hasOwn(NAMED, body.toLowerCase())) decoded = NAMED[body.toLowerCase()];
    }
    if (decoded === null) {
      out += '&';
      i = amp + 1;
    } else {
      out += decoded;
      i = semi + 1;
    }
  }
  return out;
}
