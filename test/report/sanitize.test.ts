import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { csvCell, escapeHtml, stripControl, truncate } from '../../src/report/sanitize.js';

const ESC = '\u001b';

/** Any C0 (incl. tab/CR), ESC, DEL, C1 or bidi control; LF is checked separately. */
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u;

describe('stripControl', () => {
  const cases: Array<[string, string, string]> = [
    ['plain text is untouched', '220 mx.example.com ESMTP ready', '220 mx.example.com ESMTP ready'],
    ['unicode text is untouched', '220 bücher.example ✓ 例え', '220 bücher.example ✓ 例え'],
    ['SGR colour (CSI ... m)', `220 ${ESC}[31mred${ESC}[0m ok`, '220 red ok'],
    ['CSI with private params and intermediates', `a${ESC}[?25lb${ESC}[1 qc`, 'abc'],
    ['cursor movement / erase line', `ok${ESC}[2K${ESC}[1A${ESC}[10;20Hx`, 'okx'],
    ['8-bit CSI U+009B', 'a\u009b31mb', 'ab'],
    ['OSC title terminated by BEL', `a${ESC}]0;pwned\u0007b`, 'ab'],
    ['OSC 8 hyperlink terminated by ESC \\', `${ESC}]8;;http://198.51.100.1/${ESC}\\click${ESC}]8;;${ESC}\\`, 'click'],
    ['8-bit OSC terminated by 8-bit ST', 'a\u009d0;t\u009cb', 'ab'],
    ['DCS string', `a${ESC}Pq#0;2;0;0;0${ESC}\\b`, 'ab'],
    ['APC string terminated by BEL', `a${ESC}_payload\u0007b`, 'ab'],
    ['unterminated OSC keeps the payload visible', `a${ESC}]0;title`, 'a0;title'],
    ['unterminated OSC stops at the next escape', `${ESC}]x${ESC}[31my`, 'xy'],
    ['ESC c full reset', `a${ESC}cb`, 'ab'],
    ['ESC ( 0 charset switch', `a${ESC}(0b`, 'ab'],
    ['lone ESC at end', `abc${ESC}`, 'abc'],
    ['double ESC', `a${ESC}${ESC}[1mb`, 'ab'],
    ['NUL, BEL, BS, VT, FF removed', 'a\u0000b\u0007c\u0008d\u000be\u000cf', 'abcdef'],
    ['DEL removed', 'a\u007fb', 'ab'],
    ['C1 controls removed', 'a\u0080b\u0085c\u009fd', 'abcd'],
    ['tab becomes a space', 'a\tb', 'a b'],
    ['lone CR removed', 'fake OK\rreal', 'fake OKreal'],
    ['newline becomes space', 'line1\nline2', 'line1 line2'],
    ['CRLF becomes one space', 'line1\r\nline2', 'line1 line2'],
    ['bidi override (Trojan Source) removed', 'admin\u202e\u2066txt.exe\u2069', 'admintxt.exe'],
    ['bidi marks removed', 'a\u200eb\u200fc\u061cd', 'abcd'],
    ['empty string', '', ''],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(stripControl(input)).toBe(expected);
  });

  it('keeps newlines when asked, folding CRLF to LF and dropping lone CR', () => {
    expect(stripControl('a\r\nb\nc\rd', { keepNewlines: true })).toBe('a\nb\ncd');
    expect(stripControl('a\r\nb\nc\rd', { keepNewlines: false })).toBe('a b cd');
  });

  it('property: output holds no C0/C1/ESC/DEL/bidi, no LF unless kept, and is idempotent', () => {
    // Bias the generator towards the interesting characters so the property is actually exercised.
    const nasty = fc.constantFrom(
      ESC, '[', ']', '\\', '\u0007', '\u009b', '\u009c', '\u009d', '\u0090', '\r', '\n', '\t', '\u0000',
      '\u007f', '\u0085', '\u202e', '\u2066', '\u2069', '\u200f', 'P', '_', '^', 'X', '0', ';', 'm', 'a', 'é', '😀',
    );
    const input = fc.oneof(
      fc.string({ unit: fc.oneof(nasty, fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })), maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
    );
    fc.assert(
      fc.property(input, fc.boolean(), (s, keep) => {
        const out = stripControl(s, { keepNewlines: keep });
        expect(out).not.toMatch(FORBIDDEN);
        if (!keep) expect(out).not.toContain('\n');
        expect(stripControl(out, { keepNewlines: keep })).toBe(out);
      }),
      { numRuns: 3000 },
    );
  });

  it('property: text without controls passes through unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => {
        fc.pre(!FORBIDDEN.test(s) && !s.includes('\n'));
        expect(stripControl(s)).toBe(s);
      }),
    );
  });

  it('does not hang on many unterminated introducers (linear scan)', () => {
    const hostile = `${ESC}]`.repeat(50_000) + 'x'.repeat(10) + '\u009d'.repeat(50_000);
    const out = stripControl(hostile);
    expect(out).toBe('x'.repeat(10));
  });
});

