// Every kind of version change DESIGN.md lists reaches a webhook (publish, status change, copy,
// upstream retention, delete, dispose), each as one event, while reads of what is already stored
// (packument, tarball, a retained tarball read again) make none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyPackageVersionsCommand,
  DeletePackageVersionsCommand,
  DisposePackageVersionsCommand,
  UpdatePackageVersionsStatusCommand,
} from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { hoardApi } from '../support/hoard-api.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { makeTgz, publishBody, removeTemp, setupDomain } from './npm-support.js';

describe('events for every version change reach webhooks; reads make none', () => {
  let h: TestHoard;
  let d: Awaited<ReturnType<typeof setupDomain>>;
  const rx = new WebhookReceiver();
  const seen = () => rx.all.map((r) => `${r.event.detail.repositoryName} ${r.event.detail.packageVersion} ${r.event.detail.operationType} ${r.event.detail.packageVersionState}`);
  const settle = async (n: number) => {
    await rx.until(`${n} events`, () => rx.all.length >= n);
    await new Promise((r) => setTimeout(r, 400)); // nothing more arrives
    expect(rx.all.length).toBe(n);
  };
  const auth = () => ({ authorization: `Bearer ${d.token}` });
  const base = { domain: 'evs', format: 'npm' as const, package: 'evpkg' };

  beforeAll(async () => {
    h = await startHoard({ HOARD_WEBHOOK_ALLOW_PRIVATE: 'true', HOARD_WEBHOOK_POLL_MS: '50' });
    await rx.start();
    d = await setupDomain(h, 'evs', [{ name: 'up' }, { name: 'down', upstreams: ['up'] }, { name: 'copy' }]);
    const w = await hoardApi(h)('POST', '/hoard/v1/webhooks', { domain: 'evs' }, { url: rx.url, eventPattern: { detail: { packageName: ['evpkg'] } } });
    rx.secrets = [w.json.secret];
  });
  afterAll(async () => {
    await h?.stop();
    await rx.stop();
    removeTemp();
  });

  it('publish, reads, retention, status change, copy, delete and dispose: one event each', async () => {
    for (const v of ['1.0.0', '2.0.0']) {
      const pj = { name: 'evpkg', version: v };
      const r = await fetch(`${d.endpoint('up')}evpkg`, { method: 'PUT', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify(publishBody(pj, await makeTgz(pj))) });
      expect(r.status).toBe(201);
    }
    await settle(2);
    // Reads of what is stored: nothing.
    for (const url of [`${d.endpoint('up')}evpkg`, `${d.endpoint('up')}evpkg/-/evpkg-1.0.0.tgz`, `${d.endpoint('down')}evpkg`]) {
      const r = await fetch(url, { headers: auth() });
      expect([url, r.status]).toEqual([url, 200]);
      await r.arrayBuffer();
    }
    // The first tarball fetched through the downstream repository retains 1.0.0 there (one event);
    // fetching it again reads the retained copy (none).
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${d.endpoint('down')}evpkg/-/evpkg-1.0.0.tgz`, { headers: auth() });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
    await settle(3);
    const sdk = h.sdk();
    await sdk.send(new UpdatePackageVersionsStatusCommand({ ...base, repository: 'up', versions: ['2.0.0'], targetStatus: 'Unlisted' }));
    await sdk.send(new CopyPackageVersionsCommand({ ...base, sourceRepository: 'up', destinationRepository: 'copy', versions: ['1.0.0'] }));
    await sdk.send(new DeletePackageVersionsCommand({ ...base, repository: 'copy', versions: ['1.0.0'] }));
    await sdk.send(new DisposePackageVersionsCommand({ ...base, repository: 'up', versions: ['2.0.0'] }));
    await settle(7);
    expect(seen()).toEqual([
      'up 1.0.0 Created Published',
      'up 2.0.0 Created Published',
      'down 1.0.0 Created Published',
      'up 2.0.0 Updated Unlisted',
      'copy 1.0.0 Created Published',
      'copy 1.0.0 Deleted Deleted',
      'up 2.0.0 Updated Disposed',
    ]);
    expect(rx.all.every((r) => r.verified)).toBe(true);
  });
});
