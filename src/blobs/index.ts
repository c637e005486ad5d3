// Chooses and prepares the BlobStore: local disk by default, S3/MinIO when configured.

import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

export type { BlobDigests, BlobStore, ByteRange, PutOptions } from './blob-store.js';
export { digestsOf, MultiHasher } from './blob-store.js';
export { FsBlobStore } from './fs-blob-store.js';
export { S3BlobStore } from './s3-blob-store.js';

export type BlobStoreConfig =
  | { dataDir: string }
  | { s3: { endpoint: string; bucket: string; accessKey: string; secretKey: string; region: string } };

/** Builds the configured store; for S3, creates the bucket if it is missing. */
export async function createBlobStore(cfg: BlobStoreConfig): Promise<BlobStore> {
  if ('s3' in cfg) {
    const store = new S3BlobStore(cfg.s3);
    await store.init();
    return store;
  }
  const store = new FsBlobStore(cfg.dataDir);
  await store.init();
  return store;
}
