// Web UI pages for one package: its versions (a page at a time, from the version rows without
// their metadata: a package of thousands of versions costs one index range scan per page), the
// selected version's details, readme, dependencies and assets with download links, the install
// command, and, for viewers allowed to, the status actions (unlist, archive, restore) behind a
// confirmation page.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { notFound, validation, conflict } from '../errors.js';
import { arn, check, checkFormat } from '../core/names.js';
import { defaultDisplayVersion, origin, versionSummaries } from '../core/listing.js';
import { displayName, type Coordinates, type PackageRow } from '../core/packages.js';
import { TARGET_STATUSES, batchRequest, updateVersionsStatus, versionDetails } from '../core/versions.js';
import { findAsset } from '../core/generic.js';
import { asDownload } from '../formats/shared/download.js';
import { sendBlob } from '../formats/shared/blob.js';
import { formatBytes, html, time, type Html } from './html.js';
import { checkedForm, send, viewerOf, type UiContext } from './respond.js';
import { domainPath, openRepository, type OpenRepository } from './resolve.js';
import { isMarkdown, renderReadme } from './readme.js';
import { installCommand } from './snippets.js';
import { markAudit } from '../core/audit.js';
import { mayOnRepository } from './visibility.js';
import { packagePath } from './pages-repos.js';

const VERSIONS_PER_PAGE = 50;
const UPDATE = 'codeartifact:UpdatePackageVersionsStatus';
/** The status actions offered for each current status (CodeArtifact's allowed transitions). */
const ACTIONS: Record<string, { to: string; label: string }[]> = {
  Published: [{ to: 'Unlisted', label: 'Unlist' }, { to: 'Archived', label: 'Archive' }],
  Unlisted: [{ to: 'Published', label: 'Restore' }, { to: 'Archived', label: 'Archive' }],
  Archived: [{ to: 'Published', label: 'Restore' }, { to: 'Unlisted', label: 'Unlist' }],
};

