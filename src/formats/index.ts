// Every package-format adapter, handed to server.ts (the only importer of adapters), which
// registers their refreshers and data hooks with core and mounts their routers.
import type { Services } from '../services.js';
import type { FormatAdapter } from './shared/adapter.js';
import { npmAdapter } from './npm/index.js';
import { pypiAdapter } from './pypi/index.js';
import { mavenAdapter } from './maven/index.js';

export type { FormatAdapter };

export function formatAdapters(svc: Services): FormatAdapter[] {
  return [npmAdapter(svc), pypiAdapter(svc), mavenAdapter(svc)];
}
