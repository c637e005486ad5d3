// The services the HTTP faces share, built once by server.ts.
import type { Config } from './config.js';
import type { Db } from './store/db.js';
import type { BlobStore } from './blobs/blob-store.js';
import type { IdentityService } from './core/identity.js';
import type { DomainService } from './core/domains.js';
import type { PackageService } from './core/packages.js';
import type { Upstreams } from './core/upstreams.js';
import type { Access } from './auth/access.js';
import type { TokenService } from './auth/tokens.js';
import type { DataPlaneAuth } from './auth/data-plane.js';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';
import type { AuditLog } from './core/audit.js';
import type { WebhookService } from './core/webhooks/service.js';

export interface Services {
  config: Config;
  db: Db;
  blobs: BlobStore;
  identity: IdentityService;
  domains: DomainService;
  packages: PackageService;
  upstreams: Upstreams;
  access: Access;
  tokens: TokenService;
  dataPlaneAuth: DataPlaneAuth;
  log: Logger;
  metrics: Metrics;
  audit: AuditLog;
  webhooks: WebhookService;
}
