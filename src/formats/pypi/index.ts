// The PyPI face as the server takes it: the upload/simple/JSON router, the project-page refresher,
// and the hook that carries each copied file's simple-API details along on CopyPackageVersions.
import type { Services } from '../../services.js';
import { pypiStore } from '../../store/pypi.js';
import type { FormatAdapter } from '../shared/adapter.js';
import { refreshProject } from './documents.js';
import { pypiRouter } from './routes.js';

export function pypiAdapter(svc: Services): FormatAdapter {
  return {
    format: 'pypi',
    router: pypiRouter(svc),
    refresher: refreshProject,
    dataHooks: {
      async copied(dest, _source, versions) {
        for (const v of versions) for (const a of v.assets) await pypiStore.copyFile(dest.tx, a.fromAssetId, a.toAssetId, v.toVersionId);
      },
    },
  };
}
