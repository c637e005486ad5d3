// The pypi endpoint: /pypi/d/{domain}-{owner}/{repository}/ — the legacy upload API (POST to the
// endpoint itself, with or without its trailing slash: twine aborts on redirects), the simple API
// (`simple/`, `simple/{project}/`), the files (`packages/{project}/{version}/{file}` and their
// `.metadata`), and the JSON API (`pypi/{project}/json`, `pypi/{project}/{version}/json`).
import Router from '@koa/router';
import type { Context } from 'koa';
import { arn } from '../../core/names.js';
import { notFound } from '../../errors.js';
import { pypiStore } from '../../store/pypi.js';
import type { Services } from '../../services.js';
import { auditWrite, authorize, openEndpoint, type Endpoint } from '../shared/endpoint.js';
import { etagOf, projectView } from './documents.js';
import { PypiError, sendError, type Surface } from './errors.js';
import { externalVersionMetadata, notModified, serveFile } from './read.js';
import { defaultVersion, projectDocument } from './json-api.js';
import { readUploadForm } from './multipart.js';
import { normalize, sameVersion } from './names.js';
import { CONTENT_TYPES, negotiate, projectListHtml, projectListJson, type Representation } from './simple.js';
import { checkUpload, publish } from './upload.js';

const READ = 'codeartifact:ReadFromRepository';
const PUBLISH = 'codeartifact:PublishPackageVersion';
const READ_HINT = 'Configure pip with `aws codeartifact login --tool pip` (or `hoard login --tool pip`).';
const PUBLISH_HINT = 'Configure twine with `aws codeartifact login --tool twine` (or `hoard login --tool twine`).';
// Pages change on every upload: clients revalidate with the ETag (a cheap 304) instead of guessing.
const INDEX_CACHE = 'private, max-age=0, must-revalidate';

type Handler = (ctx: Context) => Promise<void>;

