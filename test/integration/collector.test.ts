// The blob collector: content no asset refers to any more is removed after the grace period;
// content still referenced elsewhere, or leased within the grace period, never is; several
// collectors at once (SKIP LOCKED) remove each blob once; the server runs it on its interval.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDomainCommand,
  CreateRepositoryCommand,
  DeletePackageCommand,
  DeletePackageVersionsCommand,
  DisposePackageVersionsCommand,
  GetPackageVersionAssetCommand,
  PublishPackageVersionCommand,
  type CodeartifactClient,
} from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { blobObjects, blobRows, collect, sha256 } from '../support/versions.js';

const ns = { format: 'generic' as const, namespace: 'gc' };

function publisher(sdk: () => CodeartifactClient, domain: string, repository: string) {
  return (pkg: string, version: string, body: string) => {
    const bytes = Buffer.from(body);
    return sdk().send(
      new PublishPackageVersionCommand({
        domain,
        repository,
        ...ns,
        package: pkg,
        packageVersion: version,
        assetName: 'a.bin',
        assetContent: bytes,
        assetSHA256: sha256(bytes),
      }),
    );
  };
}

describe('blob collector', () => {
  let h: TestHoard;
  let sdk: CodeartifactClient;
  const publish = publisher(() => sdk, 'gc', 'rr');
  const pkg = (name: string) => ({ domain: 'gc', repository: 'rr', ...ns, package: name });

  beforeAll(async () => {
    h = await startHoard({ HOARD_BLOB_GC_INTERVAL_MS: '0' });
    sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'gc' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'gc', repository: 'rr' }));
    await sdk.send(new CreateDomainCommand({ domain: 'other' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'other', repository: 'rr' }));
  });
  afterAll(async () => h?.stop());

  it('collects disposed and deleted content after the grace period, and only then', async () => {
    await publish('p', '1.0.0', 'disposed content');
    await publish('p', '2.0.0', 'deleted content');
    await publish('p', '3.0.0', 'kept content');
    const start = await blobObjects(h, 'gc');
    await sdk.send(new DisposePackageVersionsCommand({ ...pkg('p'), versions: ['1.0.0'] }));
    await sdk.send(new DeletePackageVersionsCommand({ ...pkg('p'), versions: ['2.0.0'] }));
    // Within the grace period nothing goes.
    expect(await collect(h, 3_600_000)).toEqual({ blobs: 0, bytes: 0 });
    expect(await blobObjects(h, 'gc')).toEqual(start);
    const r = await collect(h, 0);
    expect(r.blobs).toBe(2);
    const after = await blobObjects(h, 'gc');
    expect(after).toEqual(start.filter((s) => s !== sha256('disposed content') && s !== sha256('deleted content')));
    const got = await sdk.send(new GetPackageVersionAssetCommand({ ...pkg('p'), packageVersion: '3.0.0', asset: 'a.bin' }));
    expect(Buffer.from(await got.asset!.transformToByteArray()).toString()).toBe('kept content');
  });

  it('keeps content another version (or another repository) still refers to', async () => {
    await publish('s1', '1.0.0', 'shared');
    await publish('s2', '1.0.0', 'shared');
    await sdk.send(new DeletePackageCommand(pkg('s1')));
    await collect(h, 0);
    expect(await blobObjects(h, 'gc')).toContain(sha256('shared'));
    await sdk.send(new DeletePackageCommand(pkg('s2')));
    await collect(h, 0);
    expect(await blobObjects(h, 'gc')).not.toContain(sha256('shared'));
  });

  it('keeps the same content in another domain (blobs are per domain)', async () => {
    const other = publisher(() => sdk, 'other', 'rr');
    await publish('x', '1.0.0', 'in both domains');
    await other('x', '1.0.0', 'in both domains');
    await sdk.send(new DeletePackageCommand(pkg('x')));
    await collect(h, 0);
    expect(await blobObjects(h, 'gc')).not.toContain(sha256('in both domains'));
    expect(await blobObjects(h, 'other')).toContain(sha256('in both domains'));
  });

  it('never collects a blob leased within the grace period, even before an asset refers to it', async () => {
    const svc = h.server.services;
    const d = (await svc.domains.findDomain(h.accountId, 'gc'))!;
    // A publish between its upload and its transaction: the content is stored, no asset yet.
    const digests = await svc.packages.storeBlob(d.id, Buffer.from('about to be referenced'));
    expect(await collect(h, 60_000)).toEqual({ blobs: 0, bytes: 0 });
    expect(await blobObjects(h, 'gc')).toContain(digests.sha256);
    // Once the lease is older than the grace period (here: 0), an unreferenced blob goes.
    await collect(h, 0);
    expect(await blobObjects(h, 'gc')).not.toContain(digests.sha256);
  });

  it('removes each blob once when several collectors run at once', async () => {
    for (let i = 0; i < 12; i++) await publish('many', `${i}.0.0`, `content ${i}`);
    await sdk.send(new DeletePackageCommand(pkg('many')));
    const rowsBefore = await blobRows(h, 'gc');
    const results = await Promise.all([collect(h, 0), collect(h, 0), collect(h, 0)]);
    expect(results.reduce((n, r) => n + r.blobs, 0)).toBe(12);
    expect(await blobRows(h, 'gc')).toBe(rowsBefore - 12);
    for (let i = 0; i < 12; i++) expect(await blobObjects(h, 'gc')).not.toContain(sha256(`content ${i}`));
  });
});

describe('blob collector on the server interval', () => {
  let h: TestHoard;
  beforeAll(async () => {
    // A grace of 0 would let the collector take a blob between its upload and the commit that
    // references it (no server should run so); one second is enough for that and short for the test.
    h = await startHoard({ HOARD_BLOB_GC_INTERVAL_MS: '100', HOARD_BLOB_GC_GRACE_MS: '1000' });
  });
  afterAll(async () => h?.stop());

  it('collects in the background from HOARD_BLOB_GC_INTERVAL_MS and HOARD_BLOB_GC_GRACE_MS', async () => {
    const sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'bg' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'bg', repository: 'rr' }));
    await publisher(() => sdk, 'bg', 'rr')('p', '1.0.0', 'background');
    expect(await blobObjects(h, 'bg')).toEqual([sha256('background')]);
    await sdk.send(new DeletePackageCommand({ domain: 'bg', repository: 'rr', ...ns, package: 'p' }));
    for (let i = 0; i < 100 && (await blobObjects(h, 'bg')).length; i++) await sleep(100);
    expect(await blobObjects(h, 'bg')).toEqual([]);
  });
});
