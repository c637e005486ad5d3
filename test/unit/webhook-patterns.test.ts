// EventBridge event patterns (src/core/webhooks/patterns.ts), as a table built from the examples of
// EventBridge's documentation ("Content filtering in Amazon EventBridge event patterns" and the
// comparison-operator summary), plus CodeArtifact's own event, and what each malformed pattern gets.
import { describe, expect, it } from 'vitest';
import { compilePattern, wildMatch } from '../../src/core/webhooks/patterns.js';
import { HoardError } from '../../src/errors.js';

// The documentation's EC2 example event.
const ec2 = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};
const numbers = { detail: { 'c-count': 5, 'd-count': 7, 'x-limit': 301.8 } };
const files = { detail: { FileName: 'photo.PNG', FilePath: 'dir/subdir/lib/abc.png', service: 'EventBridge' } };
const misc = {
  source: 'aws.ec2',
  metricType: 'CPUUtilization',
  namespace: 'AWS/RDS',
  detail: { eventVersion: '', responseElements: null, sourceIPAddress: '10.0.0.255', Region: 'eu-west-1', state: 'INITIALIZING', name: 'ALICE', tags: ['a', 'b'] },
};
const codeartifact = {
  'detail-type': 'CodeArtifact Package Version State Change',
  source: 'aws.codeartifact',
  detail: { domainName: 'acme', repositoryName: 'web', packageFormat: 'npm', packageNamespace: null, packageName: 'ui-kit', packageVersion: '2.3.0', operationType: 'Created', changes: { assetsAdded: 1 } },
};