export function pypiRouter(svc: Services): Router {
  const r = new Router({ prefix: '/pypi/d/:domain/:repository' });

  const wrap = (surface: Surface, fn: Handler) => async (ctx: Context) => {
    try {
      await fn(ctx);
    } catch (e) {
      sendError(ctx, surface, e);
    }
  };
  const open = async (ctx: Context, audit?: ReturnType<typeof auditWrite>): Promise<Endpoint> => {
    const ep = await openEndpoint(svc, 'pypi', ctx.params.domain, ctx.params.repository, ctx.get('authorization') || undefined, audit);
    ctx.state.principal = ep.caller.principal.arn;
    return ep;
  };
  const openForRead = async (ctx: Context): Promise<Endpoint> => {
    const ep = await open(ctx);
    await authorize(svc, ep, READ, undefined, READ_HINT);
    return ep;
  };
  /** Path of this endpoint (no host), for redirects that keep whatever host the client used. */
  const endpointPath = (ctx: Context) =>
    `/pypi/d/${encodeURIComponent(ctx.params.domain)}/${encodeURIComponent(ctx.params.repository)}/`;
  const redirect = (ctx: Context, to: string) => {
    ctx.status = 301;
    ctx.redirect(to + (ctx.querystring ? `?${ctx.querystring}` : ''));
  };

  // Upload: POST to the endpoint, with or without its trailing slash.
  r.post(
    '/',
    wrap('upload', async (ctx) => {
      const audit = auditWrite(svc, ctx.state, {
        domainSegment: ctx.params.domain,
        repository: ctx.params.repository,
        action: PUBLISH,
        detail: 'twine upload',
      });
      const ep = await open(ctx, audit);
      // Anonymous callers are challenged before the body is read (twine then shows the 401).
      if (ep.caller.via === 'none') await authorize(svc, ep, PUBLISH, undefined, PUBLISH_HINT);
      // Permission on the project the form names, checked on its `name` field before any of the
      // file is read; checkUpload then makes sure the file's own metadata names the same project.
      const form = await readUploadForm(ctx.req, svc.config.maxUploadBytes, async (name) => {
        if (!name) throw new PypiError(400, "The form field 'name' is empty.");
        const packageArn = arn.package(svc.config.region, ep.domain.owner, ep.domain.name, ep.repo.name, 'pypi', '', normalize(name));
        await authorize(svc, ep, PUBLISH, packageArn, PUBLISH_HINT);
      });
      try {
        if (!form.fields.get('name')?.[0]?.trim()) throw new PypiError(400, "The form field 'name' is missing.");
        const checked = await checkUpload(form);
        const outcome = await publish(svc, ep, form, checked);
        ctx.status = 200;
        ctx.message = outcome === 'exists' ? 'OK (identical file already uploaded)' : 'OK';
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = outcome === 'exists' ? `${form.content!.filename} was already uploaded with the same content.\n` : 'OK\n';
      } finally {
        await form.cleanup();
      }
    }),
  );

  // The router matches these paths with and without the trailing slash; the handlers tell them
  // apart: HTML URLs end in '/', and project URLs use the normalized name (PEP 503).
  r.get(
    '/simple',
    wrap('index', async (ctx) => {
      const ep = await openForRead(ctx);
      if (!ctx.path.endsWith('/')) return redirect(ctx, `${endpointPath(ctx)}simple/`);
      const rep = chooseRepresentation(ctx);
      const order = await svc.domains.searchOrder(ep.repo);
      const names = await pypiStore.listedProjects(svc.db, order.map((x) => x.id));
      const body = rep === 'json' ? projectListJson(names) : projectListHtml(names);
      await sendIndex(ctx, rep, async () => body, etagOf(body));
    }),
  );
  r.get(
    '/simple/:project',
    wrap('index', async (ctx) => {
      const ep = await openForRead(ctx);
      const project = normalize(ctx.params.project);
      if (project !== ctx.params.project || !ctx.path.endsWith('/'))
        return redirect(ctx, `${endpointPath(ctx)}simple/${encodeURIComponent(project)}/`);
      const rep = chooseRepresentation(ctx);
      const view = await projectView(svc, ep.repo, project);
      if (!view) throw notFound(`Project ${project} is not in repository ${ep.repo.name} or its upstreams.`, 'package', project);
      ctx.set('Last-Modified', view.modified.toUTCString());
      const doc = rep === 'json' ? 'json' : 'html';
      await sendIndex(ctx, rep, () => view.body(doc), view.etag(doc));
    }),
  );

  r.get(
    '/packages/:project/:version/:filename',
    wrap('file', async (ctx) => {
      const ep = await openForRead(ctx);
      await serveFile(svc, ep, ctx, normalize(ctx.params.project), ctx.params.version, ctx.params.filename);
    }),
  );

  const jsonApi = (withVersion: boolean) =>
    wrap('json', async (ctx) => {
      const ep = await openForRead(ctx);
      const project = normalize(ctx.params.project);
      if (project !== ctx.params.project)
        return redirect(ctx, `${endpointPath(ctx)}pypi/${encodeURIComponent(project)}/${withVersion ? `${encodeURIComponent(ctx.params.version)}/` : ''}json`);
      const view = await projectView(svc, ep.repo, project);
      if (!view) throw notFound(`Project ${project} is not in repository ${ep.repo.name} or its upstreams.`, 'package', project);
      const entries = await view.entries();
      const version = withVersion
        ? entries.find((e) => sameVersion(e.version, ctx.params.version))?.version
        : defaultVersion(entries);
      if (!version) throw notFound(`Version ${ctx.params.version} of ${project} is not in repository ${ep.repo.name}.`, 'package-version');
      const holder = entries.find((e) => e.version === version)!.packageId;
      const member = view.members.find((m) => m.pkg.id === holder);
      const metadata = member
        ? ((await svc.packages.version(member.pkg, version))?.metadata ?? {})
        : view.external
          ? await externalVersionMetadata(svc, view.external, project, entries.filter((e) => e.version === version))
          : {};
      const body = projectDocument(ep.base, project, version, metadata, entries, view.serial, !withVersion);
      const etag = etagOf(body);
      ctx.set('ETag', etag);
      ctx.set('Cache-Control', INDEX_CACHE);
      if (notModified(ctx, etag)) return;
      ctx.type = 'application/json';
      ctx.body = body;
    });
  r.get('/pypi/:project/json', jsonApi(false));
  r.get('/pypi/:project/:version/json', jsonApi(true));

  return r;
}

function chooseRepresentation(ctx: Context): Representation {
  const format = typeof ctx.query.format === 'string' ? ctx.query.format : undefined;
  const rep = negotiate(ctx.get('accept') || undefined, format);
  if (!rep)
    throw new PypiError(406, `Cannot serve any of '${ctx.get('accept')}'; ask for ${Object.values(CONTENT_TYPES).join(', ')}.`);
  return rep;
}

/** Sends an index page (only its ETag when the client has it: the body is not even loaded). */
async function sendIndex(ctx: Context, rep: Representation, body: () => Promise<string>, etag: string): Promise<void> {
  // One ETag per representation: the two HTML types carry the same bytes under different types.
  const tag = rep === 'v1html' ? `${etag.slice(0, -1)}.v1"` : etag;
  ctx.set('Vary', 'Accept');
  ctx.set('ETag', tag);
  ctx.set('Cache-Control', INDEX_CACHE);
  if (notModified(ctx, tag)) return;
  ctx.type = rep === 'html' ? 'text/html; charset=utf-8' : CONTENT_TYPES[rep];
  ctx.body = await body();
}
