// Access-key secrets must be recoverable (SigV4 needs them on the server), so they are
// encrypted with AES-256-GCM under the master key rather than hashed.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export function sealSecret(masterKey: Buffer, secret: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', masterKey, iv);
  const body = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
  return [VERSION, iv.toString('base64'), c.getAuthTag().toString('base64'), body.toString('base64')].join('.');
}

export function openSecret(masterKey: Buffer, sealed: string): string {
  const [v, iv, tag, body] = sealed.split('.');
  if (v !== VERSION || !iv || !tag || body === undefined) throw new Error('sealed secret: unknown format');
  const d = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64'));
  d.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8');
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** AWS-looking key ids: 'AKIA' (root/users alike here) + 16 base32 characters. */
export function newAccessKeyId(): string {
  const b = randomBytes(16);
  let s = 'AKIA';
  for (let i = 0; i < 16; i++) s += KEY_ALPHABET[b[i] % 32];
  return s;
}

export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64').replace(/\+/g, 'x').replace(/\//g, 'y');
}

export function newAccountId(): string {
  const b = randomBytes(12);
  let s = String(1 + (b[0] % 9));
  for (let i = 1; i < 12; i++) s += String(b[i] % 10);
  return s;
}
