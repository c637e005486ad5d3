// The real aws CLI managing package groups against Hoard: create-package-group, list-package-groups
// (with --prefix), describe-package-group and update-package-group-origin-configuration with the
// CLI's shorthand syntax, and the errors the CLI shows.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHoard, cliEnv, tempHome, type TestHoard } from '../support/hoard.js';

const run = promisify(execFile);
const hasAws = await run('aws', ['--version']).then(
  () => true,
  () => false,
);
if (!hasAws) console.warn('package-groups-cli: the aws CLI is not installed; skipping');

describe.skipIf(!hasAws)('aws codeartifact package groups', () => {
  let h: TestHoard;
  let home: string;
  beforeAll(async () => {
    h = await startHoard();
    home = tempHome();
  });
  afterAll(async () => h?.stop());

  const aws = async (args: string[]) => {
    const r = await run('aws', ['codeartifact', ...args, '--endpoint-url', h.url, '--output', 'json'], { env: cliEnv(h, home) });
    return r.stdout.trim() ? JSON.parse(r.stdout) : {};
  };

  it('creates, lists, describes and configures package groups', async () => {
    await aws(['create-domain', '--domain', 'cli']);
    await aws(['create-repository', '--domain', 'cli', '--repository', 'internal']);
    const created = await aws([
      'create-package-group', '--domain', 'cli', '--package-group', '/npm/acme/*',
      '--description', 'acme scope', '--contact-info', 'platform@example.invalid', '--tags', 'key=team,value=platform',
    ]);
    expect(created.packageGroup).toMatchObject({
      pattern: '/npm/acme/*',
      arn: `arn:aws:codeartifact:us-east-1:${h.accountId}:package-group/cli/npm/acme/%2a`,
      description: 'acme scope',
      contactInfo: 'platform@example.invalid',
      parent: { pattern: '/*' },
    });
    // aws CLI v1 prints the wire value: epoch seconds.
    expect(Math.abs(created.packageGroup.createdTime * 1000 - Date.now())).toBeLessThan(60_000);
    await aws(['create-package-group', '--domain', 'cli', '--package-group', '/pypi//requests$']);

    const all = await aws(['list-package-groups', '--domain', 'cli']);
    expect(all.packageGroups.map((g: { pattern: string }) => g.pattern)).toEqual(['/*', '/npm/acme/*', '/pypi//requests$']);
    const npm = await aws(['list-package-groups', '--domain', 'cli', '--prefix', '/npm']);
    expect(npm.packageGroups.map((g: { pattern: string }) => g.pattern)).toEqual(['/npm/acme/*']);
    // The CLI pages through with --page-size and joins the pages.
    const paged = await aws(['list-package-groups', '--domain', 'cli', '--page-size', '1']);
    expect(paged.packageGroups).toHaveLength(3);

    const updated = await aws([
      'update-package-group-origin-configuration', '--domain', 'cli', '--package-group', '/npm/acme/*',
      '--restrictions', 'EXTERNAL_UPSTREAM=BLOCK,PUBLISH=ALLOW_SPECIFIC_REPOSITORIES',
      '--add-allowed-repositories', 'originRestrictionType=PUBLISH,repositoryName=internal',
    ]);
    expect(updated.allowedRepositoryUpdates).toEqual({ PUBLISH: { ADDED: ['internal'] } });
    const described = await aws(['describe-package-group', '--domain', 'cli', '--package-group', '/npm/acme/*']);
    expect(described.packageGroup.originConfiguration.restrictions).toMatchObject({
      EXTERNAL_UPSTREAM: { mode: 'BLOCK', effectiveMode: 'BLOCK' },
      PUBLISH: { mode: 'ALLOW_SPECIFIC_REPOSITORIES', repositoriesCount: 1 },
      INTERNAL_UPSTREAM: { mode: 'INHERIT', effectiveMode: 'ALLOW', inheritedFrom: { pattern: '/*' } },
    });
    const assoc = await aws(['get-associated-package-group', '--domain', 'cli', '--format', 'npm', '--namespace', 'acme', '--package', 'ui']);
    expect(assoc).toMatchObject({ packageGroup: { pattern: '/npm/acme/*' }, associationType: 'WEAK' });
  });

  it('shows Hoard\'s errors', async () => {
    await expect(aws(['create-package-group', '--domain', 'cli', '--package-group', '/npm/acme/*'])).rejects.toThrow(/ConflictException/);
    await expect(aws(['create-package-group', '--domain', 'cli', '--package-group', '/npm/acme'])).rejects.toThrow(
      /ValidationException.*must end with '\*' \(all values\), '~' \(a prefix\) or '\$' \(an exact package\)/,
    );
    await expect(aws(['delete-package-group', '--domain', 'cli', '--package-group', '/*'])).rejects.toThrow(/root package group \/\* cannot be deleted/);
    await expect(aws(['list-package-groups', '--domain', 'nope'])).rejects.toThrow(/ResourceNotFoundException/);
  });
});
