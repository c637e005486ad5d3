// The real npm 11 against Hoard: configure with `hoard login --tool npm` (and, separately, with
// `aws codeartifact login --tool npm`), publish unscoped and scoped packages with several versions,
// install by exact version, range and tag, then the rest of the CLI surface: dist-tag, deprecate,
// view, search, whoami, ping, token list, legacy login and unpublish.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, startHoard, type TestHoard } from '../support/hoard.js';
import { Client, out, project, setupDomain, tmpDir, writePackage, removeTemp } from './npm-support.js';

const run = promisify(execFile);
const hasAws = await run('aws', ['--version']).then(
  () => true,
  () => false,
);

const hasScript = await run('script', ['--version']).then(
  () => true,
  () => false,
);

describe('npm CLI against Hoard', () => {
  let h: TestHoard;
  let c: Client;
  let registry: string;
  let cache: string;
  beforeAll(async () => {
    h = await startHoard();
    const d = await setupDomain(h, 'acme', [{ name: 'app' }]);
    registry = d.endpoint('app');
    cache = tmpDir('hoard-npm-cache-');
    c = new Client(h, cache);
    // Configured exactly as a user would: `hoard login --tool npm`.
    await run('node', ['dist/main.js', 'login', '--tool', 'npm', '--domain', 'acme', '--repository', 'app'], { env: cliEnv(h, c.home) });
    expect(readFileSync(path.join(c.home, '.npmrc'), 'utf8')).toContain(`registry=${registry}`);
  });
  afterAll(async () => {
    await h?.stop();
    removeTemp();
  });

  const installed = (dir: string, name: string) =>
    JSON.parse(readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version as string;
  const json = async (args: string[], cwd?: string) => {
    const r = await c.npm([...args, '--json'], cwd);
    expect(r.code, out(r)).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('publishes unscoped and scoped packages and installs them by version, range and tag', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
      const r = await c.npm(['publish'], writePackage({ name: 'widget', version: v, description: 'A widget for tests', keywords: ['ui'] }));
      expect(r.code, out(r)).toBe(0);
      expect(r.stdout).toContain(`+ widget@${v}`);
    }
    for (const v of ['2.0.0', '2.1.0']) {
      const r = await c.npm(['publish'], writePackage({ name: '@acme/gadget', version: v, dependencies: { widget: '^1.0.0' } }));
      expect(r.code, out(r)).toBe(0);
    }
    const p = project();
    const r = await c.npm(['install', 'widget@1.1.0', '@acme/gadget@~2.0.0'], p);
    expect(r.code, out(r)).toBe(0);
    expect(installed(p, '@acme/gadget')).toBe('2.0.0');
    expect(installed(p, 'widget')).toBe('1.1.0');
    const p2 = project();
    const r2 = await c.npm(['install', 'widget@latest', '@acme/gadget'], p2);
    expect(r2.code, out(r2)).toBe(0);
    expect(installed(p2, 'widget')).toBe('1.2.0');
    expect(installed(p2, '@acme/gadget')).toBe('2.1.0');
    // The lockfile pins the one canonical tarball URL at this endpoint.
    const lock = JSON.parse(readFileSync(path.join(p2, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/@acme/gadget'].resolved).toBe(`${registry}@acme/gadget/-/gadget-2.1.0.tgz`);
    expect(lock.packages['node_modules/widget'].resolved).toBe(`${registry}widget/-/widget-1.2.0.tgz`);
    // npm ci from the lockfile in a clean folder.
    const ci = await c.npm(['ci'], p2);
    expect(ci.code, out(ci)).toBe(0);
    // Installs pass although audit cannot be answered here (no external connection); npm audit
    // itself fails rather than print a false "found 0 vulnerabilities".
    const audit = await c.npm(['audit'], p2);
    expect(audit.code, out(audit)).not.toBe(0);
    expect(out(audit)).not.toContain('found 0 vulnerabilities');
    expect(out(audit)).toMatch(/audit endpoint returned an error/);
  });

  it('publishes and installs a fork with a name valid for old packages (capitals, as JSONStream)', async () => {
    const pub = await c.npm(['publish'], writePackage({ name: 'JSONStream', version: '1.3.6', description: 'a private fork' }));
    expect(pub.code, out(pub)).toBe(0);
    expect(pub.stdout).toContain('+ JSONStream@1.3.6');
    const p = project();
    const r = await c.npm(['install', 'JSONStream@^1.3.0'], p);
    expect(r.code, out(r)).toBe(0);
    expect(installed(p, 'JSONStream')).toBe('1.3.6');
    expect(await json(['view', 'JSONStream', 'description'])).toBe('a private fork');
  });

  it('refuses to publish over a published version, with the message npm shows', async () => {
    // npm 11 checks itself first; with --force the registry's answer is what the user sees.
    const local = await c.npm(['publish'], writePackage({ name: 'widget', version: '1.2.0', description: 'changed' }));
    expect(local.code).not.toBe(0);
    expect(out(local)).toContain('You cannot publish over the previously published versions: 1.2.0');
    const forced = await c.npm(['publish', '--force'], writePackage({ name: 'widget', version: '1.2.0', description: 'changed' }));
    expect(forced.code).not.toBe(0);
    expect(out(forced)).toMatch(/403 Forbidden - PUT .*widget - You cannot publish over the previously published versions: 1\.2\.0/);
  });

  it('adds, lists and removes dist-tags, and installs by tag', async () => {
    let r = await c.npm(['dist-tag', 'add', 'widget@1.1.0', 'beta']);
    expect(r.code, out(r)).toBe(0);
    r = await c.npm(['dist-tag', 'ls', 'widget']);
    expect(r.stdout).toContain('beta: 1.1.0');
    expect(r.stdout).toContain('latest: 1.2.0');
    const p = project();
    r = await c.npm(['install', 'widget@beta'], p);
    expect(r.code, out(r)).toBe(0);
    expect(installed(p, 'widget')).toBe('1.1.0');
    r = await c.npm(['dist-tag', 'rm', 'widget', 'beta']);
    expect(r.code, out(r)).toBe(0);
    r = await c.npm(['dist-tag', 'ls', 'widget']);
    expect(r.stdout).not.toContain('beta');
    // A prerelease published with --tag gets that tag and leaves latest alone.
    r = await c.npm(['publish', '--tag', 'next'], writePackage({ name: 'widget', version: '2.0.0-rc.1' }));
    expect(r.code, out(r)).toBe(0);
    expect(await json(['view', 'widget', 'dist-tags'])).toEqual({ latest: '1.2.0', next: '2.0.0-rc.1' });
    // Scoped names go through the same routes (%2f-encoded by npm).
    r = await c.npm(['dist-tag', 'add', '@acme/gadget@2.0.0', 'stable']);
    expect(r.code, out(r)).toBe(0);
    expect(await json(['view', '@acme/gadget', 'dist-tags'])).toEqual({ latest: '2.1.0', stable: '2.0.0' });
  });

  it('deprecates (the warning shows at install) and undeprecates', async () => {
    let r = await c.npm(['deprecate', 'widget@1.0.0', 'use widget 1.2 or later']);
    expect(r.code, out(r)).toBe(0);
    const p = project();
    r = await c.npm(['install', 'widget@1.0.0'], p);
    expect(r.code, out(r)).toBe(0);
    expect(r.stderr).toContain('deprecated widget@1.0.0: use widget 1.2 or later');
    expect(await json(['view', 'widget@1.0.0', 'deprecated'])).toBe('use widget 1.2 or later');
    r = await c.npm(['deprecate', 'widget@1.0.0', '']);
    expect(r.code, out(r)).toBe(0);
    r = await c.npm(['view', 'widget@1.0.0', 'deprecated']);
    expect(r.stdout.trim()).toBe('');
  });

  it('answers view, search, whoami, ping and token list', async () => {
    const view = await json(['view', 'widget']);
    expect(view.name).toBe('widget');
    expect(view.versions).toEqual(['1.0.0', '1.1.0', '1.2.0', '2.0.0-rc.1']);
    expect(view.description).toBe('A widget for tests');
    expect(view.dist.tarball).toBe(`${registry}widget/-/widget-1.2.0.tgz`);
    expect(view.dist.integrity).toMatch(/^sha512-/);
    expect(Object.keys(view.time)).toEqual(expect.arrayContaining(['created', 'modified', '1.0.0', '1.2.0']));
    const gadget = await json(['view', '@acme/gadget@2.0.0', 'dependencies']);
    expect(gadget).toEqual({ widget: '^1.0.0' });

    const found = await json(['search', 'widget']);
    expect(found.map((x: { name: string }) => x.name)).toEqual(['widget']);
    expect(found[0].version).toBe('1.2.0');
    const byKeyword = await json(['search', 'keywords:ui']);
    expect(byKeyword.map((x: { name: string }) => x.name)).toEqual(['widget']);
    expect(await json(['search', 'nothing-like-this'])).toEqual([]);

    const who = await c.npm(['whoami']);
    expect(who.stdout.trim()).toBe('root');
    const ping = await c.npm(['ping']);
    expect(ping.code, out(ping)).toBe(0);
    expect(ping.stderr).toContain('PONG');
    const tokens = await c.npm(['token', 'list']);
    expect(tokens.code, out(tokens)).toBe(0);
  });

  it.skipIf(!hasScript)('logs in with --auth-type=legacy using an access key id and its secret', async () => {
    const home = tmpDir('hoard-home-');
    const fresh = new Client(h, cache, home);
    const npmrc = path.join(home, '.npmrc');
    const r = await fresh.npmTty(
      ['login', '--auth-type=legacy', `--registry=${registry}`],
      [
        [/Username:/, h.accessKeyId.toLowerCase()],
        [/Password:/, h.secretAccessKey],
      ],
    );
    expect(r.code, out(r)).toBe(0);
    expect(out(r)).toContain(`Logged in on ${registry}`);
    expect(readFileSync(npmrc, 'utf8')).toMatch(/_authToken=eyJ/);
    const who = await fresh.npm(['whoami', `--registry=${registry}`]);
    expect(who.stdout.trim()).toBe('root');
    const bad = await fresh.npmTty(['login', '--auth-type=legacy', `--registry=${registry}`], [
      [/Username:/, h.accessKeyId.toLowerCase()],
      [/Password:/, 'wrong-secret'],
    ]);
    expect(bad.code).not.toBe(0);
    expect(out(bad)).toContain('401');
  });

  it.skipIf(!hasAws)('works when configured by aws codeartifact login --tool npm', async () => {
    const home = tmpDir('hoard-home-');
    const other = new Client(h, cache, home);
    await run('aws', ['codeartifact', 'login', '--tool', 'npm', '--domain', 'acme', '--repository', 'app', '--endpoint-url', h.url], {
      env: cliEnv(h, home),
    });
    const p = project();
    const r = await other.npm(['install', 'widget@^1.0.0', '@acme/gadget@2'], p);
    expect(r.code, out(r)).toBe(0);
    expect(installed(p, 'widget')).toBe('1.2.0');
    const pub = await other.npm(['publish'], writePackage({ name: 'aws-configured', version: '0.1.0' }));
    expect(pub.code, out(pub)).toBe(0);
  });

  it('unpublishes one version, then the whole package, and allows publishing again', async () => {
    let r = await c.npm(['unpublish', 'widget@1.0.0']);
    expect(r.code, out(r)).toBe(0);
    expect(await json(['view', 'widget', 'versions'])).toEqual(['1.1.0', '1.2.0', '2.0.0-rc.1']);
    const p = project();
    r = await c.npm(['install', 'widget@1.0.0'], p);
    expect(r.code).not.toBe(0);
    expect(out(r)).toContain('ETARGET');
    r = await c.npm(['unpublish', 'widget', '--force']);
    expect(r.code, out(r)).toBe(0);
    r = await c.npm(['view', 'widget']);
    expect(r.code).not.toBe(0);
    expect(out(r)).toContain('E404');
    // CodeArtifact allows a deleted version to be published again.
    r = await c.npm(['publish'], writePackage({ name: 'widget', version: '1.0.0', description: 'again' }));
    expect(r.code, out(r)).toBe(0);
    expect(await json(['view', 'widget', 'description'])).toBe('again');
    expect(existsSync(p)).toBe(true);
  });
});
