// Maven's side of an external connection (public:maven-central, public:maven-googleandroid,
// public:maven-gradleplugins, public:maven-commonsware, public:maven-clojars), protocol only: fetch
// a file by its path checked against the upstream's own checksum file (.sha1, else .sha256,
// .sha512 or .md5) as it streams, and fetch an artifact's maven-metadata.xml and keep its release
// versions. Caching, single fetches, retention and origin controls are core's (core/upstreams.ts,
// core/retention.ts); the read path that joins them is read.ts.
import { createHash, type Hash } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';
import { badGateway, HoardError } from '../../errors.js';
import { documentFetcher, upstreamRefusal, type DocumentFetcher } from '../../core/upstreams.js';
import { UpstreamClient, type UpstreamResponse } from '../../upstream/client.js';
import { checkCoordinates, parseChecksumBody, type Algo, type ArtifactFile } from './layout.js';
import { METADATA_MAX_BYTES, parseXmlSafely, type ArtifactMetadataInfo } from './metadata-xml.js';
import { isSnapshotVersion, sortMavenVersions } from './version-order.js';

/** The checksum files asked for, in order: the first one the upstream has is the one checked. */
const CHECKSUM_ORDER: Algo[] = ['sha1', 'sha256', 'sha512', 'md5'];
const CHECKSUM_MAX_BYTES = 4096;

/** The path of a file below the upstream's base URL. */
export const upstreamFilePath = (f: ArtifactFile) =>
  [...f.groupId.split('.'), f.artifactId, f.version, f.file].map(encodeURIComponent).join('/');

/** The cache key of an artifact's maven-metadata.xml in upstream_document. */
export const metadataKey = (groupId: string, artifactId: string) => `maven-metadata:${groupId}:${artifactId}`;

/** The negative-cache key of a file the upstream answered 404/410 for. */
export const missingKey = (path: string) => `maven-missing:${path}`;

/** The upstream has no such file (404/410); not an error for the client but "not found". */
export class UpstreamNotFound extends Error {}

