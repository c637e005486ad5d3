// Package-group patterns as a table: CodeArtifact's documented examples and their edge cases
// (parsing and the message each bad pattern gets, matching, specificity, the hierarchy, ARN
// encoding) and origin restrictions through INHERIT.
import { describe, expect, it } from 'vitest';
import {
  associated,
  associationType,
  contains,
  decodePatternFromArn,
  effectiveRestriction,
  encodePatternForArn,
  matches,
  parentOf,
  parsePattern,
  permits,
  type GroupRestrictions,
  type RestrictionMode,
} from '../../src/core/package-group-pattern.js';

describe('parsePattern', () => {
  it.each([
    ['/*', 'root'],
    ['/npm/*', 'format'],
    ['/maven/com.anycompany~', 'namespacePrefix'],
    ['/npm/space/*', 'namespace'],
    ['/npm//*', 'namespace'],
    ['/npm/space/anycompany-ui~', 'namePrefix'],
    ['/maven/org.apache.logging.log4j/log4j-core$', 'exact'],
    ['/pypi//requests$', 'exact'],
    ['/pypi//req~', 'namePrefix'],
    ['/npm//react$', 'exact'],
    ['/generic/tools/cli$', 'exact'],
  ])('accepts %s as %s', (text, kind) => {
    expect(parsePattern(text).kind).toBe(kind);
  });

  it.each([
    ['/', /length between 2 and 520/],
    ['x'.repeat(521), /length between 2 and 520/],
    ['npm/*', /must start with '\/'/],
    ['/npm/space', /must end with '\*'.*'~'.*'\$'/],
    ['/npm/ space/*', /whitespace or control/],
    ['/npm/sp\u0000ace/*', /whitespace or control/],
    ['/foo/*', /'foo' is not a package format/],
    ['/npm~', /give a format and then a suffix/],
    ['/npm$', /give a format and then a suffix/],
    ['/npm/x*', /'\*' must stand alone/],
    ['/npm/space/x*', /'\*' must stand alone/],
    ['/npm/space$', /'\$' matches a whole package/],
    ['/npm/~', /namespace prefix is empty/],
    ['/npm/space/$', /name is empty/],
    ['/npm/space/~', /name prefix is empty/],
    ['/npm/a*b/c$', /character a package name cannot have/],
    ['/npm/a#b/*', /character a package name cannot have/],
    ['/npm/a/b/c$', /nothing may follow/],
    ['/pypi/ns/requests$', /pypi packages have no namespace/],
    ['/pypi/ns~', /pypi packages have no namespace/],
    ['/maven//log4j-core$', /maven packages always have a namespace/],
    ['/generic//*', /generic packages always have a namespace/],
    ['/pypi//My_Package$', /normalized form; use 'my-package'/],
    ['/nuget//Newtonsoft.Json$', /use 'newtonsoft.json'/],
  ])('refuses %j naming the fault', (text, message) => {
    expect(() => parsePattern(text)).toThrow(message);
  });
});

const P = parsePattern;
const pkg = (format: string, namespace: string, name: string) => ({ format, namespace, name });

