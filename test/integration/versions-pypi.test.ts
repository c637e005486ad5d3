// The control plane over packages the real twine uploads and pip installs: describe (summary,
// home page, readme), Requires-Dist dependencies, unlist (pip stops resolving the version by
// range; an exact pin still installs it), restore, and copy to a second repository that pip then installs from.
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyPackageVersionsCommand,
  CreateDomainCommand,
  CreateRepositoryCommand,
  DescribePackageVersionCommand,
  GetAuthorizationTokenCommand,
  GetPackageVersionReadmeCommand,
  ListPackageVersionAssetsCommand,
  ListPackageVersionDependenciesCommand,
  ListPackageVersionsCommand,
  UpdatePackageVersionsStatusCommand,
  type CodeartifactClient,
} from '@aws-sdk/client-codeartifact';
import { startHoard, tempHome, type TestHoard } from '../support/hoard.js';
import { baseEnv, buildProject, findPythonTools, makeVenv, run, writeProject, type PythonTools } from '../support/python.js';

const found = findPythonTools();
const missing = 'missing' in found ? found.missing : null;
if (missing) console.warn(`pypi control-plane tests skipped: ${missing}`);

describe.skipIf(missing)('control plane over PyPI packages (twine, pip)', () => {
  const tools = found as PythonTools;
  let h: TestHoard;
  let sdk: CodeartifactClient;
  let token: string;
  let work: string;
  let venvPython: string;
  const dists: string[] = [];
  const index = (repo: string) => `${h.url.replace('http://', `http://aws:${token}@`)}/pypi/d/pyv-${h.accountId}/${repo}/simple/`;
  const lc = (repository = 'py') => ({ domain: 'pyv', repository, format: 'pypi' as const, package: 'hoard-lc' });

  /** pip install into a fresh --target folder; returns the installed distributions (name-version). */
  async function pipInstall(repo: string, spec: string) {
    const target = mkdtempSync(path.join(work, 'target-'));
    const r = await run(venvPython, ['-m', 'pip', 'install', '--no-cache-dir', '--target', target, '--index-url', index(repo), spec], {
      env: baseEnv(tempHome()),
    });
    const installed = readdirSync(target)
      .filter((f) => f.endsWith('.dist-info'))
      .map((f) => f.replace(/\.dist-info$/, ''))
      .sort();
    return { r, installed };
  }

  beforeAll(async () => {
    h = await startHoard();
    sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'pyv' }));
    for (const repository of ['py', 'promoted']) await sdk.send(new CreateRepositoryCommand({ domain: 'pyv', repository }));
    token = (await sdk.send(new GetAuthorizationTokenCommand({ domain: 'pyv' }))).authorizationToken!;
    work = mkdtempSync(path.join(os.tmpdir(), 'hoard-pyv-'));
    const projects = [
      { name: 'hoard-lc', version: '1.0.0' },
      { name: 'hoard-lc', version: '1.1.0', description: '# hoard-lc 1.1.0\n\nThe readme of 1.1.0.\n' },
      { name: 'hoard-lc-app', version: '0.1.0', dependencies: ['hoard-lc>=1.0'] },
    ];
    const built = await Promise.all(
      projects.map(async (p, i) => {
        writeProject(path.join(work, `p${i}`), p);
        return buildProject(tools, path.join(work, `p${i}`), path.join(work, `dist${i}`));
      }),
    );
    for (const b of built) dists.push(b.wheel, b.sdist);
    venvPython = await makeVenv(tools, path.join(work, 'venv'));
  });
  afterAll(async () => h?.stop());

  it('twine uploads; the control plane describes versions, readme and Requires-Dist', async () => {
    const env = baseEnv(tempHome(), { TWINE_USERNAME: 'aws', TWINE_PASSWORD: token, TWINE_REPOSITORY_URL: `${h.url}/pypi/d/pyv-${h.accountId}/py/` });
    for (const f of dists) {
      const up = await run(tools.twine[0], [...tools.twine.slice(1), 'upload', f], { env });
      expect(up.status, up.out).toBe(0);
    }
    const versions = await sdk.send(new ListPackageVersionsCommand(lc()));
    expect(versions.versions?.map((v) => `${v.version}:${v.status}`)).toEqual(['1.0.0:Published', '1.1.0:Published']);
    expect(versions.defaultDisplayVersion).toBe('1.1.0');
    const d = await sdk.send(new DescribePackageVersionCommand({ ...lc(), packageVersion: '1.1.0' }));
    expect(d.packageVersion).toMatchObject({ format: 'pypi', packageName: 'hoard-lc', summary: 'A generated test project', homePage: 'https://example.invalid/home' });
    expect((await sdk.send(new GetPackageVersionReadmeCommand({ ...lc(), packageVersion: '1.1.0' }))).readme).toContain('The readme of 1.1.0.');
    const assets = await sdk.send(new ListPackageVersionAssetsCommand({ ...lc(), packageVersion: '1.1.0' }));
    expect(assets.assets?.map((a) => a.name).sort()).toEqual(dists.slice(2, 4).map((f) => path.basename(f)).sort());
    const deps = await sdk.send(new ListPackageVersionDependenciesCommand({ ...lc(), package: 'hoard-lc-app', packageVersion: '0.1.0' }));
    // Requires-Dist only, as CodeArtifact lists them: Requires-Python (>=3.8 here) is no dependency.
    expect(deps.dependencies).toEqual([{ package: 'hoard-lc', dependencyType: 'Requires-Dist', versionRequirement: '>=1.0' }]);
  });

  it('unlisting hides the version from pip; restoring brings it back', async () => {
    const before = await pipInstall('py', 'hoard-lc-app');
    expect(before.r.status, before.r.out).toBe(0);
    expect(before.installed).toEqual(['hoard_lc-1.1.0', 'hoard_lc_app-0.1.0']);
    await sdk.send(new UpdatePackageVersionsStatusCommand({ ...lc(), versions: ['1.1.0'], targetStatus: 'Unlisted' }));
    const unlisted = await pipInstall('py', 'hoard-lc-app');
    expect(unlisted.r.status, unlisted.r.out).toBe(0);
    expect(unlisted.installed).toEqual(['hoard_lc-1.0.0', 'hoard_lc_app-0.1.0']);
    // Unlisted is served as PEP 592 yanked: an exact pin (a lock file) still installs it.
    const exact = await pipInstall('py', 'hoard-lc==1.1.0');
    expect(exact.r.status, exact.r.out).toBe(0);
    expect(exact.installed).toEqual(['hoard_lc-1.1.0']);
    await sdk.send(new UpdatePackageVersionsStatusCommand({ ...lc(), versions: ['1.1.0'], targetStatus: 'Published' }));
    expect((await pipInstall('py', 'hoard-lc')).installed).toEqual(['hoard_lc-1.1.0']);
  });

  it('copies to a second repository that pip installs from', async () => {
    const copy = (pkg: string, versions: string[]) =>
      sdk.send(
        new CopyPackageVersionsCommand({ domain: 'pyv', sourceRepository: 'py', destinationRepository: 'promoted', format: 'pypi', package: pkg, versions }),
      );
    expect(Object.keys((await copy('hoard-lc', ['1.0.0'])).successfulVersions ?? {})).toEqual(['1.0.0']);
    expect(Object.keys((await copy('hoard-lc-app', ['0.1.0'])).successfulVersions ?? {})).toEqual(['0.1.0']);
    const got = await pipInstall('promoted', 'hoard-lc-app');
    expect(got.r.status, got.r.out).toBe(0);
    expect(got.installed).toEqual(['hoard_lc-1.0.0', 'hoard_lc_app-0.1.0']);
  });
});
