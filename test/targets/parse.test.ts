import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalIPv6, formatTarget, parseTargetLine, targetKey, type Target } from '../../src/targets/parse.js';

type Expect = Pick<Target, 'kind' | 'name' | 'display' | 'port' | 'family'>;

function ok(line: string): Target {
  const r = parseTargetLine(line, 'test:1');
  if (r.ok !== true) throw new Error(`expected ${JSON.stringify(line)} to parse, got ${JSON.stringify(r)}`);
  return r.target;
}

function reason(line: string): string {
  const r = parseTargetLine(line, 'test:1');
  if (r.ok !== false) throw new Error(`expected ${JSON.stringify(line)} to be invalid, got ${JSON.stringify(r)}`);
  return r.reason;
}

describe('parseTargetLine: valid forms', () => {
  const d = (name: string, display = name): Expect => ({ kind: 'domain', name, display, port: null, family: null });
  const h = (name: string, port: number, display = name): Expect => ({ kind: 'host', name, display, port, family: null });
  const ip4 = (name: string, port: number | null = null): Expect => ({ kind: 'ip', name, display: name, port, family: 4 });
  const ip6 = (name: string, port: number | null = null): Expect => ({ kind: 'ip', name, display: name, port, family: 6 });

  const cases: Array<[string, Expect]> = [
    ['example.com', d('example.com')],
    ['EXAMPLE.Com', d('example.com')],
    ['example.com.', d('example.com')],
    ['mail.example.org', d('mail.example.org')],
    ['localhost', d('localhost')],
    ['123.example', d('123.example')],
    ['a-b.example.net', d('a-b.example.net')],
    ['mx.example.com:25', h('mx.example.com', 25)],
    ['mx.example.com:2525', h('mx.example.com', 2525)],
    ['MX.Example.com.:587', h('mx.example.com', 587)],
    ['localhost:65535', h('localhost', 65535)],
    ['mx.example.com:025', h('mx.example.com', 25)],
    ['bücher.example', d('xn--bcher-kva.example', 'bücher.example')],
    ['BÜCHER.example:25', h('xn--bcher-kva.example', 25, 'bücher.example')],
    ['xn--bcher-kva.example', d('xn--bcher-kva.example', 'bücher.example')],
    ['例え.テスト', d('xn--r8jz45g.xn--zckzah', '例え.テスト')],
    ['例え。テスト', d('xn--r8jz45g.xn--zckzah', '例え.テスト')],
    ['例え．テスト', d('xn--r8jz45g.xn--zckzah', '例え.テスト')],
    ['例え｡テスト', d('xn--r8jz45g.xn--zckzah', '例え.テスト')],
    ['ＥＸＡＭＰＬＥ.com', d('example.com')],
    ['192.0.2.1', ip4('192.0.2.1')],
    ['198.51.100.254:2525', ip4('198.51.100.254', 2525)],
    ['1.0.0.0', ip4('1.0.0.0')],
    ['255.255.255.254:1', ip4('255.255.255.254', 1)],
    ['[2001:db8::1]', ip6('2001:db8::1')],
    ['[2001:DB8:0:0::1]:587', ip6('2001:db8::1', 587)],
    ['[::1]:25', ip6('::1', 25)],
    ['2001:db8::25', ip6('2001:db8::25')],
    ['2001:db8::a', ip6('2001:db8::a')],
    ['::1', ip6('::1')],
    ['::2', ip6('::2')],
    ['2001:db8:0:0:1:0:0:1', ip6('2001:db8::1:0:0:1')],
    ['2001:0db8:0000:0000:0000:0000:0002:0001', ip6('2001:db8::2:1')],
    ['::ffff:192.0.2.1', ip6('::ffff:192.0.2.1')],
    ['[::FFFF:C000:0201]', ip6('::ffff:192.0.2.1')],
  ];
  it.each(cases)('%j', (line, expected) => {
    const t = ok(line);
    expect({ kind: t.kind, name: t.name, display: t.display, port: t.port, family: t.family }).toEqual(expected);
    expect(t.origin).toBe('test:1');
  });

  it('keeps the trimmed, comment-free text as input', () => {
    expect(ok('  mx.example.com:25   # primary').input).toBe('mx.example.com:25');
    expect(ok('\texample.org\r').input).toBe('example.org');
  });
});

describe('parseTargetLine: skipped lines', () => {
  it.each(['', '   ', '\t', '# a comment', '   # indented comment', '#', '\r', '\ufeff', '\ufeff# bom then comment'])(
    '%j is skipped',
    (line) => {
      expect(parseTargetLine(line, 'test:1')).toEqual({ ok: 'skip' });
    },
  );

  it('strips a comment after whitespace but not one glued to the name', () => {
    expect(ok('example.com # MX test').name).toBe('example.com');
    expect(ok('example.com\t#tab').name).toBe('example.com');
    expect(reason('example.com#glued')).toMatch(/'#' is not allowed/);
  });
});

