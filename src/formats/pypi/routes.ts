// The pypi endpoint: /pypi/d/{domain}-{owner}/{repository}/... (being written).
import Router from '@koa/router';
import type { Services } from '../../services.js';

export function pypiRouter(_svc: Services): Router {
  return new Router();
}
