// `hoard login --tool npm|pip|twine|maven|gradle`: gets a token and an endpoint, then configures
// the tool. npm, pip and twine get exactly what `aws codeartifact login` writes; Maven and Gradle,
// which the aws CLI does not cover, get settings.xml entries and a gradle.properties pair.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call, CliError, type ClientOptions } from './client.js';
import {
  gradleProperties,
  gradleRepositoryKts,
  gradleRepositoryName,
  mavenDistributionXml,
  mavenProfileXml,
  mavenServerId,
  mavenServerXml,
  npmAuthKey,
  pipIndexUrl,
} from '../core/client-config.js';

export type Tool = 'npm' | 'pip' | 'twine' | 'maven' | 'gradle';
const FORMAT: Record<Tool, string> = { npm: 'npm', pip: 'pypi', twine: 'pypi', maven: 'maven', gradle: 'maven' };

export interface LoginOptions {
  tool: Tool;
  domain: string;
  repository: string;
  domainOwner?: string;
  namespace?: string;
  durationSeconds?: number;
  dryRun?: boolean;
  /** Maven: settings.xml to write (default ~/.m2/settings.xml) */
  settingsFile?: string;
  home?: string;
}

export interface LoginResult {
  endpoint: string;
  token: string;
  expiration: Date;
  wrote: string[];
  commands: string[][];
  snippet?: string;
}

export async function login(client: ClientOptions, o: LoginOptions): Promise<LoginResult> {
  if (!(o.tool in FORMAT)) throw new CliError(`--tool must be one of ${Object.keys(FORMAT).join(', ')}`);
  const tok = await call(client, 'codeartifact', 'POST', '/v1/authorization-token', {
    domain: o.domain,
    'domain-owner': o.domainOwner,
    duration: o.durationSeconds ? String(o.durationSeconds) : undefined,
  });
  const ep = await call(client, 'codeartifact', 'GET', '/v1/repository/endpoint', {
    domain: o.domain,
    'domain-owner': o.domainOwner,
    repository: o.repository,
    format: FORMAT[o.tool],
  });
  const token = tok.authorizationToken as string;
  const endpoint = ep.repositoryEndpoint as string;
  const result: LoginResult = { endpoint, token, expiration: new Date((tok.expiration as number) * 1000), wrote: [], commands: [] };
  const home = o.home ?? os.homedir();
  switch (o.tool) {
    case 'npm':
      return npm(result, o);
    case 'pip':
      return pip(result, o);
    case 'twine':
      return twine(result, o, home);
    case 'maven':
      return maven(result, o, home);
    case 'gradle':
      return gradle(result, o, home);
  }
}

