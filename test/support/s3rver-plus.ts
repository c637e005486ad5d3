// An in-process s3rver with the three multipart calls it lacks and the temp sweep uses:
// ListMultipartUploads (GET /{bucket}?uploads), ListParts (GET /{bucket}/{key}?uploadId=) and
// AbortMultipartUpload (DELETE /{bucket}/{key}?uploadId=), answered from s3rver's own upload
// folders ({dir}/{bucket}/._S3rver_uploads/{uploadId}/: `key`, one file per part). The times it
// reports are the files' mtimes, so a test can age an upload with utimes, as it ages objects
// (s3rver's LastModified is the object file's mtime).
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

interface KoaCtx {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  status: number;
  type: string;
  body: unknown;
}
type Middleware = (ctx: KoaCtx, next: () => Promise<void>) => Promise<void>;
interface S3rverInstance {
  middleware: Middleware[];
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections?: () => void };
}
const requireCjs = createRequire(import.meta.url);
requireCjs('./s3rver.cjs'); // s3rver with its temp-folder race removed
const S3rver = requireCjs('s3rver') as new (opts: Record<string, unknown>) => S3rverInstance;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export class S3rverPlus {
  private constructor(
    private readonly server: S3rverInstance,
    readonly dir: string,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<S3rverPlus> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hoard-s3rver-plus-'));
    const server = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true });
    const plus = { dir } as { dir: string };
    server.middleware.unshift((ctx, next) => multipartCalls(plus.dir, ctx, next));
    const addr = await server.run();
    return new S3rverPlus(server, dir, `http://127.0.0.1:${addr.port}`);
  }

  s3(bucket: string) {
    return { endpoint: this.endpoint, bucket, accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1' };
  }

  /** Backdates an object (its LastModified) by ageMs. */
  async ageObject(bucket: string, key: string, ageMs: number): Promise<void> {
    const parts = key.split('/');
    const last = parts.pop()!;
    const t = new Date(Date.now() - ageMs);
    await utimes(path.join(this.dir, bucket, ...parts, `${last}._S3rver_object`), t, t);
  }

  /** Backdates every multipart upload of a bucket by ageMs: its Initiated time, and its parts' LastModified unless `parts: false`. */
  async ageUploads(bucket: string, ageMs: number, opts: { parts?: boolean } = {}): Promise<void> {
    const t = new Date(Date.now() - ageMs);
    const root = uploadsDir(this.dir, bucket);
    for (const id of await readdir(root).catch(() => [] as string[])) {
      for (const f of await readdir(path.join(root, id))) {
        if (f === 'key' || opts.parts !== false) await utimes(path.join(root, id, f), t, t);
      }
    }
  }

  /** Number of parts uploaded to each unfinished multipart upload. */
  async partCounts(bucket: string): Promise<number[]> {
    const root = uploadsDir(this.dir, bucket);
    const out: number[] = [];
    for (const id of (await readdir(root).catch(() => [] as string[])).sort()) {
      out.push((await readdir(path.join(root, id))).filter((f) => /^[0-9]+$/.test(f)).length);
    }
    return out;
  }

  /** Ids of the multipart uploads not completed or aborted. */
  async uploads(bucket: string): Promise<string[]> {
    return (await readdir(uploadsDir(this.dir, bucket)).catch(() => [] as string[])).sort();
  }

  async stop(): Promise<void> {
    this.server.httpServer?.closeAllConnections?.();
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const uploadsDir = (dir: string, bucket: string) => path.join(dir, bucket, '._S3rver_uploads');

async function multipartCalls(dir: string, ctx: KoaCtx, next: () => Promise<void>): Promise<void> {
  const [, bucket, ...rest] = ctx.path.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const uploadId = ctx.query.uploadId;
  const xml = (body: string, status = 200) => {
    ctx.status = status;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  };
  if (ctx.method === 'GET' && !key && 'uploads' in ctx.query) {
    const prefix = ctx.query.prefix ?? '';
    const root = uploadsDir(dir, bucket);
    const uploads: string[] = [];
    for (const id of (await readdir(root).catch(() => [] as string[])).sort()) {
      const k = await readFile(path.join(root, id, 'key'), 'utf8').catch(() => null);
      if (k === null || !k.startsWith(prefix)) continue;
      const initiated = (await stat(path.join(root, id, 'key'))).mtime.toISOString();
      uploads.push(`<Upload><Key>${esc(k)}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`);
    }
    return xml(
      `<ListMultipartUploadsResult><Bucket>${esc(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`,
    );
  }
  if (key && uploadId && (ctx.method === 'GET' || ctx.method === 'DELETE')) {
    const up = path.join(uploadsDir(dir, bucket), path.basename(uploadId));
    const files = await readdir(up).catch(() => null);
    if (!files) return xml(`<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`, 404);
    if (ctx.method === 'DELETE') {
      await rm(up, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    const parts: string[] = [];
    for (const f of files.filter((n) => /^[0-9]+$/.test(n)).sort((a, b) => Number(a) - Number(b))) {
      const st = await stat(path.join(up, f));
      const md5 = await readFile(path.join(up, `${f}.md5`), 'utf8').catch(() => '');
      parts.push(`<Part><PartNumber>${f}</PartNumber><LastModified>${st.mtime.toISOString()}</LastModified><ETag>"${md5}"</ETag><Size>${st.size}</Size></Part>`);
    }
    return xml(`<ListPartsResult><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`);
  }
  return next();
}