describe('escapeHtml', () => {
  const cases: Array<[string, string]> = [
    ['<script>alert("x")</script>', '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'],
    ["Tom & Jerry's", 'Tom &amp; Jerry&#39;s'],
    [`a${ESC}[31m<b>`, 'a&lt;b&gt;'],
    ['line1\r\nline2', 'line1\nline2'],
    ['nul\u0000 here', 'nul here'],
    ['nonchar\ufdd0\uffff\ufffe end', 'nonchar end'],
    ['lone surrogate \ud800 end', 'lone surrogate  end'],
    ['emoji 😀 stays', 'emoji 😀 stays'],
    ['&amp; is escaped again', '&amp;amp; is escaped again'],
  ];
  it.each(cases)('%j', (input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });

  it('property: output never contains raw markup characters or controls', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        const out = escapeHtml(s);
        expect(out).not.toMatch(/[<>"']/);
        expect(out).not.toMatch(FORBIDDEN);
        // Every & starts one of our entities.
        expect(out.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
      }),
    );
  });
});

describe('csvCell', () => {
  const cases: Array<[string | number | boolean | null | undefined, string]> = [
    ['plain', 'plain'],
    ['', ''],
    [null, ''],
    [undefined, ''],
    [42, '42'],
    [-3.5, '-3.5'],
    [Number.NaN, ''],
    [true, 'true'],
    [false, 'false'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['two\r\nlines', '"two\nlines"'],
    ['=HYPERLINK("http://198.51.100.1","x")', `"'=HYPERLINK(""http://198.51.100.1"",""x"")"`],
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "' =1"],
    ['\r=1', "'=1"],
    ['  =1', "'  =1"],
    [`${ESC}[31m=1`, "'=1"],
    ['a=b', 'a=b'],
  ];
  it.each(cases)('%j -> %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  /** Minimal RFC 4180 reader for one cell, to check the round trip. */
  function readCell(cell: string): string {
    if (cell.startsWith('"')) {
      expect(cell.endsWith('"')).toBe(true);
      const inner = cell.slice(1, -1);
      expect(inner.replaceAll('""', '')).not.toContain('"');
      return inner.replaceAll('""', '"');
    }
    expect(cell).not.toMatch(/[",\r\n]/);
    return cell;
  }

  it('property: never starts (after an optional quote) with a formula character, and round-trips', () => {
    const unit = fc.oneof(
      fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', '"', ',', ' ', "'", 'a'),
      fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 30 }), (s) => {
        const cell = csvCell(s);
        const value = readCell(cell);
        expect(value.trimStart()).not.toMatch(/^[=+\-@\t\r]/);
        expect(value).not.toMatch(FORBIDDEN);
        // The visible text is preserved: dropping our neutralising quote gives back the sanitised input.
        const clean = stripControl(s, { keepNewlines: true });
        expect(value === clean || value === `'${clean}`).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('truncate', () => {
  const cases: Array<[string, number, string]> = [
    ['short', 10, 'short'],
    ['exactly10!', 10, 'exactly10!'],
    ['this is too long', 10, 'this is t…'],
    ['abc', 1, '…'],
    ['abc', 0, ''],
    ['abc', -5, ''],
    ['😀😀😀😀', 3, '😀😀…'],
    ['😀😀😀', 3, '😀😀😀'], // 6 UTF-16 units but 3 code points: no cut
    ['', 3, ''],
  ];
  it.each(cases)('%j max %d', (input, max, expected) => {
    expect(truncate(input, max)).toBe(expected);
  });

  it('property: at most max code points, never splits a surrogate pair, prefix of the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.integer({ min: 1, max: 50 }), (s, max) => {
        const out = truncate(s, max);
        const cps = Array.from(out);
        expect(cps.length).toBeLessThanOrEqual(max);
        expect(out).not.toMatch(/[\ud800-\udfff]/u);
        if (Array.from(s).length <= max) expect(out).toBe(s);
        else expect(s.startsWith(out.slice(0, -1))).toBe(true);
      }),
    );
  });
});
