// An index that serves its files from another host (as the public one does): fetched only from the
// origins HOARD_EXTERNAL_PYPI_ORIGINS names, never with the index's credentials; without the
// setting the file answers 502 saying what to set, and nothing is kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { PypiIndexFixture } from '../../src/bench/pypi-index-fixture.js';
import { JSON_TYPE, pypiVersionsIn, setupProxyDomain } from './pypi-proxy-support.js';

const INDEX_AUTH = 'Bearer index-secret';

describe('PyPI external connection with a separate file host', () => {
  let up: PypiIndexFixture;
  let allowed: TestHoard;
  let refused: TestHoard;

  const start = async (env: Record<string, string>) => {
    const h = await startHoard({ HOARD_EXTERNAL_PYPI_URL: `${up.url}/simple`, HOARD_EXTERNAL_PYPI_AUTH: INDEX_AUTH, HOARD_UPSTREAM_OFFLINE_S: '0', ...env });
    const { token, endpoint } = await setupProxyDomain(h, 'files');
    const get = (p: string, accept = JSON_TYPE) => fetch(`${endpoint('app')}${p}`, { headers: { authorization: `Bearer ${token}`, accept } });
    return { h, get };
  };

  beforeAll(async () => {
    up = await new PypiIndexFixture().start();
    await up.serveFilesElsewhere();
    await up.add('split-host', [{ version: '1.0' }]);
  });
  afterAll(async () => {
    await allowed?.stop();
    await refused?.stop();
    await up?.stop();
  });

  it('fetches files from an origin in HOARD_EXTERNAL_PYPI_ORIGINS, without the index credentials', async () => {
    const a = await start({ HOARD_EXTERNAL_PYPI_ORIGINS: up.filesUrl });
    allowed = a.h;
    const page = (await (await a.get('simple/split-host/')).json()) as { files: { filename: string; url: string }[] };
    const wheel = page.files.find((f) => f.filename.endsWith('.whl'))!;
    expect(wheel.url).not.toContain(String(up.filesPort)); // served from Hoard, not the file host
    const res = await a.get(`simple/split-host/${wheel.url}`, '*/*');
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(up.file(wheel.filename).bytes)).toBe(true);
    const toFiles = up.authorizations.filter((x) => x.files);
    const toIndex = up.authorizations.filter((x) => !x.files);
    expect(toFiles.length).toBeGreaterThan(0);
    expect(toFiles.every((x) => x.authorization === undefined)).toBe(true);
    expect(toIndex.length).toBeGreaterThan(0);
    expect(toIndex.every((x) => x.authorization === INDEX_AUTH)).toBe(true);
    expect((await pypiVersionsIn(allowed, 'files', 'app', 'split-host')).map((v) => v.version)).toEqual(['1.0']);
  });

  it('without the setting, answers 502 naming HOARD_EXTERNAL_PYPI_ORIGINS and keeps nothing', async () => {
    const b = await start({});
    refused = b.h;
    const page = (await (await b.get('simple/split-host/')).json()) as { files: { filename: string; url: string }[] };
    const wheel = page.files.find((f) => f.filename.endsWith('.whl'))!;
    const res = await b.get(`simple/split-host/${wheel.url}`, '*/*');
    expect(res.status).toBe(502);
    expect(await res.text()).toMatch(new RegExp(`pointed at another host \\(${up.filesUrl.replace(/[.:/]/g, '\\$&')}\\).*HOARD_EXTERNAL_PYPI_ORIGINS`));
    expect(await pypiVersionsIn(refused, 'files', 'app', 'split-host')).toEqual([]);
  });

  it('refuses a setting that is not a list of origins at start-up', async () => {
    await expect(startHoard({ HOARD_EXTERNAL_PYPI_URL: `${up.url}/simple`, HOARD_EXTERNAL_PYPI_ORIGINS: `${up.filesUrl}/files/` })).rejects.toThrow(
      /HOARD_EXTERNAL_PYPI_ORIGINS: give origins only/,
    );
  });
});
