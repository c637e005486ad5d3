// The outbox: a version change and its CodeArtifact-shaped event commit together or not at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDomainCommand, CreateRepositoryCommand } from '@aws-sdk/client-codeartifact';
import { deliverable } from '../../src/core/events.js';
import { startHoard, type TestHoard } from '../support/hoard.js';

describe('events outbox', () => {
  let h: TestHoard;
  beforeAll(async () => {
    h = await startHoard();
    await h.sdk().send(new CreateDomainCommand({ domain: 'ev' }));
    await h.sdk().send(new CreateRepositoryCommand({ domain: 'ev', repository: 'repo' }));
  });
  afterAll(async () => h?.stop());

  const coords = { format: 'generic', namespace: 'team', name: 'tool' };

  it('records a Package Version State Change event in the same transaction as the version', async () => {
    const svc = h.server.services;
    const d = await svc.domains.domain(h.accountId, 'ev');
    const repo = await svc.domains.repository(d, 'repo');
    await svc.packages.inPackage(repo, coords, 'publish', async (p) => {
      const v = (await p.createVersion({ version: '1.0.0', status: 'Published', metadata: {} }))!;
      await p.event(v, { operationType: 'Created', assetsAdded: 1, statusChanged: true });
    });
    const rows = (await svc.db.query<{ id: number; payload: any }>('SELECT id, payload FROM event ORDER BY id')).rows;
    expect(rows).toHaveLength(1);
    const e = deliverable(rows[0]);
    expect(e).toMatchObject({
      version: '0',
      'detail-type': 'CodeArtifact Package Version State Change',
      source: 'aws.codeartifact',
      account: h.accountId,
      region: 'us-east-1',
      resources: [`arn:aws:codeartifact:us-east-1:${h.accountId}:package/ev/repo/generic/team/tool`],
      detail: {
        domainName: 'ev',
        domainOwner: h.accountId,
        repositoryName: 'repo',
        repositoryAdministrator: h.accountId,
        packageFormat: 'generic',
        packageNamespace: 'team',
        packageName: 'tool',
        packageVersion: '1.0.0',
        packageVersionState: 'Published',
        changes: { assetsAdded: 1, assetsRemoved: 0, assetsUpdated: 0, metadataUpdated: false, statusChanged: true },
        operationType: 'Created',
        sequenceNumber: rows[0].id,
      },
    });
    expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(e.detail.eventDeduplicationId).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(e.detail.packageVersionRevision).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('leaves neither version nor event when the transaction fails', async () => {
    const svc = h.server.services;
    const d = await svc.domains.domain(h.accountId, 'ev');
    const repo = await svc.domains.repository(d, 'repo');
    await expect(
      svc.packages.inPackage(repo, coords, 'publish', async (p) => {
        const v = (await p.createVersion({ version: '2.0.0', status: 'Published', metadata: {} }))!;
        await p.event(v, { operationType: 'Created' });
        throw new Error('fails after writing');
      }),
    ).rejects.toThrow('fails after writing');
    const events = await svc.db.query('SELECT 1 FROM event');
    expect(events.rows).toHaveLength(1);
    const pkg = (await svc.packages.findPackage(repo, coords))!;
    expect(await svc.packages.version(pkg, '2.0.0')).toBeNull();
    expect(pkg).toMatchObject({ origin_publish: 'ALLOW', origin_upstream: 'BLOCK' });
  });
});
