// Creates a new embedded database folder (PGlite's initdb) in a child process. initdb runs in a
// WebAssembly instance of its own whose memory Node does not hand back while the process lives:
// done in the server, a first start stayed at ~800 MB resident for good; done in a child that
// exits, the server opens an existing folder and starts at its steady size, as on every restart.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve as resolve_, sep } from 'node:path';

/** True once `dir` holds a database (initdb writes PG_VERSION). */
export const hasPgliteData = (dir: string) => existsSync(join(dir, 'PG_VERSION'));

/** Runs PGlite's initdb into `dir` (which must not hold a database yet) in a child Node process. */
export async function createPgliteDir(dir: string): Promise<void> {
  // The child imports PGlite as the server does (its ESM entry), resolved from where Hoard's own copy is installed.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const cwd = entry.slice(0, entry.lastIndexOf(`${sep}node_modules${sep}`));
  const script = `import { PGlite } from '@electric-sql/pglite'; const db = await PGlite.create(process.argv[1]); await db.close();`;
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', script, resolve_(dir)], { cwd, maxBuffer: 4 * 1024 * 1024 }, (err, _out, stderr) =>
      err ? reject(new Error(`Could not create the embedded database in ${dir}: ${stderr.trim().split('\n').slice(-3).join(' ') || err.message}`)) : resolve(),
    ),
  );
}
