// Hoard signs webhook deliveries with node:crypto (core/webhooks/delivery.ts signatureHeader); this
// holds it to the standardwebhooks library's own signer and verifier, for every secret and body
// shape a delivery can have (several secrets during a rotation, non-ASCII bodies).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { signatureHeader } from '../../src/core/webhooks/delivery.js';

describe('webhook signatures', () => {
  const secrets = [0, 1, 2].map(() => `whsec_${randomBytes(32).toString('base64')}`);
  const bodies = ['{}', JSON.stringify({ detail: { packageName: 'naïve-€', n: 1 } }), JSON.stringify({ big: 'x'.repeat(70_000) })];

  it('equal what the standardwebhooks library signs, and verify with it', () => {
    const at = new Date(Date.now() - 1234);
    for (const body of bodies)
      for (const s of secrets) {
        const id = `evt-${randomBytes(4).toString('hex')}`;
        expect(signatureHeader([s], id, at, body)).toBe(new Webhook(s).sign(id, at, body));
        const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signatureHeader(secrets, id, at, body) };
        expect(() => new Webhook(s).verify(body, headers)).not.toThrow();
      }
  });

  it('give one v1 signature per secret, space-separated, that fail with another secret', () => {
    const at = new Date();
    const h = signatureHeader(secrets.slice(0, 2), 'id1', at, '{}');
    expect(h.split(' ')).toHaveLength(2);
    expect(h.split(' ').every((x) => x.startsWith('v1,'))).toBe(true);
    const headers = { 'webhook-id': 'id1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': h };
    expect(() => new Webhook(secrets[2]).verify('{}', headers)).toThrow(/No matching signature/);
  });
});
