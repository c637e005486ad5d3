// What each protocol face hands the server (DESIGN.md "Code layout"): its router, and what core
// calls back into it for: the document refresher that rebuilds its precomputed documents inside
// a package's transaction, and the hooks for its own per-package data. Each format exports one
// from formats/<format>/index.ts; server.ts registers them with core and mounts the routers, so
// nothing registers itself as a side effect of being built.
import type Router from '@koa/router';
import type { DocumentRefresher, PackageDataHooks } from '../../core/packages.js';

export interface FormatAdapter {
  format: 'npm' | 'pypi' | 'maven' | 'generic';
  router: Router;
  refresher?: DocumentRefresher;
  dataHooks?: PackageDataHooks;
}
