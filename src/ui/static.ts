// The web UI's static files (src/ui/static/: one stylesheet, one small script), read once at
// start and served under a name carrying their content hash, so they can be cached for a year
// and a new release is fetched at once. No CDN: the UI works air-gapped.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// From src/ui/ (tests) and dist/ui/ (npm start) alike, like migrations/ (store/migrate.ts).
const DIR = fileURLToPath(new URL('../../src/ui/static/', import.meta.url));

export interface StaticFile {
  path: string;
  type: string;
  body: Buffer;
}

function load(name: string, ext: string, type: string): StaticFile {
  const body = readFileSync(`${DIR}${name}.${ext}`);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return { path: `/ui/static/${name}.${hash}.${ext}`, type, body };
}

export const STATIC = {
  css: load('hoard', 'css', 'text/css; charset=utf-8'),
  js: load('hoard', 'js', 'text/javascript; charset=utf-8'),
};

export const STATIC_BY_PATH = new Map(Object.values(STATIC).map((f) => [f.path, f]));
