// PyPI with the real clients: wheels and sdists built by Python's own tooling, uploaded with twine
// (credentials from `hoard login --tool twine` and from `aws codeartifact login --tool twine`),
// installed with pip in a fresh venv configured by `aws codeartifact login --tool pip`. The
// server's access log shows pip resolving from the `.metadata` files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateDomainCommand, CreateRepositoryCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-codeartifact';
import { accessLogger, cliEnv, startHoard, tempHome, type TestHoard } from '../support/hoard.js';
import { baseEnv, buildProject, findPythonTools, makeVenv, run, writeProject, type PythonTools } from '../support/python.js';

const found = findPythonTools();
const missing = 'missing' in found ? found.missing : null;
if (missing) console.warn(`pypi client tests skipped: ${missing}`);


const flat = (s: string) => s.replace(/\s+/g, ' ');
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.skipIf(missing)('PyPI with twine and pip', () => {
  const tools = found as PythonTools;
  const logger = accessLogger();
  const access = logger.lines;
  let h: TestHoard;
  let endpoint: string;
  let token: string;
  let base: { sdist: string; wheel: string };
  let app: { sdist: string; wheel: string };
  let work: string;
  const DOMAIN = 'pyco';
  const REPO = 'py';

  const hoardCli = path.resolve('dist/main.js');
  const twine = (args: string[], env: NodeJS.ProcessEnv) => run(tools.twine[0], [...tools.twine.slice(1), 'upload', ...args], { env });
  const since = (mark: number) => access.slice(mark);

  beforeAll(async () => {
    h = await startHoard({}, { log: logger.log });
    const sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: DOMAIN }));
    await sdk.send(new CreateRepositoryCommand({ domain: DOMAIN, repository: REPO }));
    await sdk.send(new CreateDomainCommand({ domain: 'elsewhere' }));
    token = (await sdk.send(new GetAuthorizationTokenCommand({ domain: DOMAIN }))).authorizationToken!;
    endpoint = `${h.url}/pypi/d/${DOMAIN}-${h.accountId}/${REPO}/`;
    if (!existsSync(hoardCli)) {
      const b = await run('npx', ['tsc', '-p', '.'], { env: process.env });
      if (b.status !== 0) throw new Error(`building the hoard CLI failed:\n${b.out}`);
    }
    work = mkdtempSync(path.join(os.tmpdir(), 'hoard-pypi-'));
    writeProject(path.join(work, 'base'), { name: 'hoard-demo-base', version: '0.1.0', requiresPython: '>=3.8, <4' });
    // A name that is not normalized, depending on the other project.
    writeProject(path.join(work, 'app'), { name: 'Hoard_Demo.App', version: '0.2.0', dependencies: ['hoard-demo-base>=0.1'] });
    [base, app] = await Promise.all([
      buildProject(tools, path.join(work, 'base'), path.join(work, 'dist-base')),
      buildProject(tools, path.join(work, 'app'), path.join(work, 'dist-app')),
    ]);
  });
  afterAll(async () => h?.stop());

  it('builds a legacy-named sdist and a wheel with the real tooling', () => {
    expect(path.basename(base.wheel)).toBe('hoard_demo_base-0.1.0-py3-none-any.whl');
    // setuptools before 69 writes the older sdist name; newer ones the PEP 625 name. Both must upload.
    expect(['hoard-demo-base-0.1.0.tar.gz', 'hoard_demo_base-0.1.0.tar.gz']).toContain(path.basename(base.sdist));
  });

  it('twine uploads with credentials from `hoard login --tool twine`', async () => {
    const home = tempHome();
    const login = await run(process.execPath, [hoardCli, 'login', '--tool', 'twine', '--domain', DOMAIN, '--repository', REPO], {
      env: cliEnv(h, home),
    });
    expect(login.status, login.out).toBe(0);
    expect(readFileSync(path.join(home, '.pypirc'), 'utf8')).toMatch(new RegExp(`repository\\s*[:=]\\s*${endpoint.replace(/[.]/g, '\\.')}`));
    const mark = access.length;
    const up = await twine(['--repository', 'codeartifact', base.wheel, base.sdist], baseEnv(home));
    expect(up.status, up.out).toBe(0);
    expect(up.out).toContain('hoard_demo_base-0.1.0-py3-none-any.whl');
    const posts = since(mark).filter((l) => l.method === 'POST');
    expect(posts.map((l) => l.status)).toEqual([200, 200]);
  });

  it('twine uploads with credentials from `aws codeartifact login --tool twine`', async () => {
    const home = tempHome();
    const login = await run('aws', ['codeartifact', 'login', '--tool', 'twine', '--domain', DOMAIN, '--domain-owner', h.accountId, '--repository', REPO, '--endpoint-url', h.url], {
      env: cliEnv(h, home),
    });
    expect(login.status, login.out).toBe(0);
    expect(login.out).toContain('Successfully configured twine');
    const up = await twine(['--repository', 'codeartifact', app.wheel, app.sdist], baseEnv(home));
    expect(up.status, up.out).toBe(0);
  });

  let pipEnv: NodeJS.ProcessEnv;
  let venvPython: string;
  it('pip installs the dependent project, resolving from .metadata files rather than wheels', async () => {
    const home = tempHome();
    const login = await run('aws', ['codeartifact', 'login', '--tool', 'pip', '--domain', DOMAIN, '--domain-owner', h.accountId, '--repository', REPO, '--endpoint-url', h.url], {
      env: cliEnv(h, home),
    });
    expect(login.status, login.out).toBe(0);
    const conf = path.join(home, '.config', 'pip', 'pip.conf');
    expect(readFileSync(conf, 'utf8')).toMatch(/index-url = http:\/\/aws:.+@127\.0\.0\.1:\d+\/pypi\/d\/pyco-111122223333\/py\/simple\//);
    pipEnv = baseEnv(home, { PIP_CONFIG_FILE: conf, PIP_NO_CACHE_DIR: '1' });
    venvPython = await makeVenv(tools, path.join(work, 'venv'));

    const mark = access.length;
    const install = await run(venvPython, ['-m', 'pip', 'install', 'hoard-demo-app'], { env: pipEnv });
    expect(install.status, install.out).toBe(0);
    expect(install.out).toMatch(/Successfully installed .*hoard-demo-base-0\.1\.0/i);
    const gets = since(mark).filter((l) => l.method === 'GET').map((l) => ({ ...l, file: path.basename(l.path) }));
    const at = (pred: (l: (typeof gets)[number]) => boolean) => gets.findIndex(pred);
    const appMeta = at((l) => l.file === `${path.basename(app.wheel)}.metadata`);
    const baseMeta = at((l) => l.file === `${path.basename(base.wheel)}.metadata`);
    const basePage = at((l) => l.path.endsWith('/simple/hoard-demo-base/'));
    const firstWheel = at((l) => l.file.endsWith('.whl'));
    // Resolution: the app's page, its .metadata (which names the dependency), then the dependency's
    // page and .metadata, all before any wheel is downloaded.
    expect(gets[0].path).toMatch(/\/simple\/hoard-demo-app\/$/);
    expect(appMeta).toBeGreaterThan(0);
    expect(basePage).toBeGreaterThan(appMeta);
    expect(baseMeta).toBeGreaterThan(basePage);
    expect(firstWheel).toBeGreaterThan(baseMeta);
    // Then each wheel exactly once, to install it.
    const wheels = gets.filter((l) => l.file.endsWith('.whl'));
    expect(wheels.map((l) => l.file).sort()).toEqual([path.basename(app.wheel), path.basename(base.wheel)].sort());
    expect(wheels.every((l) => l.status === 200)).toBe(true);
    expect(gets.some((l) => l.path.endsWith('/simple/hoard-demo-app/'))).toBe(true);
    const check = await run(venvPython, ['-c', 'import hoard_demo_app, hoard_demo_base; print(hoard_demo_base.VERSION)'], { env: pipEnv });
    expect(check.stdout.trim()).toBe('0.1.0');
  });

  it('pip download and pip index versions', async () => {
    const dest = path.join(work, 'downloads');
    const dl = await run(venvPython, ['-m', 'pip', 'download', '--dest', dest, 'hoard-demo-app'], { env: pipEnv });
    expect(dl.status, dl.out).toBe(0);
    expect(readdirSync(dest).sort()).toEqual([path.basename(app.wheel), path.basename(base.wheel)].sort());
    expect(sha256(path.join(dest, path.basename(base.wheel)))).toBe(sha256(base.wheel));
    // The sdist, fetched from the URL the JSON page gives, with the Basic credentials pip uses.
    const page = (await (
      await fetch(`${endpoint}simple/hoard-demo-base/`, { headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.pypi.simple.v1+json' } })
    ).json()) as { files: { filename: string; url: string }[] };
    const sdist = page.files.find((f) => f.filename === path.basename(base.sdist))!;
    const res = await fetch(new URL(sdist.url, `${endpoint}simple/hoard-demo-base/`), {
      headers: { authorization: `Basic ${Buffer.from(`aws:${token}`).toString('base64')}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')).toBe(sha256(base.sdist));
    const iv = await run(venvPython, ['-m', 'pip', 'index', 'versions', 'hoard-demo-base'], { env: pipEnv });
    expect(iv.status, iv.out).toBe(0);
    expect(iv.stdout).toContain('hoard-demo-base (0.1.0)');
  });

  it('a second upload of the same file answers 200 with and without --skip-existing; other bytes under the same name are refused', async () => {
    const home = tempHome();
    const env = baseEnv(home, { TWINE_USERNAME: 'aws', TWINE_PASSWORD: token, TWINE_REPOSITORY_URL: endpoint });
    const again = await twine([base.wheel], env);
    expect(again.status, again.out).toBe(0);
    const skip = await twine(['--skip-existing', base.wheel], env);
    expect(skip.status, skip.out).toBe(0);

    // A rebuild: same file names, different bytes.
    writeProject(path.join(work, 'base2'), { name: 'hoard-demo-base', version: '0.1.0', requiresPython: '>=3.8, <4', salt: 'rebuilt' });
    const rebuilt = await buildProject(tools, path.join(work, 'base2'), path.join(work, 'dist-base2'));
    expect(path.basename(rebuilt.wheel)).toBe(path.basename(base.wheel));
    expect(sha256(rebuilt.wheel)).not.toBe(sha256(base.wheel));
    const refused = await twine([rebuilt.wheel], env);
    expect(refused.status).not.toBe(0);
    expect(refused.out).toContain('400');
    expect(flat(refused.out)).toContain('File already exists');
    const skipped = await twine(['--skip-existing', rebuilt.wheel], env);
    expect(skipped.status, skipped.out).toBe(0);
    expect(flat(skipped.out)).toMatch(/Skipping .*already exist/);
    // The published bytes did not change.
    const page = await fetch(`${endpoint}simple/hoard-demo-base/`, { headers: { authorization: `Bearer ${token}` } });
    expect(await page.text()).toContain(`#sha256=${sha256(base.wheel)}`);
  });

  it('the upload URL works without its trailing slash (twine refuses redirects)', async () => {
    const env = baseEnv(tempHome(), { TWINE_USERNAME: 'aws', TWINE_PASSWORD: token, TWINE_REPOSITORY_URL: endpoint.slice(0, -1) });
    const up = await twine([app.sdist], env);
    expect(up.status, up.out).toBe(0);
  });

  it('bad uploads through twine: what the client shows', async () => {
    const env = baseEnv(tempHome(), { TWINE_USERNAME: 'aws', TWINE_PASSWORD: token, TWINE_REPOSITORY_URL: endpoint });
    // A wheel whose file name names another project than its METADATA.
    const dir = path.join(work, 'bad');
    mkdirSync(dir, { recursive: true });
    const other = path.join(dir, 'other_project-0.1.0-py3-none-any.whl');
    copyFileSync(base.wheel, other);
    const mismatch = await twine([other], env);
    expect(mismatch.status).not.toBe(0);
    expect(mismatch.out).toContain('400');
    expect(flat(mismatch.out)).toMatch(/400 Bad Request .*names project 'other_project', but .*METADATA says 'hoard-demo-base'/);

    // No credentials: 401 with a Basic challenge.
    const anon = await fetch(endpoint, { method: 'POST', body: new FormData() });
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    // A token for another domain: 401, naming the domain it was issued for.
    const foreign = (await h.sdk().send(new GetAuthorizationTokenCommand({ domain: 'elsewhere' }))).authorizationToken!;
    const wrong = await twine([base.wheel], { ...env, TWINE_PASSWORD: foreign });
    expect(wrong.status).not.toBe(0);
    expect(wrong.out).toContain('401');
    // pip without credentials: 401, and pip says so.
    const pip = await run(venvPython, ['-m', 'pip', 'download', '-vv', '--no-deps', '--dest', path.join(work, 'x'), '--index-url', `${endpoint}simple/`, 'hoard-demo-base'], {
      env: baseEnv(tempHome()),
    });
    expect(pip.status).not.toBe(0);
    expect(pip.out).toMatch(/401 Client Error: Authentication required: ReadFromRepository on py needs a token/);
    // The server keeps serving, and nothing was added.
    const page = await fetch(`${endpoint}simple/hoard-demo-base/`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.pypi.simple.v1+json' },
    });
    expect(page.status).toBe(200);
    expect(((await page.json()) as { files: unknown[] }).files).toHaveLength(2);
  });
});
