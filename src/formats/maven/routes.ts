// The maven endpoint: /maven/d/{domain}-{owner}/{repository}/... (being written).
import Router from '@koa/router';
import type { Services } from '../../services.js';

export function mavenRouter(_svc: Services): Router {
  return new Router();
}
