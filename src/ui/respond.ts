// What every web UI route shares: the context (services, sessions), the viewer of the request,
// sending a page, and reading a form only once the POST is known to come from this origin (and,
// for signed-in actions, to carry the session's CSRF token).
import type { Context } from 'koa';
import { readBody } from '../formats/shared/body.js';
import type { Services } from '../services.js';
import { html, page, type Viewer } from './html.js';
import { csrfMatches, type UiAuth } from './session.js';

/** No inline script or style, nothing from another origin, no framing. */
export const UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const FORM_LIMIT = 16 * 1024;

export interface UiContext {
  svc: Services;
  auth: UiAuth;
}

export function viewerOf(ctx: Context): Viewer {
  return ctx.state.viewer as Viewer;
}

/** A whole HTML page as the response. */
export function send(ctx: Context, status: number, title: string, body: ReturnType<typeof html>, crumbs?: Parameters<typeof page>[0]['crumbs']): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = page({ title, viewer: viewerOf(ctx), crumbs, body });
}

/** A url-encoded form, read only after the caller has authenticated and authorized the request. */
export async function readForm(ctx: Context): Promise<URLSearchParams> {
  const type = ctx.get('content-type').split(';')[0].trim().toLowerCase();
  const raw = await readBody(ctx.req, FORM_LIMIT);
  if (type !== 'application/x-www-form-urlencoded') return new URLSearchParams();
  return new URLSearchParams(raw.toString('utf8'));
}

/**
 * A POST from a page of this origin (Sec-Fetch-Site / Origin); with `session`, also from a signed-in
 * viewer sending the session's CSRF token. Sends a 403 page and returns null when not.
 */
export async function checkedForm(ctx: Context, ui: UiContext, session: boolean): Promise<URLSearchParams | null> {
  if (!ui.auth.sameOrigin(ctx)) {
    send(ctx, 403, 'Request refused', html`<p class="error">This form was sent from another site, so it was refused. Use the page on this server.</p>`);
    return null;
  }
  const form = await readForm(ctx);
  if (session && !csrfMatches(viewerOf(ctx), form.get('csrf') ?? undefined)) {
    send(ctx, 403, 'Request refused', html`<p class="error">The form's security token is missing or out of date. Go back, reload the page and try again.</p>`);
    return null;
  }
  return form;
}

