// Every package and package-version operation through @aws-sdk/client-codeartifact, once per
// format: a version published through each format's own wire protocol (npm PUT, twine upload,
// Maven PUTs, generic PublishPackageVersion), then listed, described, downloaded, unlisted,
// copied, disposed, deleted; the format adapters' documents follow every change at once.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyPackageVersionsCommand,
  CreateDomainCommand,
  CreateRepositoryCommand,
  DeletePackageCommand,
  DeletePackageVersionsCommand,
  DescribePackageCommand,
  DescribePackageVersionCommand,
  DisposePackageVersionsCommand,
  GetAuthorizationTokenCommand,
  GetPackageVersionAssetCommand,
  GetPackageVersionReadmeCommand,
  ListPackagesCommand,
  ListPackageVersionAssetsCommand,
  ListPackageVersionDependenciesCommand,
  ListPackageVersionsCommand,
  PublishPackageVersionCommand,
  PutPackageOriginConfigurationCommand,
  UpdatePackageVersionsStatusCommand,
  type CodeartifactClient,
} from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { makeWheel, uploadForm } from '../support/pypi-fixtures.js';
import { makeTgz, publishBody } from './npm-support.js';

const hex = (algo: string, b: Buffer | string) => createHash(algo).update(b).digest('hex');

interface Format {
  format: 'npm' | 'pypi' | 'maven' | 'generic';
  namespace?: string;
  package: string;
  /** publishes one version through the format's own protocol; returns its one (main) asset */
  publish(version: string): Promise<{ asset: string; bytes: Buffer }>;
  /** what the format's client sees: the versions its index lists */
  listed(): Promise<string[]>;
}

