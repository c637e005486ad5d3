#!/usr/bin/env node
// The `hoard` command: serve, login, admin, audit, webhooks.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';
import { StartupWaitError } from './outage.js';
import { call, CliError, clientOptionsFromEnv } from './cli/client.js';
import { login, type Tool } from './cli/login.js';
import { AUDIT_USAGE, auditCommand } from './cli/audit.js';
import { webhooksCommand, WEBHOOKS_USAGE } from './cli/webhooks.js';

const USAGE = `usage:
  hoard serve
  hoard login --tool npm|pip|twine|maven|gradle --domain D --repository R
              [--domain-owner ID] [--namespace SCOPE] [--duration-seconds N]
              [--settings FILE] [--endpoint-url URL] [--dry-run] [--json]
  hoard admin create-account [--account-id ID] [--json]
  hoard admin create-user --user-name NAME [--account ID] [--json]
  hoard admin delete-user --user-name NAME [--account ID] [--json]
  hoard admin create-access-key [--user-name NAME] [--account ID] [--json]
  hoard admin delete-access-key --access-key-id KEY [--account ID] [--json]
  hoard admin put-user-policy --user-name NAME --policy-document JSON|file://PATH [--account ID] [--json]
${AUDIT_USAGE}
${WEBHOOKS_USAGE}
Credentials for login, admin, audit and webhooks come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
(or HOARD_ACCESS_KEY_ID / HOARD_SECRET_ACCESS_KEY); the server from --endpoint-url or HOARD_ENDPOINT_URL.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve();
    case 'login':
      return loginCommand(rest);
    case 'admin':
      return adminCommand(rest);
    case 'audit':
      return auditCommand(rest);
    case 'webhooks':
      return webhooksCommand(rest);
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`hoard: unknown command ${command}\n${USAGE}`);
      return 2;
  }
}

async function serve(): Promise<number> {
  // Everything the server writes is private to its user (keys, blobs, temporary files, what PGlite
  // creates): set before any file is opened, the embedded database included.
  process.umask(0o077);
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`hoard: configuration error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  let server;
  try {
    server = await startServer(config);
  } catch (e) {
    if (e instanceof StartupWaitError) {
      console.error(`hoard: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const url = config.publicUrl;
  const b = server.bootstrap;
  const lines = [`Hoard is listening on ${server.url} (public URL ${url}); data in ${config.databaseUrl ? 'PostgreSQL' : config.dataDir}, blobs on ${config.s3 ? 'S3' : 'disk'}.`];
  if (b?.generated) {
    lines.push(
      '',
      'First start: created the operator account. Its root credentials are shown ONCE; store them now:',
      `  export AWS_ACCESS_KEY_ID=${b.accessKeyId}`,
      `  export AWS_SECRET_ACCESS_KEY=${b.secretAccessKey}`,
      `  export AWS_DEFAULT_REGION=${config.region}`,
      `  # account id ${b.accountId}`,
    );
  } else if (b) {
    lines.push('', `First start: created the operator account ${b.accountId} with the root key from HOARD_ROOT_ACCESS_KEY_ID.`);
  }
  lines.push(
    '',
    'To log in, with those credentials exported:',
    `  aws codeartifact create-domain --domain my-domain --endpoint-url ${url}`,
    `  aws codeartifact create-repository --domain my-domain --repository my-repo --endpoint-url ${url}`,
    `  npx hoard login --tool npm --domain my-domain --repository my-repo --endpoint-url ${url}`,
    `  (or: aws codeartifact login --tool npm|pip|twine --domain my-domain --repository my-repo --endpoint-url ${url})`,
  );
  console.log(lines.join('\n'));
  const stop = (signal: string) => {
    server.services.log.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return -1; // keep running
}

async function loginCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      tool: { type: 'string' },
      domain: { type: 'string' },
      repository: { type: 'string' },
      'domain-owner': { type: 'string' },
      namespace: { type: 'string' },
      'duration-seconds': { type: 'string' },
      settings: { type: 'string' },
      'endpoint-url': { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (!values.tool || !values.domain || !values.repository) throw new CliError(`login needs --tool, --domain and --repository\n${USAGE}`);
  const r = await login(clientOptionsFromEnv(values['endpoint-url']), {
    tool: values.tool as Tool,
    domain: values.domain,
    repository: values.repository,
    domainOwner: values['domain-owner'],
    namespace: values.namespace,
    durationSeconds: values['duration-seconds'] ? Number(values['duration-seconds']) : undefined,
    settingsFile: values.settings,
    dryRun: values['dry-run'],
  });
  if (values.json) {
    console.log(JSON.stringify({ ...r, expiration: r.expiration.toISOString() }, null, 2));
    return 0;
  }
  if (values['dry-run']) for (const c of r.commands) console.log(c.join(' '));
  if (r.snippet) console.log(r.snippet);
  for (const f of r.wrote) console.log(`Wrote ${f}`);
  console.log(`Successfully configured ${values.tool} to use Hoard repository ${r.endpoint}`);
  console.log(`Login expires at ${r.expiration.toISOString()}`);
  return 0;
}

async function adminCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      'account-id': { type: 'string' },
      account: { type: 'string' },
      'user-name': { type: 'string' },
      'access-key-id': { type: 'string' },
      'policy-document': { type: 'string' },
      'endpoint-url': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const opts = clientOptionsFromEnv(values['endpoint-url']);
  const need = (k: keyof typeof values) => {
    const v = values[k];
    if (typeof v !== 'string' || !v) throw new CliError(`admin ${sub} needs --${k}`);
    return v;
  };
  let out: Record<string, unknown>;
  switch (sub) {
    case 'create-account':
      out = await call(opts, 'hoard', 'POST', '/admin/v1/accounts', { accountId: values['account-id'] }, {});
      break;
    case 'create-user':
      out = await call(opts, 'hoard', 'POST', '/admin/v1/users', { account: values.account, userName: need('user-name') }, {});
      break;
    case 'delete-user':
      out = await call(opts, 'hoard', 'DELETE', '/admin/v1/users', { account: values.account, userName: need('user-name') });
      break;
    case 'create-access-key':
      out = await call(opts, 'hoard', 'POST', '/admin/v1/access-keys', { account: values.account, userName: values['user-name'] }, {});
      break;
    case 'delete-access-key':
      out = await call(opts, 'hoard', 'DELETE', '/admin/v1/access-keys', { account: values.account, accessKeyId: need('access-key-id') });
      break;
    case 'put-user-policy': {
      const raw = need('policy-document');
      const doc = raw.startsWith('file://') ? readFileSync(raw.slice(7), 'utf8') : raw;
      out = await call(opts, 'hoard', 'PUT', '/admin/v1/user-policy', { account: values.account, userName: need('user-name') }, { policyDocument: doc });
      break;
    }
    default:
      throw new CliError(`unknown admin command ${sub ?? ''}\n${USAGE}`);
  }
  if (values.json) console.log(JSON.stringify(out, null, 2));
  else console.log(humanize(sub, out));
  return 0;
}

function humanize(sub: string, out: Record<string, unknown>): string {
  const flat = (o: unknown, prefix = ''): string[] =>
    o && typeof o === 'object'
      ? Object.entries(o).flatMap(([k, v]) => flat(v, prefix ? `${prefix}.${k}` : k))
      : [`${prefix}: ${String(o)}`];
  const lines = flat(out);
  return lines.length ? lines.join('\n') : `${sub}: done`;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e) => {
    if (e instanceof CliError) {
      console.error(`hoard: ${e.message}`);
      process.exitCode = 1;
    } else {
      console.error(e);
      process.exitCode = 1;
    }
  },
);
