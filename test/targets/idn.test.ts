import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { domainToASCII } from 'node:url';
import { isUnicodeName, normaliseHostname, toDisplayName } from '../../src/targets/idn.js';

describe('normaliseHostname: IDN to A-labels and back', () => {
  const cases: Array<[string, string, string]> = [
    ['bücher.example', 'xn--bcher-kva.example', 'bücher.example'],
    ['BÜCHER.EXAMPLE', 'xn--bcher-kva.example', 'bücher.example'],
    ['Bücher.Example.', 'xn--bcher-kva.example', 'bücher.example'],
    ['例え.テスト', 'xn--r8jz45g.xn--zckzah', '例え.テスト'],
    ['例え。テスト', 'xn--r8jz45g.xn--zckzah', '例え.テスト'], // U+3002 ideographic full stop
    ['例え．テスト', 'xn--r8jz45g.xn--zckzah', '例え.テスト'], // U+FF0E full-width full stop
    ['例え｡テスト', 'xn--r8jz45g.xn--zckzah', '例え.テスト'], // U+FF61 half-width ideographic full stop
    ['例え.テスト。', 'xn--r8jz45g.xn--zckzah', '例え.テスト'], // trailing root dot in full width
    ['ＭＡＩＬ.example', 'mail.example', 'mail.example'], // full-width Latin folds to ASCII
    ['straße.example', 'xn--strae-oqa.example', 'straße.example'], // IDNA2008 / non-transitional: ß kept
    ['xn--bcher-kva.example', 'xn--bcher-kva.example', 'bücher.example'],
    ['XN--BCHER-KVA.example', 'xn--bcher-kva.example', 'bücher.example'],
    ['mx1.example.org', 'mx1.example.org', 'mx1.example.org'],
    ['пример.испытание', 'xn--e1afmkfd.xn--80akhbyknj4f', 'пример.испытание'],
  ];
  it.each(cases)('%j -> %s', (input, ascii, unicode) => {
    expect(normaliseHostname(input)).toEqual({ ok: true, ascii, unicode });
  });

  it.each([
    ['', /empty host name/],
    ['.', /empty host name/],
    ['xn--zz.example', /internationalised/],
    ['a\u00a0b.example', /internationalised/], // no-break space is disallowed by UTS #46
    ['\u202eexample.com', /internationalised/],
    ['a_b.example', /'_'/],
    ['a!b.example', /'!'/],
    ['a b.example', /' '|U\+0020/],
    ['a\u0085b.example', /U\+0085/],
    ['a\ufffdb.example', /U\+FFFD/],
    ['１２３', /numeric/], // full-width digits only become digits after mapping
    ['example.１２３', /numeric/],
    ['xn--a.example', /internationalised|punycode/],
    [`${'ü'.repeat(60)}.example`, /more than 63/], // 60 code points, but a much longer A-label
  ] as Array<[string, RegExp]>)('%j is invalid', (input, why) => {
    const r = normaliseHostname(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(why);
  });

  it('property: ASCII LDH names round-trip unchanged (lowercased)', () => {
    const label = fc
      .stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?$/)
      .filter((l) => !/^xn--/i.test(l) && l.slice(2, 4) !== '--');
    const tld = fc.stringMatching(/^[a-zA-Z]{2,10}$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), tld, (labels, top) => {
        const name = [...labels, top].join('.');
        const r = normaliseHostname(name);
        expect(r).toEqual({ ok: true, ascii: name.toLowerCase(), unicode: name.toLowerCase() });
      }),
    );
  });

  it('property: Unicode names round-trip: A-label → display → A-label is stable', () => {
    const letters = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzäöüéèçñøåßαβγδжзийкあいうえお漢字例テスト'.split(''));
    const label = fc.string({ unit: letters, minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 3 }), (labels) => {
        const name = `${labels.join('.')}.example`;
        const r = normaliseHostname(name);
        // Every generated label is valid IDNA2008 on its own (single script, no joiners).
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.ascii).toMatch(/^[a-z0-9.-]+$/);
        expect(r.ascii).toBe(domainToASCII(name));
        expect(isUnicodeName(r.unicode)).toBe(isUnicodeName(name));
        const back = normaliseHostname(r.unicode);
        expect(back).toEqual(r);
        const fromAscii = normaliseHostname(r.ascii);
        expect(fromAscii).toEqual(r);
      }),
    );
  });
});

describe('toDisplayName / isUnicodeName', () => {
  it('leaves plain ASCII alone and decodes A-labels', () => {
    expect(toDisplayName('mx.example.com')).toBe('mx.example.com');
    expect(toDisplayName('xn--bcher-kva.example')).toBe('bücher.example');
  });
  it('falls back to the ASCII form when an A-label cannot be decoded', () => {
    expect(toDisplayName('xn--zz.example')).toBe('xn--zz.example');
  });
  it('detects non-ASCII', () => {
    expect(isUnicodeName('bücher.example')).toBe(true);
    expect(isUnicodeName('example.com')).toBe(false);
  });
});
