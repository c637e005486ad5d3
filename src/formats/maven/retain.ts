// Retention (reference §1.9): a release version served to a repository from one of its upstreams
// is kept, by reference to the same blobs, in the repository the client called, so its builds keep
// working when the upstream changes. Only the most-downstream repository retains; the package's
// origin controls there (upstream=BLOCK) are honoured; SNAPSHOTs are never retained.
import type { AssetRow, Coordinates, PackageTx, VersionRow } from '../../core/packages.js';
import type { RepositoryWithDomain } from '../../store/domains.js';
import type { Services } from '../../services.js';

/** Where a read found a file: the repository in the chain, the version and the asset. */
export interface Located {
  repo: RepositoryWithDomain;
  version: VersionRow;
  asset: AssetRow;
}

export async function retain(svc: Services, repo: RepositoryWithDomain, c: Coordinates, src: Located): Promise<void> {
  const assets = await svc.packages.assets(src.version);
  await svc.packages.inPackage(repo, c, 'upstream', async (p: PackageTx) => {
    if (p.requirePkg().origin_upstream === 'BLOCK') return;
    if (await p.version(src.version.version)) return;
    const v = await p.createVersion({
      version: src.version.version,
      status: src.version.status,
      metadata: src.version.metadata,
      origin: {
        type: src.version.origin_type === 'EXTERNAL' ? 'EXTERNAL' : 'INTERNAL',
        repository: src.version.entry_repository ?? undefined,
        externalConnection: src.version.entry_external_connection ?? undefined,
      },
    });
    if (!v) return;
    for (const a of assets) await p.addAsset(v, a.name, a);
    const nv = await p.update(v, {});
    await p.event(nv, { operationType: 'Created', assetsAdded: assets.length });
    await p.refresh();
  });
}
