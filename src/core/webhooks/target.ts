// Where a webhook may point. A target URL is http(s) without credentials; the address Hoard
// connects to must be public unicast: loopback, private, link-local (cloud metadata included),
// unique-local, CGNAT and the other special ranges are refused unless HOARD_WEBHOOK_ALLOW_PRIVATE
// is true. The check runs at creation and again at connect time, on the address DNS gave for that
// very connection (a custom `lookup`), so a name that later resolves elsewhere (DNS rebinding)
// cannot reach the operator's network.
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { validation } from '../../errors.js';

export const MAX_URL_LENGTH = 2048;

/** The range an address is in: 'unicast' for public addresses, else ipaddr.js's name (loopback, private, linkLocal, ...). */
export function addressRange(address: string): string {
  if (!ipaddr.isValid(address)) return 'invalid';
  let a = ipaddr.parse(address);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
  return a.range();
}

export const isPublicAddress = (address: string) => addressRange(address) === 'unicast';

export class TargetRefused extends Error {
  readonly code = 'EHOARDTARGET';
}

export function refusal(host: string, address: string): TargetRefused {
  const via = host === address ? '' : ` (${host} resolves to it)`;
  return new TargetRefused(
    `refused to connect to ${address}${via}: a ${addressRange(address)} address. Hoard delivers webhooks only to public addresses unless HOARD_WEBHOOK_ALLOW_PRIVATE=true.`,
  );
}

/** Parses and checks the shape of a target URL; the message says what to fix. */
export function parseTargetUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) throw validation(`'url' must be at most ${MAX_URL_LENGTH} characters.`);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw validation(`'url' is not a URL: ${JSON.stringify(raw.slice(0, 100))}.`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw validation(`'url' must start with https:// or http://, not ${u.protocol}//.`);
  if (u.username || u.password) throw validation("'url' must not carry credentials; receivers verify the webhook-signature header instead.");
  if (u.hash) throw validation("'url' must not have a #fragment.");
  return u;
}

export const hostOf = (u: URL) => u.hostname.replace(/^\[|\]$/g, '');

/** At creation (and update): the host must not be, or resolve to, a refused address. */
export async function checkTarget(u: URL, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = hostOf(u);
  const addresses = net.isIP(host)
    ? [host]
    : await dns.promises.lookup(host, { all: true, verbatim: true }).then(
        (r) => r.map((a) => a.address),
        () => [] as string[], // unresolvable today: checked again at every delivery
      );
  const bad = addresses.find((a) => !isPublicAddress(a));
  if (bad) throw validation(`'url' is not allowed: ${refusal(host, bad).message}`);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** A `lookup` for http.request that refuses names resolving to refused addresses (connect-time check). */
export function checkedLookup(allowPrivate: () => boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as dns.LookupAddress[];
      if (!allowPrivate()) {
        const bad = list.find((a) => !isPublicAddress(a.address));
        if (bad) return callback(refusal(hostname, bad.address) as NodeJS.ErrnoException, []);
      }
      if (options.all) callback(null, list);
      else callback(null, list[0].address, list[0].family);
    });
  };
}