describe('matching and association', () => {
  it.each([
    ['/*', pkg('npm', '', 'react'), true],
    ['/npm/*', pkg('npm', 'space', 'x'), true],
    ['/npm/*', pkg('pypi', '', 'x'), false],
    ['/maven/com.anycompany~', pkg('maven', 'com.anycompany', 'a'), true],
    ['/maven/com.anycompany~', pkg('maven', 'com.anycompany.tools', 'a'), true],
    ['/maven/com.anycompany~', pkg('maven', 'com.other', 'a'), false],
    ['/npm/space/*', pkg('npm', 'space', 'aui.components'), true],
    ['/npm/space/*', pkg('npm', 'spaces', 'x'), false],
    ['/npm//*', pkg('npm', '', 'react'), true],
    ['/npm//*', pkg('npm', 'space', 'react'), false],
    ['/npm/space/anycompany-ui~', pkg('npm', 'space', 'anycompany-ui-components'), true],
    ['/npm/space/anycompany-ui~', pkg('npm', 'space', 'anycompany'), false],
    ['/maven/org.apache.logging.log4j/log4j-core$', pkg('maven', 'org.apache.logging.log4j', 'log4j-core'), true],
    ['/maven/org.apache.logging.log4j/log4j-core$', pkg('maven', 'org.apache.logging.log4j', 'log4j-core2'), false],
    // PyPI packages match by their normalized name, whatever spelling a client used.
    ['/pypi//my-package$', pkg('pypi', '', 'My_Package'), true],
    ['/pypi//my~', pkg('pypi', '', 'My.Thing'), true],
  ])('%s matches %j: %s', (p, c, want) => {
    expect(matches(P(p), c)).toBe(want);
  });

  it('associates a package with the most specific matching group (the documented /npm/* and /npm/space/* example)', () => {
    const groups = ['/*', '/npm/*', '/npm/space/*', '/npm/sp~', '/npm/space/amplify~', '/npm/space/amplify-ui-core$'].map((t) => ({ pattern: P(t) }));
    const at = (c: ReturnType<typeof pkg>) => associated(groups, c)!.pattern.text;
    expect(at(pkg('npm', '', 'react'))).toBe('/npm/*');
    expect(at(pkg('npm', 'space', 'aui.components'))).toBe('/npm/space/*');
    expect(at(pkg('npm', 'spark', 'x'))).toBe('/npm/sp~');
    expect(at(pkg('npm', 'space', 'amplify-js'))).toBe('/npm/space/amplify~');
    expect(at(pkg('npm', 'space', 'amplify-ui-core'))).toBe('/npm/space/amplify-ui-core$');
    expect(at(pkg('pypi', '', 'requests'))).toBe('/*');
    expect(associationType(P('/npm/space/amplify-ui-core$'))).toBe('STRONG');
    for (const t of ['/*', '/npm/*', '/npm/sp~', '/npm/space/*', '/npm/space/amplify~']) expect(associationType(P(t)), t).toBe('WEAK');
  });

  it('prefers the longer of two prefixes', () => {
    const groups = ['/maven/com~', '/maven/com.anycompany~'].map((t) => ({ pattern: P(t) }));
    expect(associated(groups, pkg('maven', 'com.anycompany.x', 'a'))!.pattern.text).toBe('/maven/com.anycompany~');
    expect(associated(groups, pkg('maven', 'com.other', 'a'))!.pattern.text).toBe('/maven/com~');
    expect(associated(groups, pkg('npm', 'com', 'a'))).toBeNull();
  });
});

describe('hierarchy', () => {
  it.each([
    ['/*', '/npm/*', true],
    ['/npm/*', '/*', false],
    ['/npm/*', '/pypi/*', false],
    ['/npm/*', '/npm/space/x$', true],
    ['/maven/com~', '/maven/com.anycompany~', true],
    ['/maven/com.anycompany~', '/maven/com~', false],
    ['/maven/com~', '/maven/com.x/*', true],
    ['/maven/com~', '/maven/org/*', false],
    ['/npm/space/*', '/npm/space/ui~', true],
    ['/npm/space/*', '/npm/other/ui~', false],
    ['/npm/space/ui~', '/npm/space/ui-core$', true],
    ['/npm/space/ui~', '/npm/space/u~', false],
    ['/npm/space/ui-core$', '/npm/space/ui-core$', true],
    ['/npm/space/ui-core$', '/npm/space/ui~', false],
  ])('%s contains %s: %s', (a, b, want) => {
    expect(contains(P(a), P(b))).toBe(want);
  });

  it('finds the parent as the most specific containing group, and re-parents when it goes', () => {
    const groups = ['/*', '/npm/*', '/npm/space/*', '/npm/space/ui~'].map((t) => ({ pattern: P(t) }));
    const parent = (gs: typeof groups, t: string) => parentOf(gs, P(t))?.pattern.text ?? null;
    expect(parent(groups, '/*')).toBeNull();
    expect(parent(groups, '/npm/*')).toBe('/*');
    expect(parent(groups, '/npm/space/ui~')).toBe('/npm/space/*');
    expect(parent(groups, '/npm/space/ui-core$')).toBe('/npm/space/ui~');
    // A pattern not yet created gets the parent it would have.
    expect(parent(groups, '/pypi//requests$')).toBe('/*');
    // Deleting /npm/space/* re-parents its child to /npm/*.
    expect(parent(groups.filter((g) => g.pattern.text !== '/npm/space/*'), '/npm/space/ui~')).toBe('/npm/*');
  });
});

