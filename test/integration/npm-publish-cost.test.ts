// What one npm publish costs the database, counted (hoard_db_statements_total on /metrics, BEGIN and
// COMMIT included), not timed: the count is deterministic, and it must not grow with the number of
// versions the package already has. Webhooks and audit are off so no background worker runs
// statements meanwhile; the lookup caches (2 s) are warm for the quickest of three publishes in a
// row, which is the one counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { makeTgz, publishBody, removeTemp, setupDomain } from './npm-support.js';

/** Statements of one publish of a new version of an existing package, all included. */
const PUBLISH_STATEMENTS = 10;

describe('npm publish cost', () => {
  let h: TestHoard;
  let reg: string;
  let token: string;

  const statements = async () => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('hoard_db_statements_total '));
    return Number(line!.split(' ')[1]);
  };
  const publish = async (name: string, version: string) => {
    const pj = { name, version, description: 'counted' };
    const r = await fetch(`${reg}${name}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(publishBody(pj, await makeTgz(pj))),
    });
    expect(r.status).toBe(201);
  };
  /** The fewest statements among three publishes in a row (the one with every lookup cached). */
  const cheapest = async (name: string, from: number) => {
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = await statements();
      await publish(name, `1.0.${from + i}`);
      counts.push((await statements()) - before);
    }
    return Math.min(...counts);
  };

  beforeAll(async () => {
    h = await startHoard({ HOARD_WEBHOOKS: 'off', HOARD_AUDIT: 'off' });
    const d = await setupDomain(h, 'cost', [{ name: 'repo' }]);
    reg = d.endpoint('repo');
    token = d.token;
    await publish('counted', '0.0.1');
  });
  afterAll(async () => {
    await h?.stop();
    removeTemp();
  });

  it(`runs ${PUBLISH_STATEMENTS} statements, whether the package has 4 versions or 60`, async () => {
    const few = await cheapest('counted', 0);
    for (let i = 3; i < 60; i++) await publish('counted', `1.0.${i}`);
    const many = await cheapest('counted', 60);
    expect({ few, many }).toEqual({ few: PUBLISH_STATEMENTS, many: PUBLISH_STATEMENTS });
  });
});