describe('every operation, for every format', () => {
  let h: TestHoard;
  let sdk: CodeartifactClient;
  let token: string;
  const ep = (format: string, repo = 'src') => `${h.url}/${format}/d/fmt-${h.accountId}/${repo}/`;
  const bearer = () => ({ authorization: `Bearer ${token}` });

  const formats: Format[] = [
    {
      format: 'npm',
      namespace: 'team',
      package: 'widget',
      async publish(version) {
        const pj = { name: '@team/widget', version, description: 'npm widget', dependencies: { left: '^1.0.0' } };
        const tgz = await makeTgz(pj, { 'README.md': '# widget\n' });
        const body = { ...publishBody(pj, tgz), readme: '# widget\n' };
        const r = await fetch(`${ep('npm')}@team%2fwidget`, { method: 'PUT', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expect(r.status, await r.clone().text()).toBeLessThan(300);
        return { asset: 'package.tgz', bytes: tgz };
      },
      async listed() {
        const r = await fetch(`${ep('npm')}@team%2fwidget`, { headers: bearer() });
        return r.status === 200 ? Object.keys(((await r.json()) as { versions: object }).versions) : [];
      },
    },
    {
      format: 'pypi',
      package: 'py-widget',
      async publish(version) {
        const w = makeWheel({ name: 'py-widget', version, summary: 'pypi widget', requiresDist: ['left>=1.0'], description: '# py-widget\n' });
        const filename = `py_widget-${version}-py3-none-any.whl`;
        const r = await fetch(ep('pypi'), {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(`aws:${token}`).toString('base64')}` },
          body: uploadForm({ filename, bytes: w.bytes }, { name: 'py-widget', version }),
        });
        expect(r.status, await r.clone().text()).toBe(200);
        return { asset: filename, bytes: w.bytes };
      },
      async listed() {
        const r = await fetch(`${ep('pypi')}simple/py-widget/`, { headers: { ...bearer(), accept: 'application/vnd.pypi.simple.v1+json' } });
        if (r.status !== 200) return [];
        const files = ((await r.json()) as { files: { filename: string; yanked?: unknown }[] }).files;
        return files.filter((f) => !f.yanked).map((f) => f.filename.split('-')[1]);
      },
    },
    {
      format: 'maven',
      namespace: 'com.team',
      package: 'widget',
      async publish(version) {
        const base = `${ep('maven')}com/team/widget/`;
        const jar = Buffer.from(`PK fake jar ${version}`);
        const pom = `<project><modelVersion>4.0.0</modelVersion><groupId>com.team</groupId><artifactId>widget</artifactId><version>${version}</version><description>maven widget</description><dependencies><dependency><groupId>org.x</groupId><artifactId>left</artifactId><version>1.0</version></dependency></dependencies></project>`;
        const versions = this.published.concat(version);
        const md = `<metadata><groupId>com.team</groupId><artifactId>widget</artifactId><versioning><release>${version}</release><versions>${versions.map((v) => `<version>${v}</version>`).join('')}</versions></versioning></metadata>`;
        for (const [p, b] of [
          [`${version}/widget-${version}.jar`, jar],
          [`${version}/widget-${version}.pom`, pom],
          ['maven-metadata.xml', md],
        ] as const) {
          const r = await fetch(base + p, { method: 'PUT', headers: { authorization: `Basic ${Buffer.from(`aws:${token}`).toString('base64')}` }, body: b });
          expect(r.status, p).toBe(201);
        }
        this.published.push(version);
        return { asset: `widget-${version}.jar`, bytes: jar };
      },
      published: [] as string[],
      async listed() {
        const r = await fetch(`${ep('maven')}com/team/widget/maven-metadata.xml`, { headers: bearer() });
        if (r.status !== 200) return [];
        return [...(await r.text()).matchAll(/<version>([^<]+)<\/version>/g)].map((m) => m[1]);
      },
    } as Format & { published: string[] },
    {
      format: 'generic',
      namespace: 'team',
      package: 'widget',
      async publish(version) {
        const bytes = Buffer.from(`generic widget ${version}`);
        await sdk.send(
          new PublishPackageVersionCommand({
            domain: 'fmt',
            repository: 'src',
            format: 'generic',
            namespace: 'team',
            package: 'widget',
            packageVersion: version,
            assetName: 'widget.bin',
            assetContent: bytes,
            assetSHA256: hex('sha256', bytes),
          }),
        );
        return { asset: 'widget.bin', bytes };
      },
      async listed() {
        const r = await sdk.send(new ListPackageVersionsCommand({ domain: 'fmt', repository: 'src', format: 'generic', namespace: 'team', package: 'widget', status: 'Published' }));
        return r.versions!.map((v) => v.version!);
      },
    },
  ];

  beforeAll(async () => {
    h = await startHoard();
    sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'fmt' }));
    for (const repository of ['src', 'dst']) await sdk.send(new CreateRepositoryCommand({ domain: 'fmt', repository }));
    token = (await sdk.send(new GetAuthorizationTokenCommand({ domain: 'fmt' }))).authorizationToken!;
  });
  afterAll(async () => h?.stop());

  describe.each(formats.map((f) => [f.format, f] as const))('%s', (_name, f) => {
    const c = (repository = 'src') => ({ domain: 'fmt', repository, format: f.format, namespace: f.namespace, package: f.package });
    let first: { asset: string; bytes: Buffer };

    it('publishes through its protocol; lists, describes, downloads, reads readme and dependencies', async () => {
      first = await f.publish('1.0.0');
      await f.publish('1.1.0');
      const pkgs = await sdk.send(new ListPackagesCommand({ domain: 'fmt', repository: 'src', format: f.format }));
      expect(pkgs.packages?.map((p) => p.package)).toEqual([f.package]);
      expect((await sdk.send(new DescribePackageCommand(c()))).package).toMatchObject({ format: f.format, name: f.package });
      const versions = await sdk.send(new ListPackageVersionsCommand(c()));
      expect(versions.versions?.map((v) => `${v.version}:${v.status}`)).toEqual(['1.0.0:Published', '1.1.0:Published']);
      expect(versions.defaultDisplayVersion).toBe('1.1.0');
      const d = await sdk.send(new DescribePackageVersionCommand({ ...c(), packageVersion: '1.0.0' }));
      expect(d.packageVersion).toMatchObject({ format: f.format, packageName: f.package, version: '1.0.0', status: 'Published' });
      if (f.format !== 'generic') expect(d.packageVersion?.summary).toBe(`${f.format} widget`);
      const assets = await sdk.send(new ListPackageVersionAssetsCommand({ ...c(), packageVersion: '1.0.0' }));
      const a = assets.assets!.find((x) => x.name === first.asset)!;
      expect(a.hashes).toEqual({
        MD5: hex('md5', first.bytes),
        'SHA-1': hex('sha1', first.bytes),
        'SHA-256': hex('sha256', first.bytes),
        'SHA-512': hex('sha512', first.bytes),
      });
      const got = await sdk.send(new GetPackageVersionAssetCommand({ ...c(), packageVersion: '1.0.0', asset: first.asset }));
      expect(Buffer.from(await got.asset!.transformToByteArray()).equals(first.bytes)).toBe(true);
      expect(got.packageVersionRevision).toBe(assets.versionRevision);
      const readme = await sdk.send(new GetPackageVersionReadmeCommand({ ...c(), packageVersion: '1.0.0' }));
      if (f.format === 'npm' || f.format === 'pypi') expect(readme.readme).toContain('widget');
      const deps = await sdk.send(new ListPackageVersionDependenciesCommand({ ...c(), packageVersion: '1.0.0' }));
      if (f.format === 'generic') expect(deps.dependencies).toEqual([]);
      else expect(deps.dependencies?.map((x) => x.package)).toContain('left');
    });

    it('unlists, archives and restores; the client index follows at once', async () => {
      expect((await f.listed()).sort()).toEqual(['1.0.0', '1.1.0']);
      const set = (targetStatus: 'Unlisted' | 'Archived' | 'Published') =>
        sdk.send(new UpdatePackageVersionsStatusCommand({ ...c(), versions: ['1.1.0'], targetStatus }));
      expect((await set('Unlisted')).successfulVersions?.['1.1.0'].status).toBe('Unlisted');
      expect(await f.listed()).toEqual(['1.0.0']);
      await set('Archived');
      expect(await f.listed()).toEqual(['1.0.0']);
      await set('Published');
      expect((await f.listed()).sort()).toEqual(['1.0.0', '1.1.0']);
    });

    it('copies to another repository, whose client index lists it', async () => {
      const r = await sdk.send(
        new CopyPackageVersionsCommand({ domain: 'fmt', sourceRepository: 'src', destinationRepository: 'dst', format: f.format, namespace: f.namespace, package: f.package, versions: ['1.0.0'] }),
      );
      expect(r.successfulVersions?.['1.0.0']).toMatchObject({ status: 'Published' });
      const got = await sdk.send(new GetPackageVersionAssetCommand({ ...c('dst'), packageVersion: '1.0.0', asset: first.asset }));
      expect(Buffer.from(await got.asset!.transformToByteArray()).equals(first.bytes)).toBe(true);
    });

    it('disposes, deletes, sets origin controls and deletes the package', async () => {
      const disp = await sdk.send(new DisposePackageVersionsCommand({ ...c(), versions: ['1.0.0'] }));
      expect(disp.successfulVersions?.['1.0.0'].status).toBe('Disposed');
      expect(await f.listed()).toEqual(['1.1.0']);
      const del = await sdk.send(new DeletePackageVersionsCommand({ ...c(), versions: ['1.1.0'] }));
      expect(del.successfulVersions?.['1.1.0'].status).toBe('Deleted');
      expect(await f.listed()).toEqual([]);
      const put = await sdk.send(new PutPackageOriginConfigurationCommand({ ...c(), restrictions: { publish: 'BLOCK', upstream: 'BLOCK' } }));
      expect(put.originConfiguration?.restrictions).toEqual({ publish: 'BLOCK', upstream: 'BLOCK' });
      const gone = await sdk.send(new DeletePackageCommand(c()));
      expect(gone.deletedPackage).toMatchObject({ format: f.format, package: f.package, originConfiguration: { restrictions: { publish: 'BLOCK', upstream: 'BLOCK' } } });
      expect((await sdk.send(new ListPackagesCommand({ domain: 'fmt', repository: 'src', format: f.format }))).packages).toEqual([]);
    });
  });
});