function one(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

function coordinates(ctx: Context): Coordinates {
  const format = checkFormat('format', ctx.params.format);
  const name = check('packageName', 'package', ctx.params.name);
  const ns = one(ctx, 'ns');
  if (ns !== undefined) check('packageName', 'namespace', ns);
  return { format, namespace: ns ?? '', name };
}

/** Opens the repository (action checked on the package's ARN) and the package. */
async function openPackage(ui: UiContext, ctx: Context, action?: string): Promise<{ o: OpenRepository; c: Coordinates; pkg: PackageRow }> {
  const c = coordinates(ctx);
  const o = await openRepository(ui.svc, viewerOf(ctx), ctx.params.seg, ctx.params.repo, action, c);
  const pkg = await ui.svc.packages.findPackage(o.repo, c);
  if (!pkg) throw notFound(`Package ${displayName(c)} (${c.format}) not found in repository ${o.repo.name}.`);
  return { o, c, pkg };
}

const withQuery = (path: string, extra: Record<string, string>) => `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams(extra)}`;
const safeUrl = (u: string | undefined): Html | string => (u && /^https?:\/\//i.test(u) ? html`<a href="${u}" rel="nofollow noopener noreferrer">${u}</a>` : (u ?? ''));

export function packageRoutes(router: Router, ui: UiContext): void {
  const { svc } = ui;
  const base = '/ui/d/:seg/:repo/p/:format/:name';

  router.get(base, async (ctx) => {
    const viewer = viewerOf(ctx);
    const { o, c, pkg } = await openPackage(ui, ctx);
    const next = one(ctx, 'next');
    const page = await versionSummaries(svc.packages, pkg, VERSIONS_PER_PAGE, next);
    const tags = (await svc.packages.dataHooksFor(c.format).distTags?.(pkg)) ?? {};
    const chosen = one(ctx, 'v') ?? (await defaultDisplayVersion(svc.packages, pkg)) ?? page.items[0]?.version;
    const v = chosen === undefined ? null : await svc.packages.version(pkg, chosen);
    if (chosen !== undefined && !v) throw notFound(`Version ${chosen} of ${displayName(c)} not found.`);
    const canUpdate = viewer.csrf !== undefined && (await mayOnRepository(svc, viewer, o.domain, o.repo, UPDATE, pkgArn(ui, o, c)));
    const self = packagePath(o.base, c);
    const tagsOf = (version: string) => Object.entries(tags).filter(([, tv]) => tv === version).map(([t]) => html`<span class="tag">${t}</span>`);
    const total = Object.values(page.counts).reduce((a, b) => a + b, 0);
    const versions = html`<h2 id="versions">Versions <span class="muted">(${total})</span></h2>
      <table><thead><tr><th scope="col">Version</th><th scope="col">Status</th><th scope="col">Origin</th><th scope="col">Published</th>${canUpdate ? html`<th scope="col">Actions</th>` : ''}</tr></thead>
      <tbody>${page.items.map((r) => {
        const org = origin(r);
        const entry = org.domainEntryPoint.externalConnectionName ?? org.domainEntryPoint.repositoryName ?? '';
        return html`<tr><td><a href="${withQuery(self, { v: r.version })}"${r.version === v?.version ? html` aria-current="true"` : ''}>${r.version}</a>${tagsOf(r.version)}</td>
          <td><span class="status status-${r.status}">${r.status}</span></td><td>${org.originType}${entry ? html` <span class="muted">(${entry})</span>` : ''}</td>
          <td>${time(r.published_at)}</td>
          ${canUpdate ? html`<td>${(ACTIONS[r.status] ?? []).map((a) => html`<a href="${withQuery(`${o.base}p/${encodeURIComponent(c.format)}/${encodeURIComponent(c.name)}/status`, { ...(c.namespace ? { ns: c.namespace } : {}), v: r.version, to: a.to })}">${a.label}</a> `)}</td>` : ''}</tr>`;
      })}</tbody></table>
      <nav class="pager" aria-label="Version pages">${next ? html`<a href="${self}">Newest versions</a>` : ''}
        ${page.nextToken ? html`<a href="${withQuery(self, { next: page.nextToken, ...(v ? { v: v.version } : {}) })}" rel="next">Older versions</a>` : ''}</nav>`;
    let details: Html = html``;
    if (v) {
      const d = versionDetails(v.metadata);
      const assets = await svc.packages.assets(v);
      const downloadable = v.status === 'Published' || v.status === 'Unlisted';
      const dl = `${o.base}p/${encodeURIComponent(c.format)}/${encodeURIComponent(c.name)}/download`;
      details = html`<h2 id="version">Version ${v.version}</h2>
        <dl class="facts"><dt>Status</dt><dd><span class="status status-${v.status}">${v.status}</span></dd>
          <dt>Published</dt><dd>${time(v.published_at)}</dd><dt>Revision</dt><dd class="mono">${v.revision}</dd>
          ${d.summary ? html`<dt>Summary</dt><dd>${d.summary}</dd>` : ''}
          ${d.licenses ? html`<dt>License</dt><dd>${d.licenses.map((l) => l.name ?? l.url).join(', ')}</dd>` : ''}
          ${d.homePage ? html`<dt>Home page</dt><dd>${safeUrl(d.homePage)}</dd>` : ''}
          ${d.sourceCodeRepository ? html`<dt>Source</dt><dd>${safeUrl(d.sourceCodeRepository)}</dd>` : ''}</dl>
        <h3>Install</h3><pre data-copy="install command"><code>${installCommand(c.format, displayName(c), c.namespace, c.name, v.version, o.connect)}</code></pre>
        <h3>Assets</h3>
        <table><thead><tr><th scope="col">Name</th><th scope="col">Size</th><th scope="col">SHA-256</th></tr></thead>
        <tbody>${assets.map(
          (a) => html`<tr><td>${downloadable ? html`<a href="${withQuery(dl, { ...(c.namespace ? { ns: c.namespace } : {}), v: v.version, asset: a.name })}" download>${a.name}</a>` : a.name}</td>
            <td>${formatBytes(a.size)} <span class="muted">(${a.size} bytes)</span></td><td class="mono hash">${a.sha256.trim()}</td></tr>`,
        )}</tbody></table>
        ${downloadable ? '' : html`<p class="muted">A version that is ${v.status} cannot be downloaded.</p>`}
        <h3>Dependencies</h3>
        ${d.dependencies.length
          ? html`<table><thead><tr><th scope="col">Package</th><th scope="col">Type</th><th scope="col">Requirement</th></tr></thead>
            <tbody>${d.dependencies.map((x) => html`<tr><td>${x.namespace ? `${x.namespace}/` : ''}${x.package}</td><td>${x.dependencyType ?? ''}</td><td class="mono">${x.versionRequirement ?? ''}</td></tr>`)}</tbody></table>`
          : html`<p class="muted">None.</p>`}
        <h3>Readme</h3>
        ${d.readme ? html`<div class="readme">${renderReadme(d.readme, isMarkdown(c.format, v.metadata), `${v.id}:${v.revision}`)}</div>` : html`<p class="muted">No readme.</p>`}`;
    }
    send(
      ctx,
      200,
      displayName(c),
      html`<p class="muted">${c.format} package in <a href="${o.base}">${o.repo.name}</a>${v ? html` · showing ${v.version}` : ''}</p>
        <div class="cols"><div>${details}</div><div>${versions}</div></div>`,
      [
        { label: 'Domains', href: '/ui/' },
        { label: o.domain.name, href: domainPath(o.domain) },
        { label: o.repo.name, href: o.base },
        { label: displayName(c) },
      ],
    );
  });

  router.get(`${base}/download`, async (ctx) => {
    const { o, c } = await openPackage(ui, ctx);
    const version = check('packageName', 'packageVersion', one(ctx, 'v') ?? '');
    const assetName = one(ctx, 'asset');
    if (!assetName) throw validation('Name the asset to download in the asset parameter.');
    const { asset } = await findAsset(svc.packages, o.repo, c, version, assetName);
    // npm's one asset is called package.tgz (as in CodeArtifact); save it as npm pack names it.
    const file = c.format === 'npm' && asset.name === 'package.tgz' ? `${c.name}-${version}.tgz` : asset.name;
    asDownload(ctx);
    ctx.set('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file)}`);
    ctx.type = 'application/octet-stream';
    await sendBlob(ctx, svc.packages, { domainId: o.repo.domain_id, sha256: asset.sha256.trim(), size: Number(asset.size) });
  });

  router.get(`${base}/status`, async (ctx) => {
    const { o, c, pkg } = await openPackage(ui, ctx, UPDATE);
    const { v, to } = statusInput(ctx);
    const row = await svc.packages.version(pkg, v);
    if (!row) throw notFound(`Version ${v} of ${displayName(c)} not found.`);
    const self = packagePath(o.base, c);
    send(
      ctx,
      200,
      `Change ${displayName(c)} ${v}`,
      html`<form method="post" action="${ctx.path}">
        <p>Change version <strong>${v}</strong> of ${displayName(c)} from <strong>${row.status}</strong> to <strong>${to}</strong>?</p>
        ${to === 'Archived' ? html`<p class="muted">An archived version can no longer be downloaded or installed until it is restored.</p>` : ''}
        ${to === 'Unlisted' ? html`<p class="muted">An unlisted version stays downloadable but leaves the package's listing.</p>` : ''}
        <input type="hidden" name="csrf" value="${viewerOf(ctx).csrf ?? ''}">
        ${c.namespace ? html`<input type="hidden" name="ns" value="${c.namespace}">` : ''}
        <input type="hidden" name="v" value="${v}"><input type="hidden" name="to" value="${to}"><input type="hidden" name="from" value="${row.status}">
        <button type="submit" class="${to === 'Published' ? '' : 'danger'}">Change to ${to}</button> <a href="${withQuery(self, { v })}">Cancel</a>
      </form>`,
      [{ label: 'Domains', href: '/ui/' }, { label: o.repo.name, href: o.base }, { label: displayName(c), href: self }, { label: 'Change status' }],
    );
  });

  router.post(`${base}/status`, async (ctx) => {
    // Audited like the API call it stands for, refusals included (core/audit.ts).
    const audit = markAudit(ctx.state, { action: UPDATE, principal: viewerOf(ctx).principal, detail: 'web UI status change' });
    // Authorized on the package before the form is read, as every route does.
    const { o, c } = await openPackage(ui, ctx, UPDATE);
    Object.assign(audit, { resource: pkgArn(ui, o, c), account: o.domain.owner });
    const form = await checkedForm(ctx, ui, true);
    if (!form) return;
    const v = form.get('v') ?? '';
    const to = form.get('to') ?? '';
    // The status the confirmation page showed: if it changed meanwhile, nothing is changed (409).
    const from = form.get('from') || undefined;
    const result = await updateVersionsStatus(svc.packages, o.repo, c, batchRequest([v], undefined, from), to);
    const failed = result.failedVersions[v];
    if (failed) throw conflict(`Version ${v} was not changed: ${failed.errorMessage}.`);
    ctx.status = 303;
    ctx.redirect(withQuery(packagePath(o.base, c), { v }));
  });
}

function statusInput(ctx: Context): { v: string; to: string } {
  const v = check('packageName', 'packageVersion', one(ctx, 'v') ?? '');
  const to = one(ctx, 'to') ?? '';
  if (!(TARGET_STATUSES as readonly string[]).includes(to)) throw validation(`A version can be changed to ${TARGET_STATUSES.join(', ')}, not ${to}.`);
  return { v, to };
}

function pkgArn(ui: UiContext, o: OpenRepository, c: Coordinates): string {
  return arn.package(ui.svc.config.region, o.domain.owner, o.domain.name, o.repo.name, c.format, c.namespace, c.name);
}
