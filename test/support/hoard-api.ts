// Calls Hoard's own API (service `hoard`, SigV4) from tests and answers status, error type and
// JSON, so a test can say what each bad input gets.
import { signRequest } from '../../src/auth/sigv4.js';

export interface ApiAnswer {
  status: number;
  type: string | null;
  json: Record<string, any>;
}

export function hoardApi(base: { url: string; accessKeyId: string; secretAccessKey: string }) {
  return async (
    method: string,
    path: string,
    query: Record<string, string | undefined> = {},
    body?: unknown,
    creds: { accessKeyId: string; secretAccessKey: string } = base,
  ): Promise<ApiAnswer> => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, v);
    const url = `${base.url}${path}${qs.size ? `?${qs.toString().replace(/\+/g, '%20')}` : ''}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = await signRequest({
      method,
      url,
      headers: payload ? { 'content-type': 'application/json' } : {},
      body: payload,
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      region: 'us-east-1',
      service: 'hoard',
    });
    delete headers.host;
    const res = await fetch(url, { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('x-amzn-errortype'), json: text ? JSON.parse(text) : {} };
  };
}
