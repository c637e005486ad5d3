// Every parser that runs a regular expression over what a client sends, fed adversarial strings:
// long runs of each interesting character (space, newline, separators, quotes, name characters...)
// followed by a character that makes the match fail, which is what drives a backtracking pattern
// into quadratic or worse time. Each call must stay far below a generous bound: linear work on
// these sizes takes milliseconds, a quadratic pattern seconds (`/\n+$/` over 50,000 newlines:
// about 3 s), a cubic one hours. Refusals (thrown errors) are fine: only time is judged here.
// Sizes follow what can reach each parser: a request path or header is at most Node's 16 KiB of
// headers (and has no line breaks or control characters when raw), a body is larger.
import { describe, expect, it } from 'vitest';
import { parseCoreMetadata, dependencies } from '../../src/formats/pypi/metadata.js';
import { canonicalVersion, compareVersions, isValidName, normalize, parseFileName } from '../../src/formats/pypi/names.js';
import { negotiate } from '../../src/formats/pypi/simple.js';
import { parseRange } from '../../src/formats/shared/range.js';
import { parseDomainSegment } from '../../src/formats/shared/endpoint.js';
import { parseChecksumBody, parseMavenPath } from '../../src/formats/maven/layout.js';
import { readPom, readUploadedMetadata } from '../../src/formats/maven/metadata-xml.js';
import { checkTag, parseName, splitPackagePath, versionFromFile } from '../../src/formats/npm/names.js';
import { checkIntegrity, decodeAttachment } from '../../src/formats/npm/tarball.js';
import { check, parseResourceArn, RULES, type RuleName } from '../../src/core/names.js';
import { checkGenericAssetName } from '../../src/core/generic.js';
import { decodePatternFromArn, parsePattern } from '../../src/core/package-group-pattern.js';
import { parsePolicy } from '../../src/auth/policy.js';
import { verifySigV4 } from '../../src/auth/sigv4.js';
import { renderReadme } from '../../src/ui/readme.js';
import { escapeHtml } from '../../src/ui/html.js';

const BOUND_MS = 1_000;
const PIECES = [' ', '\t', '\n', '\r\n', '\u2028', '-', '.', '_', '/', '\\', 'a', 'A', '0', '=', '@', ':', '*', '?', '%2f', '%', '(',
  ')', '[', ']', '"', "'", '<', '>', '!', ',', ';', '+', '~', 'a/', '-a', '.0', ' a', '=a', 'a=', '/-', '[a]', '("'];
const ENDS = ['', '!', '\n', '\nx', '/', ' ', '\u0000', ']', ')'];

type Kind = 'body' | 'line' | 'rawpath';
/** What can reach a parser: any text (bodies, decoded path segments), one header line, a raw URL path. */
const allowed: Record<Kind, (s: string) => boolean> = {
  body: () => true,
  line: (s) => !/[\r\n\0\u2028]/.test(s),
  rawpath: (s) => /^[\x21-\x7e]*$/.test(s),
};

function* attacks(kind: Kind, n: number): Generator<string> {
  for (const p of PIECES)
    for (const end of ENDS) {
      const s = p.repeat(Math.ceil(n / p.length)) + end;
      if (allowed[kind](s)) yield s;
    }
}

interface Subject {
  name: string;
  kind: Kind;
  n: number;
  run: (s: string) => unknown;
}

const META = 'Metadata-Version: 2.1\nName: a\nVersion: 1\n';
const swallow = (fn: () => unknown) => {
  try {
    const r = fn();
    if (r instanceof Promise) r.catch(() => undefined);
  } catch {
    /* a refusal is an answer */
  }
};

