// The real aws CLI against Hoard, `aws codeartifact login` and `hoard login` for every tool,
// checked by reading what they wrote.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHoard, cliEnv, tempHome, type TestHoard } from '../support/hoard.js';

const run = promisify(execFile);
const hasAws = await run('aws', ['--version']).then(
  () => true,
  () => false,
);

describe('command-line clients', () => {
  let h: TestHoard;
  let awsPypirc: string | undefined;
  beforeAll(async () => {
    h = await startHoard();
  });
  afterAll(async () => h?.stop());

  const aws = async (home: string, args: string[]) => {
    const r = await run('aws', ['codeartifact', ...args, '--endpoint-url', h.url, '--output', 'json'], { env: cliEnv(h, home) });
    return r.stdout.trim() ? JSON.parse(r.stdout) : {};
  };
  const hoard = async (home: string, args: string[]) =>
    (await run('node', ['dist/main.js', ...args], { env: cliEnv(h, home) })).stdout;

  it.skipIf(!hasAws)('aws codeartifact manages domains and repositories', async () => {
    const home = tempHome();
    expect((await aws(home, ['create-domain', '--domain', 'cli'])).domain.name).toBe('cli');
    expect((await aws(home, ['create-repository', '--domain', 'cli', '--repository', 'up'])).repository.name).toBe('up');
    const r = await aws(home, ['create-repository', '--domain', 'cli', '--repository', 'app', '--upstreams', 'repositoryName=up']);
    expect(r.repository.upstreams).toEqual([{ repositoryName: 'up' }]);
    const list = await aws(home, ['list-repositories-in-domain', '--domain', 'cli']);
    expect(list.repositories.map((x: { name: string }) => x.name)).toEqual(['app', 'up']);
    const ep = await aws(home, ['get-repository-endpoint', '--domain', 'cli', '--repository', 'app', '--format', 'pypi']);
    expect(ep.repositoryEndpoint).toBe(`${h.url}/pypi/d/cli-${h.accountId}/app/`);
    const tok = await aws(home, ['get-authorization-token', '--domain', 'cli', '--duration-seconds', '900']);
    expect(tok.authorizationToken).toMatch(/^eyJ/);
    // aws CLI v1 prints the wire value: epoch seconds.
    expect(Math.abs(tok.expiration * 1000 - Date.now() - 900_000)).toBeLessThan(60_000);
    await expect(aws(home, ['describe-domain', '--domain', 'nope'])).rejects.toThrow(/ResourceNotFoundException/);
  });

  it.skipIf(!hasAws)('aws codeartifact login writes npm, pip and twine configuration', async () => {
    const home = tempHome();
    const login = (tool: string, extra: string[] = []) =>
      run('aws', ['codeartifact', 'login', '--tool', tool, '--domain', 'cli', '--repository', 'app', '--endpoint-url', h.url, ...extra], {
        env: cliEnv(h, home),
      });
    const npmOut = await login('npm');
    expect(npmOut.stdout).toContain(`Successfully configured npm to use AWS CodeArtifact repository ${h.url}/npm/d/cli-${h.accountId}/app/`);
    const npmrc = readFileSync(path.join(home, '.npmrc'), 'utf8');
    const hostPath = `//127.0.0.1:${h.port}/npm/d/cli-${h.accountId}/app/`;
    expect(npmrc).toContain(`registry=${h.url}/npm/d/cli-${h.accountId}/app/`);
    const token = new RegExp(`^${hostPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:_authToken=(\\S+)$`, 'm').exec(npmrc)?.[1];
    expect(token).toBeTruthy();
    // The token works on the data plane for this domain.
    const claims = await h.server.services.dataPlaneAuth.authenticate(`Bearer ${token}`, 'cli', h.accountId);
    expect(claims.principal.arn).toBe(`arn:aws:iam::${h.accountId}:root`);

    await login('pip');
    const pipConf = readFileSync(path.join(home, '.config', 'pip', 'pip.conf'), 'utf8');
    expect(pipConf).toMatch(new RegExp(`index-url = http://aws:[A-Za-z0-9._-]+@127\\.0\\.0\\.1:${h.port}/pypi/d/cli-${h.accountId}/app/simple/`));

    await login('twine');
    const pypirc = readFileSync(path.join(home, '.pypirc'), 'utf8');
    expect(pypirc).toMatch(
      new RegExp(`^\\[distutils\\]\\nindex-servers = \\n\\tpypi\\n\\tcodeartifact\\n\\n\\[codeartifact\\]\\nrepository = ${`${h.url}/pypi/d/cli-${h.accountId}/app/`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\nusername = aws\\npassword = eyJ\\S+\\n\\n$`),
    );
    awsPypirc = pypirc.replace(/password = \S+/, 'password = TOKEN');
  });

  it('hoard login writes what aws codeartifact login writes, and Maven and Gradle settings', async () => {
    if (!hasAws) await hoardSetup(h);
    const home = tempHome();
    const ep = (f: string) => `${h.url}/${f}/d/cli-${h.accountId}/app/`;
    const out = await hoard(home, ['login', '--tool', 'npm', '--domain', 'cli', '--repository', 'app']);
    expect(out).toContain(`Successfully configured npm to use Hoard repository ${ep('npm')}`);
    const npmrc = readFileSync(path.join(home, '.npmrc'), 'utf8');
    expect(npmrc).toContain(`registry=${ep('npm')}`);
    expect(npmrc).toMatch(new RegExp(`//127\\.0\\.0\\.1:${h.port}/npm/d/cli-${h.accountId}/app/:_authToken=eyJ`));

    await hoard(home, ['login', '--tool', 'npm', '--domain', 'cli', '--repository', 'app', '--namespace', 'acme']);
    expect(readFileSync(path.join(home, '.npmrc'), 'utf8')).toContain(`@acme:registry=${ep('npm')}`);

    await hoard(home, ['login', '--tool', 'pip', '--domain', 'cli', '--repository', 'app']);
    expect(readFileSync(path.join(home, '.config', 'pip', 'pip.conf'), 'utf8')).toMatch(
      new RegExp(`index-url = http://aws:eyJ[^@]+@127\\.0\\.0\\.1:${h.port}/pypi/d/cli-${h.accountId}/app/simple/`),
    );

    await hoard(home, ['login', '--tool', 'twine', '--domain', 'cli', '--repository', 'app']);
    const pypirc = readFileSync(path.join(home, '.pypirc'), 'utf8');
    // Byte for byte what the aws CLI wrote in the test above (token aside).
    if (awsPypirc) expect(pypirc.replace(/password = \S+/, 'password = TOKEN')).toBe(awsPypirc);
    expect(pypirc).toMatch(/\[codeartifact\]\nrepository = \S+\nusername = aws\npassword = eyJ\S+\n\n$/);
    expect(statSync(path.join(home, '.pypirc')).mode & 0o777).toBe(0o600);
    // A second login merges into the existing file instead of duplicating the section.
    writeFileSync(path.join(home, '.pypirc'), `${pypirc}\n\n[pypi]\nusername: someone\n`);
    await hoard(home, ['login', '--tool', 'twine', '--domain', 'cli', '--repository', 'app']);
    const merged = readFileSync(path.join(home, '.pypirc'), 'utf8');
    expect(merged.match(/\[codeartifact\]/g)).toHaveLength(1);
    expect(merged).toContain('[pypi]');

    await hoard(home, ['login', '--tool', 'maven', '--domain', 'cli', '--repository', 'app']);
    const settings = readFileSync(path.join(home, '.m2', 'settings.xml'), 'utf8');
    expect(settings).toMatch(/<server>\s*<id>cli-app<\/id>\s*<username>aws<\/username>\s*<password>eyJ/);
    expect(settings).toContain(`<url>${ep('maven')}</url>`);
    await hoard(home, ['login', '--tool', 'maven', '--domain', 'cli', '--repository', 'app']);
    expect(readFileSync(path.join(home, '.m2', 'settings.xml'), 'utf8').match(/<id>cli-app<\/id>/g)).toHaveLength(3); // server, profile and its repository: not duplicated

    const gradleOut = await hoard(home, ['login', '--tool', 'gradle', '--domain', 'cli', '--repository', 'app']);
    expect(gradleOut).toContain(`url = uri("${ep('maven')}")`);
    const props = readFileSync(path.join(home, '.gradle', 'gradle.properties'), 'utf8');
    expect(props).toMatch(/^cliappUsername=aws$/m);
    expect(props).toMatch(/^cliappPassword=eyJ\S+$/m);
  });

  it('hoard login reports a missing repository and missing credentials clearly', async () => {
    const home = tempHome();
    await expect(hoard(home, ['login', '--tool', 'npm', '--domain', 'cli', '--repository', 'nope'])).rejects.toThrow(
      /ResourceNotFoundException: Repository nope not found/,
    );
    const env = cliEnv(h, home);
    delete env.AWS_ACCESS_KEY_ID;
    await expect(run('node', ['dist/main.js', 'login', '--tool', 'npm', '--domain', 'cli', '--repository', 'app'], { env })).rejects.toThrow(
      /No credentials/,
    );
    expect(existsSync(path.join(home, '.npmrc'))).toBe(false);
  });
});

/** Without the aws CLI, create what the login test needs through the SDK. */
async function hoardSetup(h: TestHoard) {
  const { CreateDomainCommand, CreateRepositoryCommand } = await import('@aws-sdk/client-codeartifact');
  await h.sdk().send(new CreateDomainCommand({ domain: 'cli' }));
  await h.sdk().send(new CreateRepositoryCommand({ domain: 'cli', repository: 'app' }));
}