describe('ARN encoding', () => {
  it.each([
    ['/*', '/%2a'],
    ['/npm/space/*', '/npm/space/%2a'],
    ['/maven/org.apache/log4j-core$', '/maven/org.apache/log4j-core%24'],
    ['/npm/100%/x$', '/npm/100%25/x%24'],
    ['/npm/space/ui~', '/npm/space/ui~'],
  ])('%s -> %s and back', (p, enc) => {
    expect(encodePatternForArn(p)).toBe(enc);
    expect(decodePatternFromArn(enc)).toBe(p);
  });

  it('refuses other escapes (case matters)', () => {
    expect(decodePatternFromArn('/%2A')).toBeNull();
    expect(decodePatternFromArn('/npm/%41/*')).toBeNull();
  });
});

describe('origin restrictions through INHERIT', () => {
  const group = (
    text: string,
    modes: Partial<Record<'PUBLISH' | 'EXTERNAL_UPSTREAM' | 'INTERNAL_UPSTREAM', RestrictionMode>>,
    allowed: Partial<Record<'PUBLISH' | 'EXTERNAL_UPSTREAM' | 'INTERNAL_UPSTREAM', string[]>> = {},
  ): GroupRestrictions => ({
    pattern: P(text),
    modes: { PUBLISH: 'INHERIT', EXTERNAL_UPSTREAM: 'INHERIT', INTERNAL_UPSTREAM: 'INHERIT', ...modes },
    allowed: { PUBLISH: [], EXTERNAL_UPSTREAM: [], INTERNAL_UPSTREAM: [], ...allowed },
  });
  const root = group('/*', { PUBLISH: 'ALLOW', EXTERNAL_UPSTREAM: 'ALLOW', INTERNAL_UPSTREAM: 'ALLOW' });
  const npm = group('/npm/*', { EXTERNAL_UPSTREAM: 'BLOCK', PUBLISH: 'ALLOW_SPECIFIC_REPOSITORIES' }, { PUBLISH: ['internal'] });
  const acme = group('/npm/acme/*', {});
  const ui = group('/npm/acme/ui~', { PUBLISH: 'ALLOW' });

  it.each([
    [[root], 'PUBLISH', 'ALLOW', 'ALLOW', null],
    [[npm, root], 'EXTERNAL_UPSTREAM', 'BLOCK', 'BLOCK', null],
    [[acme, npm, root], 'EXTERNAL_UPSTREAM', 'INHERIT', 'BLOCK', '/npm/*'],
    [[acme, npm, root], 'INTERNAL_UPSTREAM', 'INHERIT', 'ALLOW', '/*'],
    [[acme, npm, root], 'PUBLISH', 'INHERIT', 'ALLOW_SPECIFIC_REPOSITORIES', '/npm/*'],
    [[ui, acme, npm, root], 'PUBLISH', 'ALLOW', 'ALLOW', null],
  ] as const)('%#: %s', (ancestry, type, mode, effectiveMode, from) => {
    const e = effectiveRestriction([...ancestry], type);
    expect(e.mode).toBe(mode);
    expect(e.effectiveMode).toBe(effectiveMode);
    expect(e.inheritedFrom?.pattern.text ?? null).toBe(from);
  });

  it('decides by the allow list of the group the mode comes from', () => {
    const e = effectiveRestriction([acme, npm, root], 'PUBLISH');
    expect(e.repositories).toEqual(['internal']);
    expect(permits(e, 'internal')).toBe(true);
    expect(permits(e, 'scratch')).toBe(false);
    expect(permits(effectiveRestriction([acme, npm, root], 'EXTERNAL_UPSTREAM'), 'internal')).toBe(false);
    expect(permits(effectiveRestriction([acme, npm, root], 'INTERNAL_UPSTREAM'), 'anything')).toBe(true);
  });
});
