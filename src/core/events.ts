// CodeArtifact's EventBridge event "CodeArtifact Package Version State Change" (reference §5),
// built here and written to the outbox by the caller's transaction. The sequence number is the
// outbox row id, added when the event is delivered: it increases per package, as AWS promises.
import { createHash, randomUUID } from 'node:crypto';
import { arn } from './names.js';
import type { Coordinates } from '../store/packages.js';

export interface EventChange {
  assetsAdded?: number;
  assetsRemoved?: number;
  assetsUpdated?: number;
  metadataUpdated?: boolean;
  statusChanged?: boolean;
  operationType: 'Created' | 'Updated' | 'Deleted';
}

export interface VersionEventInput {
  region: string;
  domainName: string;
  domainOwner: string;
  repositoryName: string;
  repositoryAdministrator: string;
  coords: Coordinates;
  version: string;
  status: string;
  revision: string;
  change: EventChange;
  time?: Date;
}

export function versionEvent(e: VersionEventInput) {
  const id = randomUUID();
  const time = (e.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    version: '0',
    id,
    'detail-type': 'CodeArtifact Package Version State Change',
    source: 'aws.codeartifact',
    account: e.domainOwner,
    time,
    region: e.region,
    resources: [
      arn.package(e.region, e.domainOwner, e.domainName, e.repositoryName, e.coords.format, e.coords.namespace, e.coords.name),
    ],
    detail: {
      domainName: e.domainName,
      domainOwner: e.domainOwner,
      repositoryName: e.repositoryName,
      repositoryAdministrator: e.repositoryAdministrator,
      packageFormat: e.coords.format,
      packageNamespace: e.coords.namespace || null,
      packageName: e.coords.name,
      packageVersion: e.version,
      packageVersionState: e.status,
      packageVersionRevision: e.revision,
      changes: {
        assetsAdded: e.change.assetsAdded ?? 0,
        assetsRemoved: e.change.assetsRemoved ?? 0,
        assetsUpdated: e.change.assetsUpdated ?? 0,
        metadataUpdated: e.change.metadataUpdated ?? false,
        statusChanged: e.change.statusChanged ?? false,
      },
      operationType: e.change.operationType,
      eventDeduplicationId: createHash('sha256').update(id).digest('base64'),
    },
  };
}

/** The envelope as delivered: the stored payload plus its sequence number (the outbox row id). */
export function deliverable(row: { id: number; payload: ReturnType<typeof versionEvent> }) {
  return { ...row.payload, detail: { ...row.payload.detail, sequenceNumber: row.id } };
}
