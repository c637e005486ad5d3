// The web UI at /ui/: server-rendered pages (no build step, no CDN) behind a strict CSP, sessions
// from src/ui/session.ts, pages in pages-*.ts. Mounted by server.ts on the API's port.
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { isHoardError } from '../errors.js';
import { markAudit } from '../core/audit.js';
import { setErrorStatus, statusOf } from '../formats/shared/errors.js';
import type { Services } from '../services.js';
import { html, type Viewer } from './html.js';
import { UiAuth } from './session.js';
import { UI_CSP, checkedForm, send, viewerOf, type UiContext } from './respond.js';
import { STATIC_BY_PATH } from './static.js';
import { repositoryRoutes } from './pages-repos.js';
import { packageRoutes } from './pages-packages.js';

export function uiRouter(svc: Services): Router {
  const ui: UiContext = { svc, auth: new UiAuth(svc) };
  const router = new Router({ strict: true });

  router.get('/ui', (ctx) => ctx.redirect('/ui/'));
  router.get('/ui/static/:file', (ctx) => {
    const f = STATIC_BY_PATH.get(ctx.path);
    if (!f) return void (ctx.status = 404);
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.type = f.type;
    ctx.body = f.body;
  });

  // Every page: security headers, then the viewer (a cookie naming no live session is refused).
  router.use('/ui', async (ctx: Context, next: Next) => {
    if (ctx.path.startsWith('/ui/static/')) return next();
    ctx.set('Content-Security-Policy', UI_CSP);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('Cache-Control', 'no-store');
    const viewer = await ui.auth.viewer(ctx);
    if (!viewer) {
      ui.auth.clearCookie(ctx);
      ctx.state.viewer = { principal: { kind: 'anonymous', accountId: '', arn: '*' } } satisfies Viewer;
      if (ctx.path === '/ui/signin' && ctx.method === 'GET') return next();
      return send(ctx, 401, 'Session not valid', html`<p class="error">Your session has ended or is not valid. <a href="/ui/signin">Sign in again</a>.</p>`);
    }
    ctx.state.viewer = viewer;
    if (viewer.principal.kind !== 'anonymous') ctx.state.principal = viewer.principal.arn; // for the access log
    try {
      await next();
    } catch (e) {
      if (!isHoardError(e)) throw e;
      const status = statusOf(e);
      setErrorStatus(ctx, status);
      const signIn = viewer.principal.kind === 'anonymous' && (status === 401 || status === 403);
      send(ctx, status, status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Error', html`<p class="error">${e.message}</p>
        ${signIn ? html`<p><a href="/ui/signin">Sign in</a> to see more.</p>` : ''}<p><a href="/ui/">Back to the domains</a></p>`);
      if (status >= 500) ctx.state.error = e;
    }
  });

  router.get('/ui/signin', (ctx) => signInPage(ctx, 200));
  router.post('/ui/signin', async (ctx) => {
    // A sign-in is a login: audited with its outcome (refusals as anonymous), never with the secret.
    const audit = markAudit(ctx.state, { action: 'hoard:SignIn', detail: 'web UI' });
    const form = await checkedForm(ctx, ui, false);
    if (!form) return;
    try {
      if (form.get('method') === 'token') {
        const t = await ui.auth.checkToken((form.get('token') ?? '').trim());
        audit.principal = t.principal;
        await ui.auth.start(ctx, t.principal, { scope: t.scope, expiresAt: t.expiresAt });
      } else {
        const p = await ui.auth.checkAccessKey((form.get('accessKeyId') ?? '').trim(), (form.get('secretAccessKey') ?? '').trim());
        audit.principal = p;
        await ui.auth.start(ctx, p);
      }
    } catch (e) {
      if (isHoardError(e) && e.kind === 'Unauthenticated') return signInPage(ctx, 401, e.message);
      throw e;
    }
    ctx.status = 303;
    ctx.redirect('/ui/');
  });
  router.post('/ui/signout', async (ctx) => {
    const form = await checkedForm(ctx, ui, viewerOf(ctx).principal.kind !== 'anonymous');
    if (!form) return;
    await ui.auth.end(ctx);
    ctx.status = 303;
    ctx.redirect('/ui/signin');
  });

  repositoryRoutes(router, ui);
  packageRoutes(router, ui);
  // A domain or repository page asked for without its trailing slash; then anything else is a 404 page.
  router.get('/ui/d/:seg', (ctx) => ctx.redirect(`${ctx.path}/`));
  router.get('/ui/d/:seg/:repo', (ctx) => ctx.redirect(`${ctx.path}/`));
  router.get('/ui/*rest', (ctx) =>
    send(ctx, 404, 'Not found', html`<p class="error">There is no page at ${ctx.path}.</p><p><a href="/ui/">Back to the domains</a></p>`),
  );
  return router;
}

function signInPage(ctx: Context, status: number, error?: string): void {
  send(
    ctx,
    status,
    'Sign in',
    html`${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<p>Without signing in you see what policies grant to everyone (<code>*</code>).</p>
<form method="post" action="/ui/signin">
  <input type="hidden" name="method" value="key">
  <fieldset><legend>With an access key</legend>
    <div class="field"><label for="accessKeyId">Access key id</label><input type="text" id="accessKeyId" name="accessKeyId" autocomplete="username" spellcheck="false" required></div>
    <div class="field"><label for="secretAccessKey">Secret access key</label><input type="password" id="secretAccessKey" name="secretAccessKey" autocomplete="current-password" required></div>
    <button type="submit">Sign in with access key</button>
  </fieldset>
</form>
<form method="post" action="/ui/signin">
  <input type="hidden" name="method" value="token">
  <fieldset><legend>With an authorization token</legend>
    <div class="field"><label for="token">Authorization token</label><input type="password" id="token" name="token" autocomplete="off" required></div>
    <p class="muted">From <code>aws codeartifact get-authorization-token</code>; the session shows that token's domain only and ends when the token does.</p>
    <button type="submit">Sign in with token</button>
  </fieldset>
</form>`,
  );
}
