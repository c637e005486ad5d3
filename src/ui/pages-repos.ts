// Web UI pages for domains and repositories: the domain list, a domain's repositories, a
// repository (description, upstream chain, external connection, endpoints, its packages with
// search, format filter and pages) and its "connect" instructions.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { listPackages } from '../core/listing.js';
import { displayName } from '../core/packages.js';
import { PACKAGE_FORMATS, check } from '../core/names.js';
import { notFound, validation } from '../errors.js';
import { html, time } from './html.js';
import { send, viewerOf, type UiContext } from './respond.js';
import { domainPath, domainSegment, openRepository, refusal, repoPath, type OpenRepository } from './resolve.js';
import { connectSnippets, endpoints, loginCommands, tokenCommand } from './snippets.js';
import { READ, mayDescribeDomain, mayOnRepository, readableRepositories, visibleDomains } from './visibility.js';

const PACKAGES_PER_PAGE = 50;
const LIST_FORMATS = ['npm', 'pypi', 'maven', 'generic'];

export const packagePath = (base: string, p: { format: string; namespace: string; name: string }) =>
  `${base}p/${encodeURIComponent(p.format)}/${encodeURIComponent(p.name)}${p.namespace ? `?ns=${encodeURIComponent(p.namespace)}` : ''}`;

function query(ctx: Context, name: string, max = 2000): string | undefined {
  const v = ctx.query[name];
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s === '') return undefined;
  if (s.length > max) throw validation(`The ${name} parameter is longer than ${max} characters.`);
  return s;
}

