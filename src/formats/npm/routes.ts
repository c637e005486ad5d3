// The npm endpoint: /npm/d/{domain}-{owner}/{repository}/... (being written).
import Router from '@koa/router';
import type { Services } from '../../services.js';

export function npmRouter(_svc: Services): Router {
  return new Router();
}