describe('parseTargetLine: errors', () => {
  const cases: Array<[string, RegExp]> = [
    // ports
    ['mx.example.com:0', /invalid port "0".*1-65535/],
    ['mx.example.com:65536', /invalid port "65536".*1-65535/],
    ['mx.example.com:99999999999999999999', /invalid port.*1-65535/],
    ['mx.example.com:smtp', /invalid port "smtp": not a number/],
    ['mx.example.com:-1', /invalid port "-1": not a number/],
    ['mx.example.com:', /missing port/],
    [':25', /missing host/],
    ['192.0.2.1:0', /invalid port "0"/],
    ['[2001:db8::1]:70000', /invalid port "70000"/],
    ['[2001:db8::1]:', /missing port/],
    // IPv4
    ['999.1.1.1', /invalid IPv4 address "999\.1\.1\.1": each part must be 0-255/],
    ['256.0.0.1:25', /invalid IPv4 address "256\.0\.0\.1"/],
    ['1.2.3', /invalid IPv4 address "1\.2\.3": 3 parts instead of 4/],
    ['1.2.3.4.5', /invalid IPv4 address.*5 parts/],
    ['01.2.3.4', /invalid IPv4 address.*leading zeros/],
    ['1..2.3', /invalid IPv4 address.*empty part/],
    ['[192.0.2.1]', /brackets are only for IPv6; write 192\.0\.2\.1/],
    // numeric forms the WHATWG parser would have accepted as IPv4
    ['0x7f.1', /numeric/],
    ['0x7f', /numeric/],
    ['127.1', /invalid IPv4 address.*2 parts/],
    ['example.123', /last label "123" is numeric/],
    // IPv6
    ['2001:db8::1:25', /ambiguous.*\[2001:db8::1\]:25.*\[2001:db8::1:25\]/],
    ['::1:25', /ambiguous.*\[::1\]:25/],
    ['2001:db8::1:smtp', /invalid target.*more than one ':'/],
    ['[2001:db8::zz]', /invalid IPv6 address "2001:db8::zz"/],
    ['[2001:db8::1', /malformed bracketed address/],
    ['[2001:db8::1]25', /malformed bracketed address/],
    ['2001:db8::1]', /unexpected '\]'/],
    ['fe80::1%eth0', /zone identifiers are not supported/],
    ['[fe80::1%25eth0]:25', /zone identifiers are not supported/],
    ['1:2:3:4:5:6:7:8:9', /IPv6 address with a port must be bracketed: write \[1:2:3:4:5:6:7:8\]:9/],
    ['1:2:3:4:5:6:7:8:abcd', /invalid IPv6 address/],
    ['mx.example.com:25:25', /more than one ':'/],
    // host names
    ['ex_ample.com', /'_' is not allowed/],
    ['_dmarc.example.com', /'_' is not allowed/],
    ['-mx.example.com', /label "-mx" starts or ends with a hyphen/],
    ['mx-.example.com', /label "mx-" starts or ends with a hyphen/],
    [`${'a'.repeat(64)}.example`, /64 characters, more than 63/],
    [`${'abcdefghi.'.repeat(25)}example`, /more than 253/],
    ['a..example', /empty label/],
    ['.example.com', /empty label/],
    ['example.com..', /empty label/],
    ['%41.example', /character '%' is not allowed/],
    ['a/b.example', /character '\/' is not allowed/],
    ['user@example.com', /character '@' is not allowed/],
    ['http://example.com', /more than one ':'|not allowed|invalid port/],
    ['xn--zz.example', /internationalised domain name/],
    ['xn--.example', /internationalised|punycode|hyphen/],
    ['ex\u202eample.com', /internationalised domain name/],
    ['ex\u200dample.com', /internationalised domain name/],
    ['ｅｘ＿ａｍｐｌｅ.com', /'_' is not allowed/],
    // line-level
    ['example.com other.example', /unexpected whitespace/],
    ['example.com\u3000other.example', /unexpected whitespace/],
    ['exa\0mple.com', /NUL/],
    ['\0', /NUL/],
    ['exa\rmple.com', /carriage return/],
    ['exa\nmple.com', /carriage return or line feed/],
    ['exa\u0007mple.com', /control character U\+0007/],
    ['exa\u0085mple.com', /control character U\+0085/],
    ['a'.repeat(5000), /longer than 4096/],
  ];
  it.each(cases)('%j', (line, expected) => {
    expect(reason(line)).toMatch(expected);
  });

  it('253 characters is the limit, inclusive', () => {
    const labels = Array.from({ length: 4 }, () => 'a'.repeat(63)); // 4*63 + 3 dots = 255
    const name253 = `${labels.slice(0, 3).join('.')}.${'b'.repeat(61)}`; // 3*63 + 3 + 61 = 253
    expect(name253.length).toBe(253);
    expect(ok(name253).name).toBe(name253);
    expect(reason(`${name253}c`)).toMatch(/254 characters/);
    expect(ok(`${'a'.repeat(63)}.example`).name).toHaveLength(71);
  });
});

