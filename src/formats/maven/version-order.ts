// Maven's version order (org.apache.maven.artifact.versioning.ComparableVersion, Maven 3.x), so
// the server-kept maven-metadata.xml lists versions, `latest` and `release` as Maven sorts them.
// Items: numbers, qualifiers (alpha < beta < milestone < rc < snapshot < "" (release) < sp <
// anything else, alphabetically), and sub-lists started by '-' or a digit/letter switch.

type Item = { t: 'int'; v: bigint } | { t: 'str'; v: string } | { t: 'list'; v: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function strItem(value: string, followedByDigit: boolean): Item {
  if (followedByDigit && value.length === 1) {
    if (value === 'a') value = 'alpha';
    else if (value === 'b') value = 'beta';
    else if (value === 'm') value = 'milestone';
  }
  return { t: 'str', v: ALIASES[value] ?? value };
}

const parseItem = (isDigit: boolean, buf: string): Item => (isDigit ? { t: 'int', v: BigInt(buf) } : strItem(buf, false));

function isNull(i: Item): boolean {
  if (i.t === 'int') return i.v === 0n;
  if (i.t === 'str') return comparableQualifier(i.v) === RELEASE_INDEX;
  return i.v.length === 0;
}

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i];
    if (isNull(last)) list.splice(i, 1);
    else if (last.t !== 'list') break;
  }
}

export function parseMavenVersion(version: string): Item {
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  const v = version.toLowerCase();
  let isDigit = false;
  let start = 0;
  const push = () => {
    const sub: Item[] = [];
    list.push({ t: 'list', v: sub });
    list = sub;
    stack.push(sub);
  };
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '.' || c === '-') {
      list.push(i === start ? { t: 'int', v: 0n } : parseItem(isDigit, v.slice(start, i)));
      start = i + 1;
      if (c === '-') push();
    } else if (c >= '0' && c <= '9') {
      if (!isDigit && i > start) {
        list.push(strItem(v.slice(start, i), true));
        start = i;
        push();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, v.slice(start, i)));
        start = i;
        push();
      }
      isDigit = false;
    }
  }
  if (v.length > start) list.push(parseItem(isDigit, v.slice(start)));
  while (stack.length) normalize(stack.pop()!);
  return { t: 'list', v: root };
}

function cmp(a: Item, b: Item | null): number {
  if (a.t === 'int') {
    if (!b) return a.v === 0n ? 0 : 1;
    if (b.t === 'int') return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
    return 1; // 1.1 > 1-sp and > 1-1
  }
  if (a.t === 'str') {
    if (!b) return strCmp(comparableQualifier(a.v), RELEASE_INDEX);
    if (b.t === 'str') return strCmp(comparableQualifier(a.v), comparableQualifier(b.v));
    return -1;
  }
  if (!b) return a.v.length === 0 ? 0 : cmp(a.v[0], null);
  if (b.t === 'int') return -1;
  if (b.t === 'str') return 1;
  const n = Math.max(a.v.length, b.v.length);
  for (let i = 0; i < n; i++) {
    const l = a.v[i] ?? null;
    const r = b.v[i] ?? null;
    const res = l === null ? (r === null ? 0 : -cmp(r, l)) : cmp(l, r);
    if (res !== 0) return res;
  }
  return 0;
}

const strCmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** Negative, zero or positive as Maven orders the two versions. */
export function compareMavenVersions(a: string, b: string): number {
  return cmp(parseMavenVersion(a), parseMavenVersion(b));
}

export function sortMavenVersions(versions: Iterable<string>): string[] {
  const parsed = [...new Set(versions)].map((v) => ({ v, p: parseMavenVersion(v) }));
  parsed.sort((x, y) => cmp(x.p, y.p) || strCmp(x.v, y.v));
  return parsed.map((x) => x.v);
}

export const isSnapshotVersion = (v: string) => v.endsWith('-SNAPSHOT');
