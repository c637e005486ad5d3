// HoardErrors in the shapes pip, uv and twine show their users: the message travels in the HTTP
// reason phrase (twine and pip print it) and in a body fitting the surface: problem+json for
// uploads (uv reads RFC 9457), HTML for the simple index (pip and uv accept only the three index
// content types), JSON for the JSON API, text for files. 401s carry a Basic challenge.
import type { Context } from 'koa';
import { HoardError } from '../../errors.js';
import { setErrorStatus, statusOf } from '../shared/errors.js';
import { escapeHtml } from './simple.js';

export type Surface = 'upload' | 'index' | 'json' | 'file';


/** A refusal with the exact status PyPI clients expect (e.g. 400 "File already exists"). */
export class PypiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const reasonPhrase = (s: string) =>
  s
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\s+/g, ' ')
    .slice(0, 500);

export function sendError(ctx: Context, surface: Surface, e: unknown): void {
  let status: number;
  let message: string;
  if (e instanceof PypiError) {
    status = e.status;
    message = e.message;
  } else if (e instanceof HoardError) {
    status = statusOf(e);
    message = e.message;
  } else {
    ctx.state.error = e; // logged by the server's access log
    status = 500;
    message = `Internal error; request id ${String(ctx.state.requestId ?? '')}`;
  }
  setErrorStatus(ctx, status);
  ctx.remove('Content-Disposition'); // set for the file this error replaces
  ctx.message = reasonPhrase(message);
  if (status === 401) ctx.set('WWW-Authenticate', 'Basic realm="hoard", charset="UTF-8"');
  ctx.set('Cache-Control', 'no-store');
  switch (surface) {
    case 'upload':
      ctx.type = 'application/problem+json';
      ctx.body = JSON.stringify({ type: 'about:blank', title: reasonPhrase(message), status, detail: message });
      break;
    case 'index':
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = `<!DOCTYPE html>\n<html>\n  <head><title>${status}</title></head>\n  <body>\n    <h1>${status}</h1>\n    <p>${escapeHtml(message)}</p>\n  </body>\n</html>\n`;
      break;
    case 'json':
      ctx.type = 'application/json';
      ctx.body = JSON.stringify({ message, code: status });
      break;
    default:
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = `${message}\n`;
  }
}
