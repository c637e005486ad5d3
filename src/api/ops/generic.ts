// PublishPackageVersion (generic format: the raw body is the asset, its SHA-256 in the signed
// x-amz-content-sha256 header) and GetPackageVersionAsset (any format, streamed with CodeArtifact's
// X-AssetName / X-PackageVersion / X-PackageVersionRevision headers).
import { pipeline, type Readable } from 'node:stream';
import { validation } from '../../errors.js';
import { checkFormat } from '../../core/names.js';
import { checkAssetName, checkGenericAssetName, openAsset, publishGeneric } from '../../core/generic.js';
import type { Operation } from '../operation.js';
import { asDownload } from '../../formats/shared/download.js';
import { VERSION_Q, packageTarget, version } from './package-input.js';

export const genericOps: Operation[] = [
  {
    name: 'PublishPackageVersion',
    method: 'POST',
    path: '/v1/package/version/publish',
    query: { ...VERSION_Q, asset: { required: true }, unfinished: { type: 'bool' } },
    body: 'stream',
    async run(input) {
      const { q, ctx, svc } = input;
      if (checkFormat('format', q.format as string) !== 'generic')
        throw validation(
          `PublishPackageVersion supports only the generic format; publish ${String(q.format)} packages with their package manager.`,
        );
      const v = version(q);
      const assetName = checkGenericAssetName(q.asset as string);
      const sha256 = ctx.get('x-amz-content-sha256');
      if (!sha256)
        throw validation("1 validation error detected: Value null at 'assetSHA256' failed to satisfy constraint: Member must not be null");
      if (!/^[0-9a-f]{64}$/.test(sha256))
        throw validation(
          `1 validation error detected: Value '${sha256.slice(0, 80)}' at 'assetSHA256' failed to satisfy constraint: Member must be 64 lowercase hexadecimal characters (the SHA-256 of the asset)`,
        );
      const { repo, coords } = await packageTarget(input, 'codeartifact:PublishPackageVersion');
      return publishGeneric(
        svc.packages,
        repo,
        coords,
        { version: v, assetName, sha256, unfinished: q.unfinished === true, maxBytes: svc.config.maxUploadBytes },
        ctx.req,
      );
    },
  },
  {
    name: 'GetPackageVersionAsset',
    method: 'GET',
    path: '/v1/package/version/asset',
    query: { ...VERSION_Q, asset: { required: true }, revision: {} },
    body: 'none',
    async run(input) {
      const { q, ctx, svc } = input;
      const v = version(q);
      const assetName = checkAssetName(q.asset as string);
      const revision = q.revision as string | undefined;
      if (revision !== undefined && (revision.length < 1 || revision.length > 50 || /\s/.test(revision)))
        throw validation(
          `1 validation error detected: Value '${revision.slice(0, 80)}' at 'packageVersionRevision' failed to satisfy constraint: Member must be 1 to 50 characters without whitespace`,
        );
      const { repo, coords } = await packageTarget(input, 'codeartifact:GetPackageVersionAsset');
      const a = await openAsset(svc.packages, repo, coords, v, assetName, revision);
      ctx.status = 200;
      ctx.set('X-AssetName', encodeHeader(a.asset.name));
      ctx.set('X-PackageVersion', encodeHeader(a.version.version));
      ctx.set('X-PackageVersionRevision', a.version.revision);
      ctx.type = 'application/octet-stream';
      asDownload(ctx); // any format's uploaded file: an attachment, never a page of this origin
      ctx.length = a.asset.size;
      // Streamed here rather than through Koa: a client that has read Content-Length bytes may hang
      // up before the source signals its end, which is no failure and must not be logged as one.
      ctx.respond = false;
      pipeline(a.stream as NodeJS.ReadableStream & Readable, ctx.res, (err) => {
        if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE')
          svc.log.warn({ reqId: ctx.state.requestId, err: { message: err.message } }, 'asset download interrupted');
      });
      return undefined;
    },
  },
];

/** Header values must be Latin-1 without control characters; other names travel percent-encoded. */
function encodeHeader(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : encodeURIComponent(s);
}
