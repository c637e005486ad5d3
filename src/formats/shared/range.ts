// HTTP Range for file downloads: one `bytes=a-b`, `bytes=a-` or `bytes=-n` range, the only kinds
// package managers send (uv range-reads wheels, npm and pip resume). Anything else, an empty
// header or an inverted range included, means "the whole file" (RFC 9110 lets a server ignore it).
export type RangeResult = { start: number; end: number } | null | 'unsatisfiable';

export function parseRange(header: string, size: number): RangeResult {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null;
  }
  if (start >= size || size === 0) return 'unsatisfiable';
  return { start, end };
}
