// Every package-format adapter, mounted by server.ts (the only importer of adapters).
import type Router from '@koa/router';
import type { Services } from '../services.js';
import { npmRouter } from './npm/routes.js';
import { pypiRouter } from './pypi/routes.js';
import { mavenRouter } from './maven/routes.js';

export function formatRouters(svc: Services): Router[] {
  return [npmRouter(svc), pypiRouter(svc), mavenRouter(svc)];
}