describe('parseTargetLine: properties', () => {
  it('never throws and always returns a well-formed result on arbitrary input', () => {
    const unit = fc.oneof(
      fc.constantFrom('[', ']', ':', '.', '#', ' ', '\t', '\r', '\0', '%', '_', '-', 'x', 'n', '1', '9', 'ü', '。', '\u3000', 'a', 'f'),
      fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit, maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 })), (line) => {
        const r = parseTargetLine(line, 'prop:1');
        if (r.ok === true) {
          const t = r.target;
          expect(['domain', 'host', 'ip']).toContain(t.kind);
          expect(t.port === null || (Number.isInteger(t.port) && t.port >= 1 && t.port <= 65535)).toBe(true);
          if (t.kind !== 'ip') {
            expect(t.name).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)*$/);
            expect(t.name.length).toBeLessThanOrEqual(253);
            expect(t.family).toBeNull();
          } else {
            expect(t.family === 4 || t.family === 6).toBe(true);
          }
          // The normalised form is a fixed point: writing it back parses to the same target.
          const again = parseTargetLine(formatTarget({ display: t.name, port: t.port, family: t.family }), 'prop:2');
          expect(again.ok).toBe(true);
          if (again.ok === true) expect(targetKey(again.target)).toBe(targetKey(t));
        } else if (r.ok === false) {
          expect(r.reason.length).toBeGreaterThan(0);
        } else {
          expect(r).toEqual({ ok: 'skip' });
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('every valid IPv6 address parses (bracketed) to its RFC 5952 canonical form', () => {
    fc.assert(
      fc.property(fc.ipV6().filter((a) => canonicalIPv6(a) !== '::'), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: null }), (addr, port) => {
        const line = port === null ? `[${addr}]` : `[${addr}]:${port}`;
        const t = ok(line);
        expect(t.family).toBe(6);
        expect(t.port).toBe(port);
        expect(t.name).toBe(canonicalIPv6(addr));
        // Same address as Node's own parser sees it (WHATWG serialiser is also RFC 5952, minus the
        // dotted-quad form for mapped addresses).
        const whatwg = new URL(`http://[${t.name}]/`).hostname;
        expect(whatwg).toBe(new URL(`http://[${addr}]/`).hostname);
        expect(canonicalIPv6(t.name)).toBe(t.name);
      }),
      { numRuns: 2000 },
    );
  });

  it('every IPv4 address that names a host parses, with and without a port (0.0.0.0/8 and the broadcast are refused)', () => {
    fc.assert(
      fc.property(fc.ipV4().filter((a) => !a.startsWith('0.') && a !== '255.255.255.255'), fc.integer({ min: 1, max: 65535 }), (addr, port) => {
        expect(ok(addr)).toMatchObject({ kind: 'ip', name: addr, port: null, family: 4 });
        expect(ok(`${addr}:${port}`)).toMatchObject({ kind: 'ip', name: addr, port, family: 4 });
      }),
    );
  });
});

describe('canonicalIPv6 (RFC 5952 §4)', () => {
  it.each([
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'], // longest run wins
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of equal runs wins
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['::ffff:c000:0201', '::ffff:192.0.2.1'],
    ['0000:0000:0000:0000:0000:ffff:198.51.100.7', '::ffff:198.51.100.7'],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalIPv6(input)).toBe(expected);
  });
});

describe('formatTarget / targetKey', () => {
  it('brackets IPv6 with a port and shows Unicode names', () => {
    expect(formatTarget(ok('[2001:db8::1]:25'))).toBe('[2001:db8::1]:25');
    expect(formatTarget(ok('2001:db8::1'))).toBe('2001:db8::1');
    expect(formatTarget(ok('BÜCHER.example:25'))).toBe('bücher.example:25');
    expect(formatTarget(ok('192.0.2.1:25'))).toBe('192.0.2.1:25');
  });

  it('keys differ by kind and port, and agree across spellings', () => {
    expect(targetKey(ok('example.com'))).not.toBe(targetKey(ok('example.com:25')));
    expect(targetKey(ok('example.com:25'))).not.toBe(targetKey(ok('example.com:587')));
    expect(targetKey(ok('bücher.example'))).toBe(targetKey(ok('xn--bcher-kva.example.')));
    expect(targetKey(ok('2001:db8::1'))).toBe(targetKey(ok('[2001:DB8:0::1]')));
  });
});
