// Keyset pagination through the SDK: 2,500 versions come back exactly once across pages in both
// orders, and a page at the end costs what a page at the start does (no OFFSET). Also packages
// and assets pages, and tokens that do not belong to the request.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDomainCommand,
  CreateRepositoryCommand,
  ListPackagesCommand,
  ListPackageVersionAssetsCommand,
  ListPackageVersionsCommand,
  PublishPackageVersionCommand,
  paginateListPackageVersions,
  type CodeartifactClient,
  type ListPackageVersionsCommandInput,
} from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { bulkVersions, failure, sha256 } from '../support/versions.js';

const COUNT = 2500;
const PAGE = 100;

describe('keyset pagination', () => {
  let h: TestHoard;
  let sdk: CodeartifactClient;
  const coords = { domain: 'pg', repository: 'many', format: 'generic' as const, namespace: 'bulk', package: 'big' };

  beforeAll(async () => {
    h = await startHoard();
    sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'pg' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'pg', repository: 'many' }));
    await bulkVersions(h, 'pg', 'many', { namespace: 'bulk', name: 'big' }, COUNT);
  });
  afterAll(async () => h?.stop());

  /** Pages through with the SDK, returning versions in order and the token of every page. */
  async function all(extra: Partial<ListPackageVersionsCommandInput>) {
    const seen: string[] = [];
    const tokens: (string | undefined)[] = [undefined];
    for await (const page of paginateListPackageVersions({ client: sdk, pageSize: PAGE }, { ...coords, ...extra })) {
      seen.push(...page.versions!.map((v) => v.version!));
      if (page.nextToken) tokens.push(page.nextToken);
    }
    return { seen, tokens };
  }

  /** Median milliseconds of one page request, over several runs. */
  async function pageCost(token: string | undefined, extra: Partial<ListPackageVersionsCommandInput>, runs = 15) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await sdk.send(new ListPackageVersionsCommand({ ...coords, ...extra, maxResults: PAGE, nextToken: token }));
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(runs / 2)];
  }

  it.each([
    ['by version (default)', {} as Partial<ListPackageVersionsCommandInput>],
    ['by published time', { sortBy: 'PUBLISHED_TIME' } as Partial<ListPackageVersionsCommandInput>],
  ])('returns %s each of 2,500 versions exactly once, every page at the same cost', async (label, extra) => {
    const { seen, tokens } = await all(extra);
    expect(seen.length).toBe(COUNT);
    expect(new Set(seen).size).toBe(COUNT);
    expect(tokens.length).toBe(COUNT / PAGE);
    const expected = Array.from({ length: COUNT }, (_, i) => `v${String(i + 1).padStart(6, '0')}`);
    expect(seen).toEqual(extra.sortBy ? [...expected].reverse() : expected);

    await pageCost(undefined, extra, 3); // warm up
    const first = await pageCost(undefined, extra);
    const last = await pageCost(tokens[tokens.length - 1], extra);
    console.log(`pagination ${label}: first page ${first.toFixed(1)} ms, page ${tokens.length} of ${tokens.length} ${last.toFixed(1)} ms (median of 15, ${PAGE} versions each)`);
    expect(last).toBeLessThan(first * 2.5 + 5);
  });

  it('filters by status across pages and keeps the filter in force', async () => {
    const r = await sdk.send(new ListPackageVersionsCommand({ ...coords, status: 'Archived' }));
    expect(r.versions).toEqual([]);
    expect(r.nextToken).toBeUndefined();
  });

  it('refuses tokens that are not from this kind of request', async () => {
    const byName = await sdk.send(new ListPackageVersionsCommand({ ...coords, maxResults: 5 }));
    const e = await failure(sdk.send(new ListPackageVersionsCommand({ ...coords, sortBy: 'PUBLISHED_TIME', nextToken: byName.nextToken })));
    expect(e).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(await failure(sdk.send(new ListPackageVersionsCommand({ ...coords, nextToken: 'garbage!!' })))).toMatchObject({
      name: 'ValidationException',
    });
    expect(await failure(sdk.send(new ListPackageVersionsCommand({ ...coords, maxResults: 0 })))).toMatchObject({ name: 'ValidationException' });
    expect(await failure(sdk.send(new ListPackageVersionsCommand({ ...coords, maxResults: 1001 })))).toMatchObject({ name: 'ValidationException' });
  });

  it('pages packages and assets', async () => {
    for (const name of ['p-a', 'p-b', 'p-c', 'p-d', 'p-e']) {
      const bytes = Buffer.from(name);
      await sdk.send(
        new PublishPackageVersionCommand({
          ...coords,
          package: name,
          packageVersion: '1.0.0',
          assetName: 'x',
          assetContent: bytes,
          assetSHA256: sha256(bytes),
        }),
      );
    }
    const names: string[] = [];
    let token: string | undefined;
    do {
      const r = await sdk.send(new ListPackagesCommand({ domain: 'pg', repository: 'many', maxResults: 2, nextToken: token }));
      names.push(...r.packages!.map((p) => p.package!));
      token = r.nextToken;
    } while (token);
    expect(names).toEqual(['big', 'p-a', 'p-b', 'p-c', 'p-d', 'p-e']);

    for (const a of ['a1', 'a2', 'a3', 'a4', 'a5']) {
      const bytes = Buffer.from(a);
      await sdk.send(
        new PublishPackageVersionCommand({
          ...coords,
          package: 'assets',
          packageVersion: '1.0.0',
          assetName: a,
          assetContent: bytes,
          assetSHA256: sha256(bytes),
          unfinished: a !== 'a5',
        }),
      );
    }
    const assets: string[] = [];
    token = undefined;
    do {
      const r = await sdk.send(new ListPackageVersionAssetsCommand({ ...coords, package: 'assets', packageVersion: '1.0.0', maxResults: 2, nextToken: token }));
      assets.push(...r.assets!.map((a) => a.name!));
      token = r.nextToken;
    } while (token);
    expect(assets).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
  });
});
