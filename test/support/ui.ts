// The web UI tests' shared world: one domain with an anonymous-readable repository (`public`),
// one that alice may read and manage (`private`), one only root reads (`secret`); an npm package
// with a hostile readme in `private`; and helpers to sign in over HTTP and read pages.
import { CreateDomainCommand, CreateRepositoryCommand, GetAuthorizationTokenCommand, PutRepositoryPermissionsPolicyCommand } from '@aws-sdk/client-codeartifact';
import type { TestHoard } from './hoard.js';
import { makeTgz, publishBody } from '../integration/npm-support.js';

export const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** Everything a script in the readme could do sets window.__pwned; the tests assert it stays unset. */
export const HOSTILE_README = [
  '# Widget',
  '',
  'A widget for **testing**. See [the docs](https://docs.invalid/widget).',
  '',
  '<script>window.__pwned = "script"</script>',
  '',
  '[click me](javascript:window.__pwned="link")',
  '',
  '<img src="x" onerror="window.__pwned=\'onerror\'">',
  '',
  '![pic](x" onerror="window.__pwned=\'attr\')',
  '',
  '<iframe src="javascript:parent.__pwned=\'iframe\'"></iframe>',
  '',
  '<a href="javascript:window.__pwned=\'raw-a\'">raw link</a>',
  '',
  '[data](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19wd25lZD0nZGF0YSc8L3NjcmlwdD4=)',
].join('\n');

export interface UiWorld {
  domain: string;
  alice: { accessKeyId: string; secretAccessKey: string };
  bob: { accessKeyId: string; secretAccessKey: string };
  token: string;
  tgz: Buffer;
  seg: string;
}

export async function uiWorld(h: TestHoard): Promise<UiWorld> {
  const sdk = h.sdk();
  const domain = 'acme';
  const A = h.accountId;
  await sdk.send(new CreateDomainCommand({ domain }));
  await sdk.send(new CreateRepositoryCommand({ domain, repository: 'secret', description: 'Root only' }));
  await sdk.send(new CreateRepositoryCommand({ domain, repository: 'public', description: 'Everyone reads this' }));
  await sdk.send(
    new CreateRepositoryCommand({ domain, repository: 'private', description: 'The team <b>libs</b>', upstreams: [{ repositoryName: 'public' }, { repositoryName: 'secret' }] }),
  );
  await sdk.send(
    new PutRepositoryPermissionsPolicyCommand({
      domain,
      repository: 'public',
      policyDocument: policy([{ Effect: 'Allow', Principal: '*', Action: 'codeartifact:ReadFromRepository', Resource: '*' }]),
    }),
  );
  const id = h.server.services.identity;
  await id.createUser(A, 'alice');
  await id.putUserPolicy(
    A,
    'alice',
    policy([
      {
        Effect: 'Allow',
        Action: ['codeartifact:ReadFromRepository', 'codeartifact:UpdatePackageVersionsStatus', 'codeartifact:GetAuthorizationToken', 'codeartifact:DescribeDomain'],
        Resource: '*',
      },
      { Effect: 'Deny', Action: 'codeartifact:*', Resource: `arn:aws:codeartifact:us-east-1:${A}:repository/${domain}/secret` },
      { Effect: 'Deny', Action: 'codeartifact:*', Resource: `arn:aws:codeartifact:us-east-1:${A}:package/${domain}/secret/*` },
    ]),
  );
  await id.createUser(A, 'bob');
  await id.putUserPolicy(A, 'bob', policy([{ Effect: 'Allow', Action: 'codeartifact:ReadFromRepository', Resource: '*' }]));
  const ak = await id.createAccessKey(A, 'alice');
  const bk = await id.createAccessKey(A, 'bob');
  const token = (await sdk.send(new GetAuthorizationTokenCommand({ domain }))).authorizationToken!;
  const npm = (repo: string) => `${h.url}/npm/d/${domain}-${A}/${repo}/`;
  const pj = { name: 'widget', version: '1.0.0', description: 'A widget', readme: HOSTILE_README, dependencies: { leftpad: '^1.0.0' } };
  const tgz = await makeTgz(pj);
  for (const [repo, p, t] of [
    ['private', pj, tgz],
    ['private', { ...pj, version: '1.1.0' }, await makeTgz({ ...pj, version: '1.1.0' })],
    ['public', { name: 'open-thing', version: '2.0.0', readme: '# Open' }, await makeTgz({ name: 'open-thing', version: '2.0.0' })],
    ['secret', { name: 'classified', version: '0.0.1' }, await makeTgz({ name: 'classified', version: '0.0.1' })],
  ] as const) {
    const r = await fetch(`${npm(repo)}${p.name}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(publishBody(p as { name: string; version: string }, t as Buffer, { tag: p.version === '1.1.0' ? 'next' : 'latest' })),
    });
    if (r.status !== 200 && r.status !== 201) throw new Error(`publish ${p.name}@${p.version}: ${r.status} ${await r.text()}`);
  }
  return { domain, alice: ak, bob: bk, token, tgz, seg: `${domain}-${A}` };
}

/** A signed-in HTTP client: its session cookie and CSRF token, and page fetches with them. */
export interface UiClient {
  cookie: string;
  setCookie: string;
  csrf: string;
  get(path: string): Promise<{ status: number; text: string; headers: Headers }>;
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<{ status: number; text: string; headers: Headers }>;
}

export async function page(h: TestHoard, path: string, cookie?: string) {
  const r = await fetch(`${h.url}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

export async function postForm(h: TestHoard, path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const r = await fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.url, ...headers },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

export async function signIn(h: TestHoard, form: Record<string, string>): Promise<UiClient> {
  const r = await postForm(h, '/ui/signin', form);
  if (r.status !== 303) throw new Error(`sign-in: ${r.status} ${r.text}`);
  const setCookie = r.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0];
  const home = await page(h, '/ui/', cookie);
  const csrf = /name="csrf" value="([^"]+)"/.exec(home.text)?.[1] ?? '';
  return {
    cookie,
    setCookie,
    csrf,
    get: (path) => page(h, path, cookie),
    post: (path, form, headers = {}) => postForm(h, path, form, { cookie, ...headers }),
  };
}