export function repositoryRoutes(router: Router, ui: UiContext): void {
  const { svc } = ui;

  router.get('/ui/', async (ctx) => {
    const viewer = viewerOf(ctx);
    const domains = await visibleDomains(svc, viewer);
    const body = domains.length
      ? html`<table><caption class="muted">Domains you can see</caption>
          <thead><tr><th scope="col">Domain</th><th scope="col">Owner</th><th scope="col">Repositories you can read</th></tr></thead>
          <tbody>${domains.map(
            (d) => html`<tr><td><a href="${domainPath(d)}">${d.name}</a></td><td class="mono">${d.owner}</td>
              <td>${d.repositories.map((r, i) => html`${i ? ', ' : ''}<a href="${repoPath(d, r.name)}">${r.name}</a>`)}</td></tr>`,
          )}</tbody></table>`
      : html`<p>No domain is visible to ${viewer.principal.kind === 'anonymous' ? 'anonymous visitors' : 'you'}.
          ${viewer.principal.kind === 'anonymous' ? html`<a href="/ui/signin">Sign in</a> to see more.` : ''}</p>`;
    send(ctx, 200, 'Domains', body);
  });

  router.get('/ui/d/:seg/', async (ctx) => {
    const viewer = viewerOf(ctx);
    const { domain, owner } = domainSegment(ctx.params.seg);
    check('domain', 'domain', domain);
    const d = await svc.domains.findDomain(owner, domain);
    const repos = d ? await readableRepositories(svc, viewer, d) : [];
    const describe = await mayDescribeDomain(svc, viewer, { id: d?.id, owner, name: domain });
    if (!describe && repos.length === 0) throw refusal(viewer, `domain ${domain}`);
    if (!d) throw notFound(`Domain ${domain} not found in account ${owner}.`);
    const rows = await Promise.all(repos.map(async (r) => ({ r, links: await svc.domains.links(r) })));
    send(
      ctx,
      200,
      `Domain ${d.name}`,
      html`<dl class="facts"><dt>Owner</dt><dd class="mono">${d.owner}</dd><dt>ARN</dt><dd class="mono">${svc.domains.domainArn(d)}</dd>
        <dt>Created</dt><dd>${time(d.created_at)}</dd></dl>
        <h2>Repositories</h2>
        ${rows.length
          ? html`<table><thead><tr><th scope="col">Repository</th><th scope="col">Description</th><th scope="col">Upstreams</th><th scope="col">External connection</th></tr></thead>
            <tbody>${rows.map(
              ({ r, links }) => html`<tr><td><a href="${repoPath(d, r.name)}">${r.name}</a></td><td>${r.description ?? ''}</td>
                <td>${links.upstreams.filter((u) => repos.some((x) => x.name === u)).join(', ')}</td>
                <td>${links.externalConnections.map((e) => e.name).join(', ')}</td></tr>`,
            )}</tbody></table>`
          : html`<p>You may not read any repository of this domain.</p>`}`,
      [{ label: 'Domains', href: '/ui/' }, { label: d.name }],
    );
  });

  router.get('/ui/d/:seg/:repo/', async (ctx) => {
    const viewer = viewerOf(ctx);
    const o = await openRepository(svc, viewer, ctx.params.seg, ctx.params.repo);
    const search = query(ctx, 'q', 200);
    const format = query(ctx, 'format', 20);
    if (format !== undefined && !(PACKAGE_FORMATS as readonly string[]).includes(format))
      throw validation(`Unknown format ${format}; use one of ${LIST_FORMATS.join(', ')}.`);
    const next = query(ctx, 'next');
    const pageOf = await listPackages(svc.packages, o.repo, { format, contains: search }, PACKAGES_PER_PAGE, next);
    const chain = await chainOf(ui, ctx, o);
    const ep = endpoints(o.connect);
    const keep = (extra: Record<string, string | undefined>) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries({ q: search, format, ...extra })) if (v) p.set(k, v);
      const s = p.toString();
      return `${o.base}${s ? `?${s}` : ''}`;
    };
    send(
      ctx,
      200,
      `Repository ${o.repo.name}`,
      html`<div class="cols"><div>
        ${o.repo.description ? html`<p>${o.repo.description}</p>` : ''}
        <h2 id="packages">Packages</h2>
        <form class="search" method="get" action="${o.base}" role="search">
          <div><label for="q">Search packages</label><input type="search" id="q" name="q" value="${search ?? ''}" maxlength="200" placeholder="name contains…"></div>
          <div><label for="format">Format</label><select id="format" name="format">
            <option value="">All formats</option>${LIST_FORMATS.map((f) => html`<option value="${f}"${f === format ? html` selected` : ''}>${f}</option>`)}
          </select></div>
          <div><button type="submit">Search</button></div>
        </form>
        ${pageOf.items.length
          ? html`<table><thead><tr><th scope="col">Package</th><th scope="col">Format</th><th scope="col">Origin controls</th></tr></thead>
            <tbody>${pageOf.items.map((p) => {
              const c = { format: p.format, namespace: p.namespace ?? '', name: p.package };
              const oc = p.originConfiguration.restrictions;
              return html`<tr><td><a href="${packagePath(o.base, c)}">${displayName(c)}</a></td><td>${p.format}</td>
                <td class="muted">publish ${oc.publish}, upstream ${oc.upstream}</td></tr>`;
            })}</tbody></table>`
          : html`<p>No package${search || format ? ' matches' : ' yet'}.</p>`}
        <nav class="pager" aria-label="Package pages">
          ${next ? html`<a href="${keep({})}">First page</a>` : ''}
          ${pageOf.nextToken ? html`<a href="${keep({ next: pageOf.nextToken })}" rel="next">Next page</a>` : ''}
        </nav>
      </div><aside>
        <h2>Details</h2>
        <dl class="facts"><dt>Domain</dt><dd><a href="${domainPath(o.domain)}">${o.domain.name}</a></dd>
          <dt>Administrator</dt><dd class="mono">${o.repo.administrator}</dd><dt>Created</dt><dd>${time(o.repo.created_at)}</dd></dl>
        <h2>Upstream chain</h2>${chain}
        <h2>Endpoints</h2>
        <dl class="facts"><dt>npm</dt><dd class="mono">${ep.npm}</dd><dt>PyPI</dt><dd class="mono">${ep.pypi}</dd><dt>Maven</dt><dd class="mono">${ep.maven}</dd></dl>
        <p><a class="button" href="${o.base}connect">Connect a client</a></p>
      </aside></div>`,
      [{ label: 'Domains', href: '/ui/' }, { label: o.domain.name, href: domainPath(o.domain) }, { label: o.repo.name }],
    );
  });

  router.get('/ui/d/:seg/:repo/connect', async (ctx) => {
    const o = await openRepository(svc, viewerOf(ctx), ctx.params.seg, ctx.params.repo);
    const snippet = (s: { tool: string; file: string; text: string }) =>
      html`<details><summary>${s.tool} <span class="muted">(${s.file})</span></summary><pre data-copy="${s.tool} ${s.file}"><code>${s.text}</code></pre></details>`;
    send(
      ctx,
      200,
      `Connect to ${o.repo.name}`,
      html`<p>Package managers sign in with an authorization token, used as <code>Bearer</code> (npm, pnpm, yarn) or as the
        password of user <code>aws</code> (pip, uv, twine, Maven, Gradle). Get one into <code>$CODEARTIFACT_AUTH_TOKEN</code>:</p>
        <pre data-copy="token command"><code>${tokenCommand(o.connect)}</code></pre>
        <h2>Log in with one command</h2>${loginCommands(o.connect).map(snippet)}
        <h2>Or configure by hand</h2>${connectSnippets(o.connect).map(snippet)}`,
      [
        { label: 'Domains', href: '/ui/' },
        { label: o.domain.name, href: domainPath(o.domain) },
        { label: o.repo.name, href: o.base },
        { label: 'Connect' },
      ],
    );
  });
}

/** The read chain (the repository, then its upstreams depth first) and the external connection; unreadable repositories stay unnamed. */
async function chainOf(ui: UiContext, ctx: Context, o: OpenRepository) {
  const { svc } = ui;
  const viewer = viewerOf(ctx);
  const order = await svc.domains.searchOrder(o.repo);
  const items = [];
  let external: string | undefined;
  for (const r of order) {
    const readable = r.id === o.repo.id || (await mayOnRepository(svc, viewer, { id: o.domain.id, owner: o.domain.owner, name: o.domain.name }, r, READ));
    items.push(readable ? html`<li><a href="${repoPath(o.domain, r.name)}">${r.name}</a></li>` : html`<li class="muted">a repository you cannot read</li>`);
    external ??= (await svc.domains.links(r)).externalConnections[0]?.name;
  }
  if (external) items.push(html`<li><span class="tag">external</span> ${external}</li>`);
  return order.length > 1 || external ? html`<ol class="chain">${items}</ol>` : html`<p class="muted">No upstreams and no external connection.</p>`;
}
