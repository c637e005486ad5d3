import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDomainCommand, ListDomainsCommand } from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';

describe('smoke', () => {
  let h: TestHoard;
  beforeAll(async () => {
    h = await startHoard();
  });
  afterAll(async () => h?.stop());

  it('serves health and the control plane', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    const sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'smoke' }));
    const r = await sdk.send(new ListDomainsCommand({}));
    expect(r.domains?.map((d) => d.name)).toEqual(['smoke']);
    expect(r.domains?.[0].createdTime).toBeInstanceOf(Date);
  });
});
