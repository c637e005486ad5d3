// An external connection that needs credentials (another company's registry as the upstream):
// HOARD_EXTERNAL_NPMJS_AUTH is sent upstream as the Authorization header, the client's own token
// never is, a server without it says what to set, and /metrics counts what the upstream answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssociateExternalConnectionCommand } from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { NpmUpstreamFixture } from '../../src/bench/npm-registry-fixture.js';
import { npmVersionsIn, removeTemp, setupDomain } from './npm-support.js';

const UPSTREAM_AUTH = 'Bearer upstream-registry-secret';

describe('npm external connection with credentials', () => {
  let up: NpmUpstreamFixture;
  const seen: (string | undefined)[] = [];
  let withAuth: TestHoard;
  let without: TestHoard;

  const start = async (env: Record<string, string>) => {
    const h = await startHoard({ HOARD_EXTERNAL_NPMJS_URL: up.url, HOARD_UPSTREAM_OFFLINE_S: '0', ...env });
    const d = await setupDomain(h, 'corp', [{ name: 'npm-store' }]);
    await h.sdk().send(new AssociateExternalConnectionCommand({ domain: 'corp', repository: 'npm-store', externalConnection: 'public:npmjs' }));
    const get = (p: string) => fetch(`${d.endpoint('npm-store')}${p}`, { headers: { authorization: `Bearer ${d.token}` } });
    return { h, get };
  };

  beforeAll(async () => {
    up = await new NpmUpstreamFixture().start();
    up.authorization = UPSTREAM_AUTH;
    await up.add('corp-lib', [{ version: '1.0.0' }]);
  });
  afterAll(async () => {
    await withAuth?.stop();
    await without?.stop();
    await up?.stop();
    removeTemp();
  });

  it('sends the configured credentials upstream, never the client\'s token, and installs through them', async () => {
    const a = await start({ HOARD_EXTERNAL_NPMJS_AUTH: UPSTREAM_AUTH });
    withAuth = a.h;
    const doc = await a.get('corp-lib');
    expect(doc.status).toBe(200);
    const tgz = await a.get('corp-lib/-/corp-lib-1.0.0.tgz');
    expect(tgz.status).toBe(200);
    expect((await tgz.arrayBuffer()).byteLength).toBeGreaterThan(0);
    expect(up.count('/corp-lib')).toBe(1);
    expect(up.count('/corp-lib/-/corp-lib-1.0.0.tgz')).toBe(1);
    expect((await npmVersionsIn(withAuth, 'corp', 'npm-store', 'corp-lib')).map((v) => v.version)).toEqual(['1.0.0']);
    // The fixture answers 401 to anything but exactly the configured header, so these 200s mean
    // that header, not the client's token, went upstream.

    const metrics = await (await fetch(`${withAuth.url}/metrics`)).text();
    expect(metrics).toMatch(/hoard_upstream_requests_total\{connection="public:npmjs",outcome="200"\} 2/);
    expect(metrics).toMatch(/hoard_upstream_request_duration_seconds_count\{connection="public:npmjs"\} 2/);
  });

  it('without the credentials, answers 502 naming the setting, not a 404, and counts the 401', async () => {
    const b = await start({});
    without = b.h;
    const res = await b.get('corp-lib');
    expect(res.status).toBe(502);
    expect((await res.json()).error).toMatch(/answered 401 for package corp-lib \(check HOARD_EXTERNAL_\*_AUTH\)/);
    const metrics = await (await fetch(`${without.url}/metrics`)).text();
    expect(metrics).toMatch(/hoard_upstream_requests_total\{connection="public:npmjs",outcome="401"\} 1/);
  });
});
