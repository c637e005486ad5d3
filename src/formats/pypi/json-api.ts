// The JSON API (`{endpoint}pypi/{project}/json`, `{endpoint}pypi/{project}/{version}/json`) in the
// shape Warehouse serves and pip-audit, poetry and renovate read: info, releases, urls, digests.
import { compareVersions, isPrerelease } from './names.js';
import { filePath, type FileEntry } from './simple.js';

type Info = Record<string, unknown>;

/** Warehouse's pick for `info.version`: not yanked first, then final before pre-release, then highest. */
export function defaultVersion(entries: FileEntry[]): string | null {
  const versions = [...new Set(entries.map((e) => e.version))];
  if (versions.length === 0) return null;
  const yanked = (v: string) => entries.filter((e) => e.version === v).every((e) => e.yanked !== null);
  return versions.sort((a, b) => {
    const ya = yanked(a) ? 1 : 0;
    const yb = yanked(b) ? 1 : 0;
    if (ya !== yb) return ya - yb;
    const pa = isPrerelease(a) ? 1 : 0;
    const pb = isPrerelease(b) ? 1 : 0;
    if (pa !== pb) return pa - pb;
    return compareVersions(b, a);
  })[0];
}

function fileJson(base: string, project: string, e: FileEntry) {
  const uploaded = (e.uploadTime ?? '').replace(/Z$/, '');
  return {
    comment_text: '',
    digests: { blake2b_256: e.blake2b256 || null, md5: e.md5 || null, sha256: e.sha256 },
    downloads: -1,
    filename: e.filename,
    has_sig: false,
    md5_digest: e.md5 || null,
    packagetype: e.packagetype,
    python_version: e.pythonVersion,
    requires_python: e.requiresPython,
    size: e.size,
    upload_time: uploaded.replace(/\.\d+$/, '') || null,
    upload_time_iso_8601: e.uploadTime,
    url: `${base}${filePath(project, e)}`,
    yanked: e.yanked !== null,
    yanked_reason: e.yanked,
    ...(e.coreMetadataSha256 ? { 'core-metadata': { sha256: e.coreMetadataSha256 } } : {}),
  };
}

export function projectInfo(
  base: string,
  project: string,
  version: string,
  versionMetadata: Record<string, unknown>,
  files: FileEntry[],
): Info {
  const m = (versionMetadata.pypi ?? {}) as Record<string, unknown>;
  const yanked = files.length > 0 && files.every((f) => f.yanked !== null);
  const str = (k: string) => (typeof m[k] === 'string' ? (m[k] as string) : null);
  return {
    author: str('author') ?? '',
    author_email: str('author_email') ?? '',
    bugtrack_url: null,
    classifiers: m.classifiers ?? [],
    description: str('description') ?? '',
    description_content_type: str('description_content_type'),
    docs_url: null,
    download_url: str('download_url') ?? '',
    downloads: { last_day: -1, last_month: -1, last_week: -1 },
    dynamic: m.dynamic ?? [],
    home_page: str('home_page') ?? '',
    keywords: str('keywords') ?? '',
    license: str('license') ?? '',
    license_expression: str('license_expression'),
    license_files: m.license_files ?? [],
    maintainer: str('maintainer') ?? '',
    maintainer_email: str('maintainer_email') ?? '',
    name: str('name') ?? project,
    package_url: `${base}pypi/${project}/`,
    platform: str('platform'),
    project_url: `${base}pypi/${project}/`,
    project_urls: m.project_urls ?? {},
    provides_extra: m.provides_extra ?? [],
    release_url: `${base}pypi/${project}/${version}/`,
    requires_dist: (m.requires_dist as string[] | undefined)?.length ? m.requires_dist : null,
    requires_python: str('requires_python') ?? '',
    summary: str('summary') ?? '',
    version,
    yanked,
    yanked_reason: yanked ? files[0].yanked : null,
  };
}

export function projectDocument(
  base: string,
  project: string,
  version: string,
  versionMetadata: Record<string, unknown>,
  entries: FileEntry[],
  serial: number,
  withReleases: boolean,
): string {
  const files = entries.filter((e) => e.version === version);
  const doc: Record<string, unknown> = {
    info: projectInfo(base, project, version, versionMetadata, files),
    last_serial: serial,
  };
  if (withReleases) {
    const releases: Record<string, unknown[]> = {};
    for (const v of [...new Set(entries.map((e) => e.version))].sort(compareVersions)) releases[v] = [];
    for (const e of entries) releases[e.version].push(fileJson(base, project, e));
    doc.releases = releases;
  }
  doc.urls = files.map((e) => fileJson(base, project, e));
  doc.vulnerabilities = [];
  return JSON.stringify(doc);
}