/** Bytes that do not match the upstream's checksum file. */
export class ChecksumMismatch extends Error {
  constructor(
    readonly algo: Algo,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${algo} mismatch`);
  }
}

/** The artifact-level maven-metadata.xml of `groupId:artifactId`, kept as its release versions (SNAPSHOTs are never taken). */
export function metadataFetcher(groupId: string, artifactId: string): DocumentFetcher {
  const path = [...groupId.split('.'), artifactId, 'maven-metadata.xml'].map(encodeURIComponent).join('/');
  return documentFetcher(path, { accept: 'application/xml, text/xml, */*', maxBytes: METADATA_MAX_BYTES, what: path }, (text, _res, client) => {
    const info = readUpstreamMetadata(text, groupId, artifactId, client.name);
    return info ? [JSON.stringify(info)] : null;
  });
}

/** The release versions an upstream's metadata lists (only ones Maven paths can name), or null when none. */
export function readUpstreamMetadata(text: string, groupId: string, artifactId: string, connection: string): ArtifactMetadataInfo | null {
  let doc: Record<string, unknown>;
  try {
    doc = parseXmlSafely(Buffer.from(text), 'maven-metadata.xml');
  } catch (e) {
    throw badGateway(`The upstream ${connection} sent a maven-metadata.xml for ${groupId}:${artifactId} that Hoard cannot read: ${(e as Error).message}`);
  }
  const m = (doc.metadata ?? {}) as Record<string, unknown>;
  const versioning = (m.versioning ?? {}) as Record<string, unknown>;
  const listed = ((versioning.versions ?? {}) as Record<string, unknown>).version;
  const groupDirs = groupId.split('.');
  const versions = sortMavenVersions(
    (Array.isArray(listed) ? listed : []).filter(
      (v): v is string => typeof v === 'string' && !isSnapshotVersion(v) && checkCoordinates(groupDirs, artifactId, v) === null,
    ),
  );
  if (versions.length === 0) return null;
  const last = versions[versions.length - 1];
  const stamp = typeof versioning.lastUpdated === 'string' && /^\d{14}$/.test(versioning.lastUpdated) ? versioning.lastUpdated : '19700101000000';
  return { versions, latest: last, release: last, lastUpdated: stamp };
}

/**
 * The file at `path`, streaming, checked against the upstream's checksum file: the stream fails
 * before its end with ChecksumMismatch when the bytes differ, so whoever stores it keeps nothing.
 * Throws UpstreamNotFound on 404/410, a 502/504 when the upstream fails or publishes no checksum
 * (signatures, `.asc`, may have none: a signature is checked by whoever verifies it).
 */
export async function fetchVerified(client: UpstreamClient, path: string): Promise<Readable> {
  // The first checksum file is asked for alongside the file (one round trip, not two in a row);
  // the others only once the file turned out to exist.
  const first = checksumRequest(client, path, CHECKSUM_ORDER[0]);
  first.catch(() => {});
  let res: UpstreamResponse;
  try {
    res = await client.get(path, { accept: '*/*' });
  } catch (e) {
    discard(first);
    throw e;
  }
  if (res.status !== 200) {
    res.body.destroy();
    discard(first);
    if (res.status === 404 || res.status === 410) throw new UpstreamNotFound(path);
    throw upstreamRefusal(client, res.status, path);
  }
  const expected = publishedChecksum(client, path, first);
  expected.catch(() => {}); // read in flush; an early failure must not go unhandled meanwhile
  const check = verifier(expected);
  pipeline(res.body, check, () => {});
  return check;
}

/** The upstream's checksum of `path` (the first of .sha1/.sha256/.sha512/.md5 it has), or null for a signature without one. */
async function publishedChecksum(client: UpstreamClient, path: string, first: Promise<UpstreamResponse>): Promise<{ algo: Algo; hex: string } | null> {
  for (const algo of CHECKSUM_ORDER) {
    const res = await (algo === CHECKSUM_ORDER[0] ? first : checksumRequest(client, path, algo));
    if (res.status === 404 || res.status === 410) {
      res.body.destroy();
      continue;
    }
    if (res.status !== 200) {
      res.body.destroy();
      throw upstreamRefusal(client, res.status, `${path}.${algo}`);
    }
    const hex = parseChecksumBody(await UpstreamClient.text(res, CHECKSUM_MAX_BYTES), algo);
    if (!hex) throw badGateway(`The upstream ${client.name} sent an unreadable ${algo} checksum for ${path}; nothing was kept.`);
    return { algo, hex };
  }
  if (path.endsWith('.asc')) return null;
  throw badGateway(`The upstream ${client.name} publishes no checksum (.sha1, .sha256, .sha512 or .md5) for ${path}; Hoard keeps nothing it cannot verify.`);
}

const checksumRequest = (client: UpstreamClient, path: string, algo: Algo) => client.get(`${path}.${algo}`, { accept: 'text/plain, */*' });

/** Drops a checksum answer nobody will read. */
const discard = (res: Promise<UpstreamResponse>) => void res.then((r) => r.body.destroy(), () => {});

/**
 * Hashes the bytes passing through with every algorithm the checksum might turn out to use, only
 * the one it uses once it is known, and compares at the end: a mismatch fails the stream.
 */
function verifier(expected: Promise<{ algo: Algo; hex: string } | null>): Transform {
  let hashes: Partial<Record<Algo, Hash>> = Object.fromEntries(CHECKSUM_ORDER.map((a) => [a, createHash(a)]));
  expected.then(
    (e) => {
      hashes = e ? { [e.algo]: hashes[e.algo] } : {};
    },
    () => {},
  );
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      for (const h of Object.values(hashes)) h.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      expected.then(
        (e) => {
          if (!e) return cb();
          const actual = hashes[e.algo]!.digest('hex');
          cb(actual === e.hex ? null : new ChecksumMismatch(e.algo, e.hex, actual));
        },
        (err: unknown) => cb(err as Error),
      );
    },
  });
}