const SUBJECTS: Subject[] = [
  // PyPI: uploaded core metadata, form fields, request headers and paths
  { name: 'pypi METADATA body', kind: 'body', n: 50_000, run: (s) => parseCoreMetadata(Buffer.from(`${META}\n${s}`), 'M') },
  { name: 'pypi METADATA folded Description', kind: 'body', n: 50_000, run: (s) => parseCoreMetadata(Buffer.from(`${META}Description: x\n ${s}`), 'M') },
  { name: 'pypi Requires-Dist', kind: 'body', n: 50_000, run: (s) => dependencies(parseCoreMetadata(Buffer.from(`${META}Requires-Dist: a${s}\n`), 'M')) },
  { name: 'pypi Requires-Dist continued', kind: 'body', n: 50_000, run: (s) => dependencies(parseCoreMetadata(Buffer.from(`${META}Requires-Dist: a\n ${s}x\n y\n`), 'M')) },
  { name: 'pypi normalize', kind: 'body', n: 50_000, run: (s) => normalize(`a${s}`) },
  { name: 'pypi isValidName', kind: 'body', n: 50_000, run: (s) => isValidName(`a${s}`) },
  { name: 'pypi parseFileName', kind: 'body', n: 50_000, run: (s) => parseFileName(`a-${s}.tar.gz`, 'a') },
  { name: 'pypi versions', kind: 'body', n: 50_000, run: (s) => [canonicalVersion(`1${s}`), compareVersions(`1${s}`, `1.0${s}`)] },
  { name: 'pypi Accept', kind: 'line', n: 16_000, run: (s) => negotiate(`application/vnd.pypi.simple.v1+json;q=${s}, text/html;q=0.${s}`) },
  // shared by the faces
  { name: 'Range', kind: 'line', n: 16_000, run: (s) => parseRange(`bytes=${s}`, 100) },
  { name: 'domain segment', kind: 'body', n: 16_000, run: (s) => parseDomainSegment(`a${s}-111122223333${s}`) },
  // the web UI: a published readme (Markdown, then the sanitizer) and the escaping of every value
  { name: 'ui readme markdown', kind: 'body', n: 30_000, run: (s) => renderReadme(`# a\n${s}`, true) },
  { name: 'ui readme links', kind: 'body', n: 6_000, run: (s) => renderReadme(`[x](${s}) <a href="${s}">${s}</a> ![${s}](${s}`, true) },
  { name: 'ui escape', kind: 'body', n: 50_000, run: (s) => escapeHtml(s) },
  // Maven: paths, checksum bodies, poms and metadata
  { name: 'maven path', kind: 'rawpath', n: 16_000, run: (s) => parseMavenPath(`com/acme/a/1.0/a-1.0${s}.jar`) },
  { name: 'maven checksum body', kind: 'body', n: 50_000, run: (s) => [parseChecksumBody(`=${s}`, 'sha1'), parseChecksumBody(`a${s}`, 'sha1')] },
  { name: 'maven pom', kind: 'body', n: 50_000, run: (s) => swallow(() => readPom(Buffer.from(`<project><description>${s}</description><x a="${s}"/>${s}`))) },
  { name: 'maven metadata', kind: 'body', n: 50_000, run: (s) => swallow(() => readUploadedMetadata(Buffer.from(`<metadata><version>${s}</version>`))) },
  // npm: raw paths, names, tags, tarball fields (read here, not changed: another area)
  { name: 'npm package path', kind: 'rawpath', n: 16_000, run: (s) => [splitPackagePath(`@a${s}`), splitPackagePath(`a${s}`), splitPackagePath(`@a/b${s}`)] },
  { name: 'npm name and tag', kind: 'body', n: 16_000, run: (s) => [swallow(() => parseName(`@a/${s}`, true)), swallow(() => checkTag(`a${s}`))] },
  { name: 'npm tarball file', kind: 'body', n: 16_000, run: (s) => versionFromFile(parseName('a', false), `a-1.0.0${s}.tgz`) },
  { name: 'npm integrity', kind: 'body', n: 50_000, run: (s) => checkIntegrity(Buffer.from('x'), { integrity: `sha512-${s} sha512-A${s}?${s}` }) },
  { name: 'npm attachment', kind: 'body', n: 50_000, run: (s) => decodeAttachment(`AAAA${s}`, 3, 'a.tgz') },
  // control plane: names, ARNs, generic asset names, policies, SigV4
  ...(Object.keys(RULES) as RuleName[]).map((r): Subject => ({ name: `rule ${r}`, kind: 'body', n: 50_000, run: (s) => check(r, r, `a${s}`) })),
  { name: 'resource ARN', kind: 'body', n: 50_000, run: (s) => parseResourceArn(`arn:aws:codeartifact:us-east-1:111122223333:repository/${s}/${s}`) },
  { name: 'generic asset name', kind: 'body', n: 50_000, run: (s) => checkGenericAssetName(`a${s}`) },
  { name: 'package-group ARN', kind: 'body', n: 50_000, run: (s) => parseResourceArn(`arn:aws:codeartifact:us-east-1:111122223333:package-group/${s}/${s}`) },
  {
    name: 'package-group pattern',
    kind: 'body',
    n: 50_000,
    run: (s) => ['/', '/npm/', '/npm/a/', '/pypi//'].map((p) => swallow(() => parsePattern(`${p}${s.slice(0, 500)}`))),
  },
  { name: 'package-group ARN pattern', kind: 'body', n: 50_000, run: (s) => decodePatternFromArn(`/npm/${s}%2a`) },
  { name: 'policy document', kind: 'body', n: 7_000, run: (s) => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: `a${s}`, Effect: 'Allow', Principal: { AWS: `arn:aws:iam::111122223333:user/${s}` }, Action: `codeartifact:${s}`, Resource: '*' }] }), 'resource') },
  {
    name: 'SigV4 Authorization',
    kind: 'line',
    n: 16_000,
    run: (s) =>
      verifySigV4(
        {
          method: 'GET',
          path: '/v1/domains',
          query: '',
          headers: {
            host: 'h',
            'x-amz-date': `20240501T123456Z${s}`,
            'x-amz-content-sha256': s,
            authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501${s}/us-east-1/codeartifact/aws4_request, SignedHeaders=host;x-amz-date${s}, Signature=${s}`,
          },
          payloadSha256: null,
        },
        { region: 'us-east-1', service: 'codeartifact', now: new Date('2024-05-01T12:34:56Z'), lookupSecret: async () => 'secret' },
      ),
  },
];

describe('parsers of client input run in linear time', () => {
  it.each(SUBJECTS.map((s) => [s.name, s] as const))('%s', (_name, subject) => {
    const slow: string[] = [];
    for (const s of attacks(subject.kind, subject.n)) {
      const start = performance.now();
      swallow(() => subject.run(s));
      const ms = performance.now() - start;
      if (ms > BOUND_MS) slow.push(`${JSON.stringify(s.slice(0, 12))}...${JSON.stringify(s.slice(-3))} took ${Math.round(ms)} ms`);
    }
    expect(slow).toEqual([]);
  });
});
