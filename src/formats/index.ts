// Every package-format adapter, handed to server.ts (the only importer of adapters).
import type { Services } from '../services.js';
import type { FormatAdapter } from './shared/adapter.js';
import { npmAdapter } from './npm/index.js';
import { pypiRouter } from './pypi/routes.js';
import { mavenRouter } from './maven/routes.js';

export type { FormatAdapter };

export function formatAdapters(svc: Services): FormatAdapter[] {
  return [npmAdapter(svc), { format: 'pypi', router: pypiRouter(svc) }, { format: 'maven', router: mavenRouter(svc) }];
}
