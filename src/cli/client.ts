// A small signed HTTP client for Hoard's own CLI: the control plane (service codeartifact) and
// the admin API (service hoard), with credentials from the environment like the aws CLI.
import { signRequest } from '../auth/sigv4.js';

export class CliError extends Error {}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ClientOptions {
  endpoint: string;
  region: string;
  credentials: Credentials;
}

export function clientOptionsFromEnv(endpointFlag: string | undefined, env = process.env): ClientOptions {
  const accessKeyId = env.HOARD_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.HOARD_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new CliError(
      'No credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or HOARD_ACCESS_KEY_ID and HOARD_SECRET_ACCESS_KEY) to an access key Hoard printed or created.',
    );
  const endpoint = (endpointFlag ?? env.HOARD_ENDPOINT_URL ?? `http://127.0.0.1:${env.HOARD_PORT ?? 8080}`).replace(/\/+$/, '');
  const region = env.HOARD_REGION ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return { endpoint, region, credentials: { accessKeyId, secretAccessKey } };
}

/** A signed request to Hoard's APIs, answered as it came: status, AWS error type and JSON body. */
export async function send(
  opts: ClientOptions,
  service: 'codeartifact' | 'hoard',
  method: string,
  path: string,
  query: Record<string, string | undefined> = {},
  body?: unknown,
): Promise<{ status: number; type: string | null; json: Record<string, unknown> }> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, v);
  const url = `${opts.endpoint}${path}${qs.size ? `?${qs.toString().replace(/\+/g, '%20')}` : ''}`;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = await signRequest({
    method,
    url,
    headers: payload ? { 'content-type': 'application/json' } : {},
    body: payload,
    accessKeyId: opts.credentials.accessKeyId,
    secretAccessKey: opts.credentials.secretAccessKey,
    region: opts.region,
    service,
  });
  delete headers.host; // fetch sets it from the URL
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: payload });
  } catch (e) {
    throw new CliError(`Cannot reach Hoard at ${opts.endpoint}: ${(e as Error).cause ?? (e as Error).message}`);
  }
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new CliError(`Hoard answered ${res.status} with a non-JSON body: ${text.slice(0, 200)}`);
  }
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), json };
}

/** send(), with an error answer thrown as a CliError naming its type and message. */
export async function call(...args: Parameters<typeof send>): Promise<Record<string, unknown>> {
  const r = await send(...args);
  if (r.status < 200 || r.status >= 300) throw new CliError(`${r.type ?? r.status}: ${r.json.message ?? JSON.stringify(r.json)}`);
  return r.json;
}
