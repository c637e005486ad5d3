// The PEP 503 page scanner Hoard reads HTML-only upstream indexes with (src/formats/pypi/html.ts)
// and the page processing on top of it: what real pages write, and what broken or hostile ones do.
import { describe, expect, it } from 'vitest';
import { decodeEntities, parseProjectHtml } from '../../src/formats/pypi/html.js';
import { processProjectPage } from '../../src/formats/pypi/upstream.js';

const SHA = 'a'.repeat(64);

describe('PEP 503 page scanner', () => {
  it('reads anchors with quoted, unquoted and valueless attributes, entities, and upper-case tags', () => {
    const page = parseProjectHtml(
      '<!DOCTYPE html><html><head><META NAME="pypi:repository-version" content="1.1"></head><body>\n' +
        '<!-- <a href="commented-out">x</a> -->\n' +
        `<A HREF="../../f/demo-1.0.tar.gz#sha256=${SHA}" data-requires-python="&gt;=3.8,&lt;4" data-yanked>demo-1.0.tar.gz</A><br>\n` +
        `<a href=../../f/demo-1.1-py3-none-any.whl#sha256=${SHA} data-yanked='bad &amp; broken' data-core-metadata="sha256=${SHA}"><b>demo-1.1-py3-none-any.whl</b></a>\n` +
        '</body></html>',
    );
    expect(page.repositoryVersion).toBe('1.1');
    expect(page.anchors.map((a) => [a.text, Object.fromEntries(a.attrs)])).toEqual([
      ['demo-1.0.tar.gz', { href: `../../f/demo-1.0.tar.gz#sha256=${SHA}`, 'data-requires-python': '>=3.8,<4', 'data-yanked': '' }],
      [
        'demo-1.1-py3-none-any.whl',
        { href: `../../f/demo-1.1-py3-none-any.whl#sha256=${SHA}`, 'data-yanked': 'bad & broken', 'data-core-metadata': `sha256=${SHA}` },
      ],
    ]);
  });

  it('survives truncated and hostile markup, reading it once', () => {
    expect(parseProjectHtml('<a href="x').anchors).toHaveLength(1);
    expect(parseProjectHtml('<a href=x>no closing tag').anchors[0].text).toBe('no closing tag');
    expect(parseProjectHtml('<!-- never closed <a href=x>y</a>').anchors).toEqual([]);
    // A hundred thousand unclosed anchors and stray quotes: one pass, every anchor seen.
    const hostile = '<a href="'.repeat(1) + '<a x=\'"'.repeat(100_000);
    expect(parseProjectHtml(hostile).anchors.length).toBeGreaterThanOrEqual(1);
    const many = '<a href=y>'.repeat(100_000);
    expect(parseProjectHtml(many).anchors).toHaveLength(1); // the first anchor's text runs to the end
    expect(decodeEntities('&#x3C;&#60;&amp;&bogus;&#xFFFFFFFF;&')).toBe('<<&&bogus;&#xFFFFFFFF;&');
  });

  it('keeps only files of the project with a sha256 to check them by, URLs resolved against the page', () => {
    const html =
      `<a href="../../f/demo-1.0.tar.gz#sha256=${SHA}">demo-1.0.tar.gz</a>` +
      '<a href="../../f/demo-1.1.tar.gz#md5=0123">demo-1.1.tar.gz</a>' +
      `<a href="https://files.example.invalid/other-2.0.tar.gz#sha256=${SHA}">other-2.0.tar.gz</a>` +
      `<a href="../../f/demo-2.0.exe#sha256=${SHA}">demo-2.0.exe</a>`;
    const [entries, urls] = processProjectPage('demo', html, 'text/html', 'http://127.0.0.1:1/simple/demo/', 'public:pypi');
    expect(JSON.parse(entries).map((e: { filename: string; version: string; size: null }) => [e.filename, e.version, e.size])).toEqual([['demo-1.0.tar.gz', '1.0', null]]);
    expect(JSON.parse(urls)).toEqual({ 'demo-1.0.tar.gz': { url: 'http://127.0.0.1:1/f/demo-1.0.tar.gz' } });
    expect(() => processProjectPage('demo', '<meta name="pypi:repository-version" content="2.0">', 'text/html', 'http://x/', 'public:pypi')).toThrow(/only 1\.x/);
    expect(() => processProjectPage('demo', '{"name":"other","files":[]}', 'application/vnd.pypi.simple.v1+json', 'http://x/', 'public:pypi')).toThrow(/page of other/);
  });
});