function run(result: LoginResult, o: LoginOptions, cmd: string[], ignoreErrors = false) {
  result.commands.push(cmd);
  if (o.dryRun) return;
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if ((r.error || r.status !== 0) && !ignoreErrors)
    throw new CliError(`${cmd.slice(0, 3).join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
}

function npm(result: LoginResult, o: LoginOptions): LoginResult {
  const hostPath = npmAuthKey(result.endpoint);
  if (o.namespace) {
    const scope = o.namespace.startsWith('@') ? o.namespace : `@${o.namespace}`;
    if (!/^@[a-z0-9-~][a-z0-9-._~]*$/.test(scope)) throw new CliError(`Invalid npm scope ${scope}`);
    run(result, o, ['npm', 'config', 'set', `${scope}:registry`, result.endpoint]);
  } else {
    run(result, o, ['npm', 'config', 'set', 'registry', result.endpoint]);
  }
  // As the aws CLI does: npm 9+ rejects always-auth, so its failure is ignored.
  run(result, o, ['npm', 'config', 'set', `${hostPath}:always-auth`, 'true'], true);
  run(result, o, ['npm', 'config', 'set', `${hostPath}:_authToken`, result.token]);
  return result;
}

function pip(result: LoginResult, o: LoginOptions): LoginResult {
  const index = pipIndexUrl(result.endpoint, result.token);
  run(result, o, ['pip', 'config', 'set', 'global.index-url', index]);
  return result;
}

function twine(result: LoginResult, o: LoginOptions, home: string): LoginResult {
  // Merged and written as the aws CLI does it, through Python's configparser: `key = value`,
  // continuation lines indented with a tab, a blank line after each section.
  const file = path.join(home, '.pypirc');
  const ini = existsSync(file) ? parseIni(readFileSync(file, 'utf8')) : new Map<string, Map<string, string>>();
  const distutils = ini.get('distutils') ?? new Map<string, string>();
  const servers = (distutils.get('index-servers') ?? 'pypi').split(/\s+/).filter(Boolean);
  if (!servers.includes('codeartifact')) servers.push('codeartifact');
  distutils.set('index-servers', `\n${servers.join('\n')}`);
  ini.set('distutils', distutils);
  const section = ini.get('codeartifact') ?? new Map<string, string>();
  section.set('repository', result.endpoint);
  section.set('username', 'aws');
  section.set('password', result.token);
  ini.set('codeartifact', section);
  if (!o.dryRun) {
    writeFileSync(file, formatIni(ini), { mode: 0o600 });
    chmodSync(file, 0o600);
    result.wrote.push(file);
  }
  return result;
}

function maven(result: LoginResult, o: LoginOptions, home: string): LoginResult {
  const id = mavenServerId(o.domain, o.repository);
  const server = mavenServerXml(id, result.token);
  const profile = mavenProfileXml(id, result.endpoint);
  const file = o.settingsFile ?? path.join(home, '.m2', 'settings.xml');
  result.snippet = mavenDistributionXml(id, result.endpoint);
  if (o.dryRun) return result;
  let xml = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '<?xml version="1.0" encoding="UTF-8"?>\n<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">\n</settings>\n';
  xml = upsertBlock(xml, 'servers', 'server', id, server);
  xml = upsertBlock(xml, 'profiles', 'profile', id, profile);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, xml, { mode: 0o600 });
  chmodSync(file, 0o600);
  result.wrote.push(file);
  return result;
}

/** Replaces the <tag> with <id>id</id> inside <section>, or adds it (creating the section). */
function upsertBlock(xml: string, section: string, tag: string, id: string, block: string): string {
  const existing = new RegExp(`\\s*<${tag}>\\s*<id>${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</id>[\\s\\S]*?</${tag}>`);
  if (existing.test(xml)) return xml.replace(existing, `\n${block}`);
  if (xml.includes(`</${section}>`)) return xml.replace(`</${section}>`, `${block}\n  </${section}>`);
  if (!xml.includes('</settings>')) throw new CliError('The settings file has no </settings> element; fix or remove it first.');
  return xml.replace('</settings>', `  <${section}>\n${block}\n  </${section}>\n</settings>`);
}

function gradle(result: LoginResult, o: LoginOptions, home: string): LoginResult {
  const name = gradleRepositoryName(o.domain, o.repository);
  const file = path.join(process.env.GRADLE_USER_HOME ?? path.join(home, '.gradle'), 'gradle.properties');
  result.snippet = gradleRepositoryKts(name, result.endpoint);
  if (o.dryRun) return result;
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  const kept = lines.filter((l) => !l.startsWith(`${name}Username=`) && !l.startsWith(`${name}Password=`) && l !== '');
  kept.push(...gradleProperties(name, result.token));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${kept.join('\n')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  result.wrote.push(file);
  return result;
}

function parseIni(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section: Map<string, string> | null = null;
  let lastKey: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const s = /^\[([^\]]+)\]\s*$/.exec(line);
    if (s) {
      section = out.get(s[1]) ?? new Map();
      out.set(s[1], section);
      lastKey = null;
    } else if (section && /^\s+\S/.test(line) && lastKey) {
      section.set(lastKey, `${section.get(lastKey)}\n${line}`); // continuation line
    } else if (section) {
      const kv = /^([^=:#;\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(line);
      if (kv) {
        lastKey = kv[1];
        section.set(kv[1], kv[2]);
      }
    }
  }
  return out;
}

function formatIni(ini: Map<string, Map<string, string>>): string {
  return [...ini]
    .map(([name, kv]) => `[${name}]\n${[...kv].map(([k, v]) => `${k} = ${v.replace(/\n/g, '\n\t')}\n`).join('')}\n`)
    .join('');
}
