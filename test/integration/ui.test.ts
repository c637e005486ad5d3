// The web UI over plain HTTP (the browser test drives it in Chromium): sign-in and sessions,
// authorization of every page by the API's evaluator, CSRF defences, the readme sanitizer,
// downloads, and a 5,000-version package page that reads no version's metadata but one.
import { createHash } from 'node:crypto';
import { CreateDomainCommand, CreateRepositoryCommand } from '@aws-sdk/client-codeartifact';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { cliEnv, startHoard, tempHome, type TestHoard } from '../support/hoard.js';
import { bulkVersions } from '../support/versions.js';
import { page, postForm, signIn, uiWorld, type UiClient, type UiWorld } from '../support/ui.js';

const run = promisify(execFile);
let h: TestHoard;
let w: UiWorld;
let root: UiClient;

beforeAll(async () => {
  h = await startHoard();
  w = await uiWorld(h);
  root = await signIn(h, { method: 'key', accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey });
});
afterAll(async () => {
  await h?.stop();
});

const repoPage = (repo: string) => `/ui/d/${w.seg}/${repo}/`;
const pkgPage = (repo: string, name: string, q = '') => `/ui/d/${w.seg}/${repo}/p/npm/${name}${q}`;

async function status(version: string): Promise<string> {
  const svc = h.server.services;
  const d = await svc.domains.findDomain(h.accountId, 'acme');
  const repo = await svc.domains.repository(d!, 'private');
  const pkg = await svc.packages.findPackage(repo, { format: 'npm', namespace: '', name: 'widget' });
  return (await svc.packages.version(pkg!, version))!.status;
}

describe('web UI: sessions', () => {
  it('an access key signs in: HttpOnly, SameSite=Strict cookie on /ui with an expiry; a wrong secret gets 401 and no cookie', async () => {
    expect(root.setCookie).toMatch(/^hoard_ui=[A-Za-z0-9_-]{43}; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=\d+; Expires=/);
    const maxAge = Number(/Max-Age=(\d+)/.exec(root.setCookie)![1]);
    expect(maxAge).toBeGreaterThan(8 * 3600 - 60); // 8 hours
    expect(maxAge).toBeLessThanOrEqual(8 * 3600);
    expect(root.setCookie).not.toContain('Secure'); // plain http here; https public URLs add Secure
    const home = await root.get('/ui/');
    expect(home.text).toContain(`arn:aws:iam::${h.accountId}:root`);
    const bad = await postForm(h, '/ui/signin', { method: 'key', accessKeyId: w.alice.accessKeyId, secretAccessKey: 'wrong-secret-wrong' });
    expect(bad.status).toBe(401);
    expect(bad.text).toContain('The access key id or the secret access key is not valid.');
    expect(bad.headers.get('set-cookie')).toBeNull();
    const unknown = await postForm(h, '/ui/signin', { method: 'key', accessKeyId: 'AKIANOSUCHKEY0000000', secretAccessKey: 'x' });
    expect(unknown.status).toBe(401);
  });

  it('an authorization token signs in, limited to its domain and its lifetime; a garbled token gets 401', async () => {
    const sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'elsewhere' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'elsewhere', repository: 'hidden-from-token' }));
    expect((await root.get('/ui/')).text).toContain('hidden-from-token');
    const t = await signIn(h, { method: 'token', token: w.token });
    expect((await t.get(repoPage('private'))).status).toBe(200);
    // The token was issued for acme: the session sees nothing of another domain, even as root.
    const home = await t.get('/ui/');
    expect(home.text).toContain('>private<');
    expect(home.text).not.toMatch(/elsewhere|hidden-from-token/);
    expect((await t.get(`/ui/d/elsewhere-${h.accountId}/hidden-from-token/`)).status).toBe(403);
    expect((await t.get(`/ui/d/elsewhere-${h.accountId}/`)).status).toBe(403);
    const maxAge = Number(/Max-Age=(\d+)/.exec(t.setCookie)![1]);
    expect(maxAge).toBeLessThanOrEqual(8 * 3600);
    const bad = await postForm(h, '/ui/signin', { method: 'token', token: `${w.token}x` });
    expect(bad.status).toBe(401);
    expect(bad.text).toContain('The authorization token is invalid');
  });

  it('sign-out deletes the session: the old cookie is refused afterwards (401, cookie cleared)', async () => {
    const s = await signIn(h, { method: 'key', ...w.alice });
    expect((await s.get('/ui/')).status).toBe(200);
    const out = await s.post('/ui/signout', { csrf: s.csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    const after = await s.get('/ui/');
    expect(after.status).toBe(401);
    expect(after.text).toContain('Your session has ended or is not valid');
    expect(after.headers.get('set-cookie')).toContain('hoard_ui=;');
  });

  it('a forged cookie and an expired session are refused with 401', async () => {
    const forged = await page(h, '/ui/', `hoard_ui=${'A'.repeat(43)}`);
    expect(forged.status).toBe(401);
    expect((await page(h, '/ui/', 'hoard_ui=<script>')).status).toBe(401);
    const s = await signIn(h, { method: 'key', ...w.bob });
    await h.server.services.db.query(`UPDATE ui_session SET expires_at = now() - interval '1 second'`);
    const expired = await s.get('/ui/');
    expect(expired.status).toBe(401);
    root = await signIn(h, { method: 'key', accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey });
  });

  it('deleting the access key a session was made with ends the session', async () => {
    const k = await h.server.services.identity.createAccessKey(h.accountId, 'bob');
    const s = await signIn(h, { method: 'key', ...k });
    expect((await s.get('/ui/')).status).toBe(200);
    await h.server.services.identity.deleteAccessKey(h.accountId, k.accessKeyId);
    expect((await s.get('/ui/')).status).toBe(401);
  });
});

