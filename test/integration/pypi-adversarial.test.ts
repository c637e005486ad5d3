// A small upload crafted to stall the server: a wheel of a few kilobytes whose METADATA is 1 MB of
// newlines then `x` (a backtracking pattern over it once held every request for hours). Hoard runs
// in its own process here, so a stalled server cannot also stall the test that watches it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDomainCommand, CreateRepositoryCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-codeartifact';
import { spawnHoard, type SpawnedHoard } from '../support/spawn-hoard.js';
import { makeWheel, uploadForm } from '../support/pypi-fixtures.js';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PyPI uploads crafted to stall the server', () => {
  let h: SpawnedHoard;
  let token: string;

  beforeAll(async () => {
    h = await spawnHoard();
    const sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'stall' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'stall', repository: 'main' }));
    token = (await sdk.send(new GetAuthorizationTokenCommand({ domain: 'stall' }))).authorizationToken!;
  });
  afterAll(async () => h?.stop());

  it('answers a wheel whose METADATA is 1 MB of newlines then x, and /healthz answers meanwhile', async () => {
    const description = `${'\n'.repeat(1024 * 1024)}x`;
    const wheel = makeWheel({ name: 'stall-pkg', version: '1.0', description });
    expect(wheel.bytes.length).toBeLessThan(64 * 1024); // small on the wire, large once inflated
    const upload = fetch(`${h.url}/pypi/d/stall-${h.accountId}/main/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: uploadForm({ filename: 'stall_pkg-1.0-py3-none-any.whl', bytes: wheel.bytes }, { name: 'stall-pkg', version: '1.0' }),
      signal: AbortSignal.timeout(60_000),
    });
    upload.catch(() => {}); // awaited below; a stalled server is reported by the probes first
    // While the upload is being handled, the server keeps answering: each probe gets its answer
    // within a bound far above what a free event loop needs (a stalled one took hours).
    for (let i = 0; i < 5; i++) {
      await delay(100);
      const health = await fetch(`${h.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
      expect(health.status).toBe(200);
    }
    const r = await upload;
    expect([r.status, r.statusText]).toEqual([200, 'OK']);
    const json = (await (
      await fetch(`${h.url}/pypi/d/stall-${h.accountId}/main/pypi/stall-pkg/json`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { info: { description: string } };
    expect(json.info.description).toBe(description);
  });
});