// [description, pattern, event, matches]
const table: [string, unknown, unknown, boolean][] = [
  ['exact value', { source: ['aws.ec2'] }, ec2, true],
  ['exact value, no match', { source: ['aws.s3'] }, ec2, false],
  ['exact value is case-sensitive', { source: ['AWS.EC2'] }, ec2, false],
  ['any of several values', { detail: { state: ['running', 'terminated'] } }, ec2, true],
  ['fields are ANDed', { source: ['aws.ec2'], detail: { state: ['running'] } }, ec2, false],
  ['event arrays match on intersection', { resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] }, ec2, true],
  ['event arrays: one element is enough', { detail: { tags: ['b', 'z'] } }, misc, true],
  ['missing field never matches a value', { detail: { nothing: ['x'] } }, ec2, false],
  ['nested object where the event has a string', { source: { inner: ['x'] } }, ec2, false],
  ['empty string', { detail: { eventVersion: [''] } }, misc, true],
  ['null', { detail: { responseElements: [null] } }, misc, true],
  ['null does not match a missing field', { detail: { other: [null] } }, misc, false],
  ['prefix', { time: [{ prefix: '2017-12-22' }] }, ec2, true],
  ['prefix, no match', { detail: { Region: [{ prefix: 'us-' }] } }, misc, false],
  ['prefix with equals-ignore-case', { detail: { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] } }, files, true],
  ['suffix', { detail: { FilePath: [{ suffix: '.png' }] } }, files, true],
  ['suffix is case-sensitive', { detail: { FileName: [{ suffix: '.png' }] } }, files, false],
  ['suffix with equals-ignore-case', { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, files, true],
  ['equals-ignore-case', { detail: { name: [{ 'equals-ignore-case': 'alice' }] } }, misc, true],
  ['equals-ignore-case, no match', { detail: { name: [{ 'equals-ignore-case': 'bob' }] } }, misc, false],
  ['anything-but a string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2, true],
  ['anything-but the value itself', { detail: { state: [{ 'anything-but': 'terminated' }] } }, ec2, false],
  ['anything-but a list', { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, ec2, true],
  ['anything-but a list holding it', { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, ec2, false],
  ['anything-but a number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, numbers, true],
  ['anything-but numbers holding it', { detail: { 'c-count': [{ 'anything-but': [100, 5, 300] }] } }, numbers, false],
  ['anything-but prefix', { detail: { Region: [{ 'anything-but': { prefix: 'us-' } }] } }, misc, true],
  ['anything-but prefix, excluded', { detail: { Region: [{ 'anything-but': { prefix: 'eu-' } }] } }, misc, false],
  ['anything-but suffix', { detail: { FilePath: [{ 'anything-but': { suffix: '.png' } }] } }, files, false],
  ['anything-but equals-ignore-case', { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } }, misc, false],
  ['anything-but equals-ignore-case list', { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['stopped', 'running'] } }] } }, misc, true],
  ['anything-but wildcard', { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, files, false],
  ['anything-but on a missing field', { detail: { nothing: [{ 'anything-but': 'x' }] } }, ec2, false],
  ['numeric range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, numbers, true],
  ['numeric less-than', { detail: { 'd-count': [{ numeric: ['<', 10] }] } }, numbers, true],
  ['numeric equals in exponent notation', { detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, numbers, true],
  ['numeric, all three fields', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, numbers, true],
  ['numeric out of range', { detail: { 'c-count': [{ numeric: ['>', 5] }] } }, numbers, false],
  ['numeric never matches a string', { detail: { state: [{ numeric: ['>', 0] }] } }, ec2, false],
  ['exact number', { detail: { 'c-count': [5] } }, numbers, true],
  ['exists true', { detail: { state: [{ exists: true }] } }, ec2, true],
  ['exists true on a missing field', { detail: { 'c-count': [{ exists: true }] } }, ec2, false],
  ['exists false', { detail: { 'c-count': [{ exists: false }] } }, ec2, true],
  ['exists false on a present field', { detail: { state: [{ exists: false }] } }, ec2, false],
  ['wildcard', { detail: { FilePath: [{ wildcard: 'dir/*.png' }] } }, files, true],
  ['wildcard across separators', { detail: { FilePath: [{ wildcard: '*/lib/*' }] } }, files, true],
  ['wildcard, no match', { detail: { FilePath: [{ wildcard: 'dir/*.jpg' }] } }, files, false],
  ['wildcard with an escaped star', { detail: { name: [{ wildcard: 'AL\\*CE' }] } }, { detail: { name: 'AL*CE' } }, true],
  ['escaped star is literal', { detail: { name: [{ wildcard: 'AL\\*CE' }] } }, misc, false],
  ['cidr', { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, misc, true],
  ['cidr, outside', { detail: { sourceIPAddress: [{ cidr: '10.0.1.0/24' }] } }, misc, false],
  ['$or of fields', { source: ['aws.ec2'], $or: [{ metricType: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2'] }] }, misc, true],
  ['$or, neither', { $or: [{ metricType: ['ReadLatency'] }, { namespace: ['AWS/EC2'] }] }, misc, false],
  ['$or nested in detail', { detail: { $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 1] }] }] } }, numbers, true],
  ['$or with AND still applied', { source: ['aws.s3'], $or: [{ metricType: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] }, misc, false],
  ['CodeArtifact: npm publishes in acme', { source: ['aws.codeartifact'], detail: { domainName: ['acme'], packageFormat: ['npm'], operationType: ['Created'] } }, codeartifact, true],
  ['CodeArtifact: nested changes', { detail: { changes: { assetsAdded: [{ numeric: ['>', 0] }] } } }, codeartifact, true],
  ['CodeArtifact: null namespace', { detail: { packageNamespace: [null] } }, codeartifact, true],
  ['CodeArtifact: pypi only', { detail: { packageFormat: ['pypi'] } }, codeartifact, false],
];

describe('EventBridge event patterns', () => {
  it.each(table)('%s', (_name, pattern, event, want) => {
    expect(compilePattern(JSON.stringify(pattern))(event)).toBe(want);
  });

  // What each malformed pattern gets: a ValidationException naming the field and the fault.
  const malformed: [string, string, RegExp][] = [
    ['not JSON', '{"source": [', /^Event pattern is not valid JSON: /],
    ['not an object', '["aws.ec2"]', /the pattern must be a JSON object, not an array/],
    ['empty object', '{}', /the pattern is an empty object/],
    ['a scalar leaf', '{"source": "aws.ec2"}', /"source" must be an array of values or matchers .* write \["aws.ec2"\]/],
    ['an empty array', '{"source": []}', /"source" is an empty array/],
    ['unknown matcher', '{"source": [{"prefixx": "a"}]}', /"source\[0\]" uses "prefixx", which is not a matcher/],
    ['two keys in a matcher', '{"source": [{"prefix": "a", "suffix": "b"}]}', /"source\[0\]" must have exactly one of/],
    ['prefix not a string', '{"source": [{"prefix": 1}]}', /"source\[0\].prefix" must be a string/],
    ['numeric with a bad operator', '{"n": [{"numeric": ["!=", 1]}]}', /"n\[0\].numeric\[0\]" must be one of </],
    ['numeric without a number', '{"n": [{"numeric": [">", "1"]}]}', /"n\[0\].numeric\[1\]" must be a number/],
    ['numeric range upside down', '{"n": [{"numeric": [">", 5, "<", 1]}]}', /must be a range/],
    ['numeric odd length', '{"n": [{"numeric": [">"]}]}', /must be \[operator, number\]/],
    ['exists not boolean', '{"n": [{"exists": "yes"}]}', /"n\[0\].exists" must be true or false/],
    ['anything-but mixed list', '{"n": [{"anything-but": ["a", 1]}]}', /only strings or only numbers/],
    ['anything-but with numeric', '{"n": [{"anything-but": {"numeric": [">", 1]}}]}', /"n\[0\].anything-but" must be a value/],
    ['wildcard with **', '{"n": [{"wildcard": "a**b"}]}', /consecutive wildcard characters/],
    ['wildcard with a bad escape', '{"n": [{"wildcard": "a\\\\b"}]}', /may escape only/],
    ['bad cidr', '{"ip": [{"cidr": "10.0.0.0/99"}]}', /"ip\[0\].cidr" is not a CIDR block/],
    ['$or with one alternative', '{"$or": [{"a": ["x"]}]}', /"\$or" must be an array of at least two patterns/],
    ['$or alternative not an object', '{"detail": {"$or": [{"a": ["x"]}, 3]}}', /"detail.\$or\[1\]" must be a JSON object, not a number/],
    ['too long', JSON.stringify({ a: ['x'.repeat(5000)] }), /longer than 4096 characters/],
  ];
  it.each(malformed)('refuses %s with a ValidationException naming the fault', (_name, text, message) => {
    let err: unknown;
    try {
      compilePattern(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HoardError);
    expect((err as HoardError).kind).toBe('ValidationException');
    expect((err as HoardError).message).toMatch(message);
  });

  it('matches wildcards without backtracking blow-up (a star-heavy pattern against a long near-miss)', () => {
    const tokens = [...'*a*a*a*a*a*a*a*a*a*a*b'].map((c) => (c === '*' ? null : c));
    expect(wildMatch(tokens, [...'a'.repeat(20_000)])).toBe(false);
    expect(wildMatch(tokens, [...`${'a'.repeat(20_000)}b`])).toBe(true);
  });
});