describe('web UI: authorization', () => {
  it('anonymous sees only the *-readable repository; the others are refused with 401 and never named', async () => {
    const home = await page(h, '/ui/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('>public<');
    expect(home.text).not.toContain('private');
    expect(home.text).not.toContain('secret');
    const dom = await page(h, `/ui/d/${w.seg}/`);
    expect(dom.text).toContain('>public<');
    expect(dom.text).not.toMatch(/private|secret/);
    expect((await page(h, repoPage('public'))).status).toBe(200);
    expect((await page(h, pkgPage('public', 'open-thing'))).status).toBe(200);
    const refused = await page(h, repoPage('private'));
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('Sign in');
    // A repository that does not exist is refused the same way.
    expect((await page(h, repoPage('nothing'))).status).toBe(401);
  });

  it('a user without read on a repository gets 403 for it and does not see it listed, nor named in a chain', async () => {
    const alice = await signIn(h, { method: 'key', ...w.alice });
    const dom = await alice.get(`/ui/d/${w.seg}/`);
    expect(dom.status).toBe(200);
    expect(dom.text).toContain('>private<');
    expect(dom.text).not.toContain('secret');
    for (const path of [repoPage('secret'), pkgPage('secret', 'classified'), `${repoPage('secret')}connect`]) {
      const r = await alice.get(path);
      expect(r.status, path).toBe(403);
      expect(r.text).toContain('may not see repository secret');
    }
    const repo = await alice.get(repoPage('private'));
    expect(repo.text).toContain('a repository you cannot read');
    expect(repo.text).not.toContain('>secret<');
    expect(repo.text).toContain('The team &lt;b&gt;libs&lt;/b&gt;'); // escaped, not markup
    // Root sees the whole chain, by name.
    expect((await root.get(repoPage('private'))).text).toMatch(/>private<\/a><\/li><li><a [^>]+>public<\/a><\/li><li><a [^>]+>secret</);
  });

  it('an unknown page is a 404 page; a domain or repository path without its slash is redirected', async () => {
    const r = await root.get('/ui/no/such/page');
    expect(r.status).toBe(404);
    expect(r.text).toContain('There is no page at /ui/no/such/page.');
    const slash = await root.get(`/ui/d/${w.seg}/private`);
    expect(slash.status).toBe(302);
    expect(slash.headers.get('location')).toBe(`/ui/d/${w.seg}/private/`);
    expect((await root.get(`/ui/d/not-a-domain-segment/`)).status).toBe(404);
  });

  it('pages are served with a strict CSP; the stylesheet and script are hashed and cached for a year', async () => {
    const home = await page(h, '/ui/');
    const csp = home.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(home.headers.get('cache-control')).toBe('no-store');
    const css = /href="(\/ui\/static\/hoard\.[0-9a-f]{16}\.css)"/.exec(home.text)![1];
    const r = await fetch(`${h.url}${css}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(r.headers.get('content-type')).toContain('text/css');
    expect(await r.text()).toContain('prefers-color-scheme: dark');
    expect((await fetch(`${h.url}/ui/static/hoard.0000000000000000.css`)).status).toBe(404);
  });
});

describe('web UI: pages', () => {
  it('the connect page fills in the real endpoints for every client and the login commands', async () => {
    const r = await root.get(`${repoPage('private')}connect`);
    expect(r.status).toBe(200);
    const npm = `${h.url}/npm/d/${w.seg}/private/`;
    const pypi = `${h.url}/pypi/d/${w.seg}/private/`;
    const maven = `${h.url}/maven/d/${w.seg}/private/`;
    expect(r.text).toContain(`registry=${npm}`);
    expect(r.text).toContain(`//127.0.0.1:${h.port}/npm/d/${w.seg}/private/:_authToken=\${CODEARTIFACT_AUTH_TOKEN}`);
    expect(r.text).toContain(`npmRegistryServer: &quot;${npm}&quot;`);
    expect(r.text).toContain(`index-url = http://aws:&lt;token&gt;@127.0.0.1:${h.port}/pypi/d/${w.seg}/private/simple/`);
    expect(r.text).toContain(`url = &quot;${pypi}simple/&quot;`);
    expect(r.text).toContain(`repository = ${pypi}`);
    expect(r.text).toContain(`&lt;url&gt;${maven}&lt;/url&gt;`);
    expect(r.text).toContain(`url = uri(&quot;${maven}&quot;)`);
    expect(r.text).toContain(`hoard login --tool npm --domain acme --domain-owner ${h.accountId} --repository private`);
    expect(r.text).toContain(`aws codeartifact login --tool pip --domain acme --domain-owner ${h.accountId} --repository private --endpoint-url ${h.url}`);
    for (const tool of ['npm', 'pnpm', 'yarn', 'pip', 'uv', 'twine', 'Maven', 'Gradle']) expect(r.text).toContain(`<summary>${tool} `);
  });

  it('the .npmrc the connect page shows works as is with real npm (token from the environment)', async () => {
    const r = await root.get(`${repoPage('private')}connect`);
    const code = /<pre data-copy="npm \.npmrc"><code>([^<]*)<\/code>/.exec(r.text)![1];
    const npmrc = code.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    const home = tempHome();
    writeFileSync(path.join(home, '.npmrc'), npmrc);
    const out = await run('npm', ['view', 'widget', 'dist-tags', '--json'], {
      cwd: home,
      env: { ...cliEnv(h, home), npm_config_cache: path.join(home, 'cache'), CODEARTIFACT_AUTH_TOKEN: w.token },
    });
    rmSync(home, { recursive: true, force: true });
    expect(JSON.parse(out.stdout)).toEqual({ latest: '1.0.0', next: '1.1.0' });
  });

  it('package search filters by substring and format, and pages', async () => {
    const hit = await root.get(`${repoPage('private')}?q=IDG&format=npm`);
    expect(hit.text).toContain('>widget</a>');
    const miss = await root.get(`${repoPage('private')}?q=zzz`);
    expect(miss.text).not.toContain('>widget</a>');
    expect(miss.text).toContain('No package matches');
    expect((await root.get(`${repoPage('private')}?format=pypi`)).text).not.toContain('>widget</a>');
    expect((await root.get(`${repoPage('private')}?format=cobol`)).status).toBe(400);
    expect((await root.get(`${repoPage('private')}?next=garbage`)).status).toBe(400);
  });

  it('the package page shows versions with status, origin, time and dist-tags, dependencies, assets with SHA-256, and an inert readme', async () => {
    const r = await root.get(pkgPage('private', 'widget'));
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/>1\.0\.0<\/a><span class="tag">latest<\/span>/);
    expect(r.text).toMatch(/>1\.1\.0<\/a><span class="tag">next<\/span>/);
    expect(r.text).toContain('status-Published');
    expect(r.text).toContain('INTERNAL');
    expect(r.text).toContain('npm install widget@1.0.0');
    expect(r.text).toContain('leftpad');
    expect(r.text).toContain('>package.tgz</a>'); // CodeArtifact's asset name for npm
    expect(r.text).toContain(createHash('sha256').update(w.tgz).digest('hex'));
    const readme = r.text.slice(r.text.indexOf('<div class="readme">'));
    expect(readme).toContain('<h1>Widget</h1>');
    expect(readme).toContain('<a href="https://docs.invalid/widget" rel="nofollow noopener noreferrer">the docs</a>');
    // Raw HTML shows as text; no element carries a handler or a script URL.
    expect(readme).toContain('&lt;script&gt;');
    expect(readme).not.toMatch(/<script|<iframe|<img|<[^>]*\sonerror=|<a [^>]*href="(javascript|data):/i);
  });

  it('a download link gives the published bytes as an attachment in a sandbox; an unknown asset is a 404 page', async () => {
    const pkg = await root.get(pkgPage('private', 'widget', '?v=1.0.0'));
    const href = /href="([^"]+\/download\?[^"]+)"/.exec(pkg.text)![1].replace(/&amp;/g, '&');
    const r = await fetch(`${h.url}${href}`, { headers: { cookie: root.cookie } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''widget-1.0.0.tgz");
    expect(r.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    expect(Buffer.from(await r.arrayBuffer()).equals(w.tgz)).toBe(true);
    expect((await root.get(href.replace('asset=package.tgz', 'asset=nope.tgz'))).status).toBe(404);
    // Anonymous may not download from the private repository.
    expect((await page(h, href)).status).toBe(401);
  });

  it('status actions: confirm, then change; a viewer without UpdatePackageVersionsStatus sees none and is refused', async () => {
    const alice = await signIn(h, { method: 'key', ...w.alice });
    const pkg = await alice.get(pkgPage('private', 'widget'));
    const confirmHref = /href="([^"]+\/status\?v=1\.1\.0&amp;to=Archived)"/.exec(pkg.text)![1].replace(/&amp;/g, '&');
    const confirm = await alice.get(confirmHref);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('from <strong>Published</strong> to <strong>Archived</strong>');
    const done = await alice.post(confirmHref.split('?')[0], { csrf: alice.csrf, v: '1.1.0', to: 'Archived', from: 'Published' });
    expect(done.status).toBe(303);
    expect(await status('1.1.0')).toBe('Archived');
    // A stale confirmation (expected status no longer current) changes nothing: 409.
    const stale = await alice.post(confirmHref.split('?')[0], { csrf: alice.csrf, v: '1.1.0', to: 'Unlisted', from: 'Published' });
    expect(stale.status).toBe(409);
    expect(await status('1.1.0')).toBe('Archived');
    const restore = await alice.post(confirmHref.split('?')[0], { csrf: alice.csrf, v: '1.1.0', to: 'Published', from: 'Archived' });
    expect(restore.status).toBe(303);
    expect(await status('1.1.0')).toBe('Published');
    const bob = await signIn(h, { method: 'key', ...w.bob });
    expect((await bob.get(pkgPage('private', 'widget'))).text).not.toContain('/status?');
    expect((await bob.get(confirmHref)).status).toBe(403);
    expect((await bob.post(confirmHref.split('?')[0], { csrf: bob.csrf, v: '1.1.0', to: 'Archived' })).status).toBe(403);
    // Bad input gets a 400 page: an unknown target status, a version that is no version name.
    expect((await alice.get(confirmHref.replace('to=Archived', 'to=Disposed'))).status).toBe(400);
    expect((await alice.post(confirmHref.split('?')[0], { csrf: alice.csrf, v: '1.1.0', to: 'Deleted' })).status).toBe(400);
    expect((await alice.post(confirmHref.split('?')[0], { csrf: alice.csrf, v: '', to: 'Archived' })).status).toBe(400);
    expect(await status('1.1.0')).toBe('Published');
    // Each status post is in the audit trail as the API call it stands for, on the package, refusals included.
    const home = tempHome();
    const r = await run('node', ['dist/main.js', 'audit', '--action', 'codeartifact:UpdatePackageVersionsStatus', '--json'], { env: cliEnv(h, home) });
    const events = (JSON.parse(r.stdout) as { events: { principalArn: string; resourceArn?: string; outcome: string }[] }).events;
    const by = (user: string) => events.filter((e) => e.principalArn === `arn:aws:iam::${h.accountId}:user/${user}`);
    expect(by('alice').map((e) => e.outcome).sort()).toEqual(['ConflictException', 'Success', 'Success', 'ValidationException', 'ValidationException']);
    expect(by('alice').every((e) => e.resourceArn === `arn:aws:codeartifact:us-east-1:${h.accountId}:package/acme/private/npm//widget`)).toBe(true);
    expect(by('bob').map((e) => e.outcome)).toEqual(['AccessDeniedException']);
    // Sign-ins are logins: recorded with who signed in, a refused one as anonymous, never with the secret.
    const signins = await run('node', ['dist/main.js', 'audit', '--action', 'hoard:SignIn', '--json'], { env: cliEnv(h, home) });
    const si = (JSON.parse(signins.stdout) as { events: { principalArn: string; outcome: string }[] }).events;
    expect(si.some((e) => e.principalArn.endsWith(':user/alice') && e.outcome === 'Success')).toBe(true);
    expect(si.some((e) => e.principalArn === 'anonymous' && e.outcome === 'UnauthenticatedException')).toBe(true);
    expect(signins.stdout).not.toContain(w.alice.secretAccessKey);
  });

  it('cross-site and token-less form posts are refused with 403 and change nothing', async () => {
    const target = `/ui/d/${w.seg}/private/p/npm/widget/status`;
    const form = { csrf: root.csrf, v: '1.0.0', to: 'Archived', from: 'Published' };
    const cases: [string, Record<string, string>, Record<string, string>][] = [
      ['Sec-Fetch-Site cross-site', form, { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site same-site', form, { 'sec-fetch-site': 'same-site' }],
      ['a foreign Origin', form, { origin: 'http://127.0.0.2:9' }],
      ['no CSRF token', { ...form, csrf: '' }, {}],
      ['a wrong CSRF token', { ...form, csrf: 'x'.repeat(32) }, {}],
    ];
    for (const [why, f, headers] of cases) {
      const r = await root.post(target, f, headers);
      expect(r.status, why).toBe(403);
      expect(r.text, why).toContain('refused');
    }
    // No Origin and no Sec-Fetch-Site at all: refused too.
    const bare = await fetch(`${h.url}${target}`, {
      method: 'POST',
      headers: { cookie: root.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
    });
    expect(bare.status).toBe(403);
    // A sign-in posted from another site is refused before the credentials are looked at.
    expect((await postForm(h, '/ui/signin', { method: 'key', ...w.alice }, { origin: 'http://127.0.0.2:9' })).status).toBe(403);
    expect(await status('1.0.0')).toBe('Published');
  });

  it('a 5,000-version package page is paginated and reads one version document, not every one', async () => {
    await bulkVersions(h, 'acme', 'private', { namespace: 'big', name: 'many' }, 5000);
    const db = h.server.services.db;
    const original = db.query.bind(db);
    let withMetadata = 0;
    (db as { query: typeof db.query }).query = (async (sql: string, params?: unknown[]) => {
      const r = await original(sql, params);
      withMetadata += r.rows.filter((row) => row && typeof row === 'object' && 'metadata' in (row as object)).length;
      return r;
    }) as typeof db.query;
    let first;
    try {
      first = await root.get(`/ui/d/${w.seg}/private/p/generic/many?ns=big`);
    } finally {
      (db as { query: typeof db.query }).query = original;
    }
    expect(first.status).toBe(200);
    expect(withMetadata).toBe(1); // the version shown, nothing else
    expect(first.text).toContain('(5000)');
    const rows = [...first.text.matchAll(/>v(\d{6})<\/a>/g)].map((m) => m[1]);
    expect(rows.length).toBe(50);
    expect(rows[0]).toBe('005000');
    expect(rows[49]).toBe('004951');
    const next = /href="([^"]+&amp;next=[^"]+|[^"]+\?next=[^"]+)" rel="next"/.exec(first.text)![1].replace(/&amp;/g, '&');
    const second = await root.get(next);
    const rows2 = [...second.text.matchAll(/>v(\d{6})<\/a>/g)].map((m) => m[1]);
    expect(rows2[0]).toBe('004950');
    expect(rows2.length).toBe(50);
  });
});

describe('web UI behind HTTPS', () => {
  it('marks the session cookie Secure when the public URL is https', async () => {
    const s = await startHoard({ HOARD_PUBLIC_URL: 'https://127.0.0.1:8443' });
    try {
      const r = await postForm(s, '/ui/signin', { method: 'key', accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey }, { origin: 'https://127.0.0.1:8443' });
      expect(r.status).toBe(303);
      expect(r.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; .*; Secure$/);
    } finally {
      await s.stop();
    }
  });
});
