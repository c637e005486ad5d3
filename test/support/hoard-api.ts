// Calls Hoard's own API (service `hoard`, SigV4) from tests and answers status, error type and
// JSON, so a test can say what each bad input gets.
import { send } from '../../src/cli/client.js';

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
    const r = await send({ endpoint: base.url, region: 'us-east-1', credentials: creds }, 'hoard', method, path, query, body);
    return r as ApiAnswer;
  };
}
