// Chooses and prepares the BlobStore: local disk by default, S3/MinIO when configured.

import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore, type S3BlobStoreConfig } from './s3-blob-store.js';
import type { OutageLog } from '../outage.js';

export type { BlobDigests, BlobStore, ByteRange, PutOptions } from './blob-store.js';
export { digestsOf, MultiHasher } from './blob-store.js';
export { FsBlobStore } from './fs-blob-store.js';
export { S3BlobStore } from './s3-blob-store.js';

export type BlobStoreConfig =
  | { dataDir: string }
  | { s3: S3BlobStoreConfig };

export interface BlobStoreOptions {
  /** Where blob-store outages are logged (at most once per 10 s). */
  log?: OutageLog;
}

/** Builds the configured store; for S3, creates the bucket if it is missing. */
export async function createBlobStore(cfg: BlobStoreConfig, opts: BlobStoreOptions = {}): Promise<BlobStore> {
  if ('s3' in cfg) {
    const store = new S3BlobStore(cfg.s3, undefined, opts.log);
    await store.init();
    return store;
  }
  const store = new FsBlobStore(cfg.dataDir);
  await store.init();
  return store;
}
