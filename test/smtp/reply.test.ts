import { describe, expect, it } from 'vitest';
import { Buffer } from 'node:buffer';
import { ProtocolError, type ProtocolErrorReason } from '../../src/errors.js';
import type { SmtpReply } from '../../src/results.js';
import { DEFAULT_REPLY_LIMITS, extractEnhanced, parseReplyText, ReplyParser, type ReplyLimits } from '../../src/smtp/reply.js';

function parseAll(chunks: Array<string | Uint8Array>, limits?: Partial<ReplyLimits>): SmtpReply[] {
  const p = new ReplyParser(limits);
  return chunks.flatMap((c) => p.push(c));
}

function reasonOf(fn: () => unknown): ProtocolErrorReason | 'no-error' | 'other-error' {
  try {
    fn();
    return 'no-error';
  } catch (err) {
    return err instanceof ProtocolError ? err.reason : 'other-error';
  }
}

describe('DEFAULT_REPLY_LIMITS', () => {
  it('matches the documented defaults', () => {
    expect(DEFAULT_REPLY_LIMITS).toEqual({ maxLineLength: 4096, maxReplyBytes: 65536, maxLines: 512 });
  });
});

describe('ReplyParser: well-formed replies', () => {
  const cases: Array<{ name: string; input: string; expected: SmtpReply[] }> = [
    {
      name: 'single-line banner',
      input: '220 mx.example.org ESMTP Postfix\r\n',
      expected: [{ code: 220, enhanced: null, lines: ['220 mx.example.org ESMTP Postfix'], text: 'mx.example.org ESMTP Postfix', bareLf: false }],
    },
    {
      name: 'multi-line EHLO reply',
      input: '250-mx.example.org\r\n250-PIPELINING\r\n250 SIZE 10240000\r\n',
      expected: [{
        code: 250,
        enhanced: null,
        lines: ['250-mx.example.org', '250-PIPELINING', '250 SIZE 10240000'],
        text: 'mx.example.org\nPIPELINING\nSIZE 10240000',
        bareLf: false,
      }],
    },
    {
      name: 'code without text',
      input: '250\r\n',
      expected: [{ code: 250, enhanced: null, lines: ['250'], text: '', bareLf: false }],
    },
    {
      name: 'code and space without text',
      input: '354 \r\n',
      expected: [{ code: 354, enhanced: null, lines: ['354 '], text: '', bareLf: false }],
    },
    {
      name: 'continuation line without text',
      input: '250-\r\n250 ok\r\n',
      expected: [{ code: 250, enhanced: null, lines: ['250-', '250 ok'], text: '\nok', bareLf: false }],
    },
    {
      name: 'enhanced code repeated per line (RFC 2034)',
      input: '550-5.7.1 Service unavailable; client [192.0.2.7] blocked\r\n550 5.7.1 see https://example.org/rbl\r\n',
      expected: [{
        code: 550,
        enhanced: '5.7.1',
        lines: ['550-5.7.1 Service unavailable; client [192.0.2.7] blocked', '550 5.7.1 see https://example.org/rbl'],
        text: '5.7.1 Service unavailable; client [192.0.2.7] blocked\n5.7.1 see https://example.org/rbl',
        bareLf: false,
      }],
    },
    {
      name: 'enhanced code with three-digit detail',
      input: '451 4.7.650 The mail server [192.0.2.7] has been temporarily rate limited\r\n',
      expected: [{
        code: 451,
        enhanced: '4.7.650',
        lines: ['451 4.7.650 The mail server [192.0.2.7] has been temporarily rate limited'],
        text: '4.7.650 The mail server [192.0.2.7] has been temporarily rate limited',
        bareLf: false,
      }],
    },
    {
      name: 'bare LF terminator is tolerated and recorded',
      input: '220 broken.example ready\n',
      expected: [{ code: 220, enhanced: null, lines: ['220 broken.example ready'], text: 'broken.example ready', bareLf: true }],
    },
    {
      name: 'bare LF on one line of a multi-line reply taints the reply',
      input: '250-a\r\n250-b\n250 c\r\n',
      expected: [{ code: 250, enhanced: null, lines: ['250-a', '250-b', '250 c'], text: 'a\nb\nc', bareLf: true }],
    },
    {
      name: 'lone CR inside a line is text',
      input: '250 a\rb\r\n',
      expected: [{ code: 250, enhanced: null, lines: ['250 a\rb'], text: 'a\rb', bareLf: false }],
    },
    {
      name: 'CR CR LF keeps one CR as text',
      input: '250 a\r\r\n',
      expected: [{ code: 250, enhanced: null, lines: ['250 a\r'], text: 'a\r', bareLf: false }],
    },
    {
      name: 'several replies in one chunk (pipelining)',
      input: '250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n221 2.0.0 Bye\r\n',
      expected: [
        { code: 250, enhanced: '2.1.0', lines: ['250 2.1.0 Ok'], text: '2.1.0 Ok', bareLf: false },
        { code: 250, enhanced: '2.1.5', lines: ['250 2.1.5 Ok'], text: '2.1.5 Ok', bareLf: false },
        { code: 221, enhanced: '2.0.0', lines: ['221 2.0.0 Bye'], text: '2.0.0 Bye', bareLf: false },
      ],
    },
    {
      name: 'UTF-8 text (SMTPUTF8 server)',
      input: '250 mx.exämple.org grüßt dich ✉\r\n',
      expected: [{ code: 250, enhanced: null, lines: ['250 mx.exämple.org grüßt dich ✉'], text: 'mx.exämple.org grüßt dich ✉', bareLf: false }],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      expect(parseAll([c.input])).toEqual(c.expected);
    });
    it(`${c.name} (one byte at a time)`, () => {
      const bytes = Buffer.from(c.input, 'utf8');
      const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
      expect(parseAll(chunks)).toEqual(c.expected);
    });
  }

  it('returns nothing until the reply is complete, then the whole reply', () => {
    const p = new ReplyParser();
    expect(p.push('250-mx.example.org\r\n250-PIPE')).toEqual([]);
    expect(p.partialLines).toEqual(['250-mx.example.org']);
    expect(p.pendingText).toBe('250-PIPE');
    expect(p.pendingBytes).toBe('250-mx.example.org\r\n250-PIPE'.length);
    expect(p.push('LINING\r')).toEqual([]);
    const [reply, ...rest] = p.push('\n250 8BITMIME\r\n');
    expect(rest).toEqual([]);
    expect(reply?.lines).toEqual(['250-mx.example.org', '250-PIPELINING', '250 8BITMIME']);
    expect(reply?.bareLf).toBe(false);
    expect(p.pendingBytes).toBe(0);
    expect(p.partialLines).toEqual([]);
  });

  it('CRLF split across chunks is still CRLF, not a bare LF', () => {
    expect(parseAll(['220 hi\r', '\n'])).toEqual([{ code: 220, enhanced: null, lines: ['220 hi'], text: 'hi', bareLf: false }]);
  });

  it('a multi-byte UTF-8 character split across chunks decodes whole', () => {
    const bytes = Buffer.from('250 ✉ ü\r\n', 'utf8');
    // '✉' is E2 9C 89: split after its first and second byte.
    const at = bytes.indexOf(0xe2);
    const replies = parseAll([bytes.subarray(0, at + 1), bytes.subarray(at + 1, at + 2), bytes.subarray(at + 2)]);
    expect(replies.map((r) => r.text)).toEqual(['✉ ü']);
  });

  it('invalid UTF-8 bytes become U+FFFD, the line is kept', () => {
    const replies = parseAll([Uint8Array.from([0x32, 0x32, 0x30, 0x20, 0x61, 0xff, 0xfe, 0x62, 0x0d, 0x0a])]);
    expect(replies[0]?.text).toBe('a\ufffd\ufffdb');
  });

  it('accepts a Uint8Array view into a larger buffer (byteOffset honoured)', () => {
    const backing = Buffer.from('XXXX220 ok\r\nYYYY');
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 4, 8);
    expect(parseAll([view]).map((r) => r.lines)).toEqual([['220 ok']]);
  });

  it('a reply object is not mutated by later pushes', () => {
    const p = new ReplyParser();
    const [first] = p.push('250-a\r\n250 b\r\n');
    p.push('250-c\r\n250 d\r\n');
    expect(first?.lines).toEqual(['250-a', '250 b']);
  });
});

describe('ReplyParser: grammar violations', () => {
  const cases: Array<{ name: string; input: string; reason: ProtocolErrorReason }> = [
    { name: 'HTTP server on port 25', input: 'HTTP/1.1 400 Bad Request\r\n', reason: 'malformed-line' },
    { name: 'SSH banner', input: 'SSH-2.0-OpenSSH_9.6\r\n', reason: 'malformed-line' },
    { name: 'code 1yz does not exist in SMTP', input: '150 ok\r\n', reason: 'malformed-line' },
    { name: 'code 6yz is out of range', input: '600 nope\r\n', reason: 'malformed-line' },
    { name: 'code 0yz', input: '099 nope\r\n', reason: 'malformed-line' },
    { name: 'two digits only', input: '25\r\n', reason: 'malformed-line' },
    { name: 'empty line', input: '\r\n', reason: 'malformed-line' },
    { name: 'code followed by a letter', input: '250mx.example\r\n', reason: 'malformed-line' },
    { name: 'code followed by a tab', input: '250\tok\r\n', reason: 'malformed-line' },
    { name: 'four digits', input: '2500 ok\r\n', reason: 'malformed-line' },
    { name: 'leading space', input: ' 250 ok\r\n', reason: 'malformed-line' },
    { name: 'inconsistent codes in a multi-line reply', input: '250-mx.example\r\n251 SIZE 1000\r\n', reason: 'inconsistent-code' },
    { name: 'inconsistent code on the second continuation', input: '550-a\r\n550-b\r\n554 c\r\n', reason: 'inconsistent-code' },
    { name: 'malformed continuation line', input: '250-mx.example\r\nPIPELINING\r\n', reason: 'malformed-line' },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.reason}`, () => {
      expect(reasonOf(() => parseAll([c.input]))).toBe(c.reason);
    });
  }

  it('a malformed prefix is reported before the line ends', () => {
    const p = new ReplyParser();
    expect(reasonOf(() => p.push('HTT'))).toBe('malformed-line');
  });

  it('stays broken after an error: the same error is thrown again', () => {
    const p = new ReplyParser();
    let first: unknown;
    try {
      p.push('garbage\r\n');
    } catch (err) {
      first = err;
    }
    expect(first).toBeInstanceOf(ProtocolError);
    expect(p.failed).toBe(true);
    expect(() => p.push('220 fine\r\n')).toThrow(first as Error);
  });

  it('keeps replies completed before the fault in the same chunk', () => {
    const p = new ReplyParser();
    expect(reasonOf(() => p.push('220 mx.example ESMTP\r\nHTTP/1.1 400 Bad Request\r\n'))).toBe('malformed-line');
    expect(p.completedBeforeError.map((r) => r.lines)).toEqual([['220 mx.example ESMTP']]);
  });

  it('ProtocolError carries the stable code E_PROTOCOL', () => {
    try {
      parseAll(['nonsense\r\n']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe('E_PROTOCOL');
    }
  });
});

describe('ReplyParser: caps', () => {
  it('a line of exactly maxLineLength is accepted, one more byte is not', () => {
    const limits = { maxLineLength: 100 };
    const ok = `250 ${'a'.repeat(96)}\r\n`;
    expect(parseAll([ok], limits)[0]?.lines[0]?.length).toBe(100);
    const long = `250 ${'a'.repeat(97)}\r\n`;
    expect(reasonOf(() => parseAll([long], limits))).toBe('line-too-long');
  });

  it('the CR of CRLF does not count toward the line length, even when held alone', () => {
    const limits = { maxLineLength: 10 };
    expect(parseAll(['250 aaaaaa\r', '\n'], limits).map((r) => r.text)).toEqual(['aaaaaa']);
  });

  it('a line too long is reported without its terminator having arrived', () => {
    const p = new ReplyParser({ maxLineLength: 100 });
    expect(p.push(`250 ${'a'.repeat(96)}`)).toEqual([]);
    expect(reasonOf(() => p.push('b'))).toBe('line-too-long');
  });

  it('a 1 MB line without LF throws at the first 64 KiB chunk past the cap, never buffering it whole', () => {
    const maxLineLength = 100_000;
    const p = new ReplyParser({ maxLineLength });
    const line = Buffer.alloc(1024 * 1024, 0x61);
    line.write('250 ', 0, 'latin1');
    const chunk = 64 * 1024;
    let thrownAt = -1;
    for (let off = 0; off < line.length; off += chunk) {
      const r = reasonOf(() => p.push(line.subarray(off, off + chunk)));
      if (r !== 'no-error') {
        expect(r).toBe('line-too-long');
        thrownAt = off / chunk;
        break;
      }
      expect(p.pendingBytes).toBeLessThanOrEqual(maxLineLength + 1);
    }
    // 64 KiB fits, 128 KiB does not: the second chunk (index 1) must throw.
    expect(thrownAt).toBe(1);
  });

  it('with the default cap a 64 KiB chunk of one line throws immediately', () => {
    const p = new ReplyParser();
    expect(reasonOf(() => p.push(`220 ${'x'.repeat(64 * 1024)}`))).toBe('line-too-long');
    expect(p.pendingBytes).toBe(0);
  });

  it('an oversized line whose LF is in the same chunk as its tail is rejected', () => {
    const p = new ReplyParser({ maxLineLength: 50 });
    p.push('250 start');
    expect(reasonOf(() => p.push(`${'z'.repeat(100)}\r\n`))).toBe('line-too-long');
  });

  it('too-many-lines: "250-" forever is stopped at maxLines', () => {
    const p = new ReplyParser({ maxLines: 512 });
    let n = 0;
    let reason: string = 'no-error';
    while (reason === 'no-error' && n < 10_000) {
      reason = reasonOf(() => p.push('250-x\r\n'));
      n++;
    }
    expect(reason).toBe('too-many-lines');
    expect(n).toBe(513);
    expect(p.partialLines).toHaveLength(512);
  });

  it('exactly maxLines lines form a valid reply', () => {
    const input = '250-x\r\n'.repeat(9) + '250 y\r\n';
    expect(parseAll([input], { maxLines: 10 })[0]?.lines).toHaveLength(10);
    expect(reasonOf(() => parseAll(['250-x\r\n' + input], { maxLines: 10 }))).toBe('too-many-lines');
  });

  it('reply-too-large counts the raw bytes of all lines, terminators included', () => {
    // 3 lines of 8 bytes + CRLF = 30 bytes.
    const input = '250-aaaa\r\n250-bbbb\r\n250 cccc\r\n';
    expect(parseAll([input], { maxReplyBytes: 30 })).toHaveLength(1);
    expect(reasonOf(() => parseAll([input], { maxReplyBytes: 29 }))).toBe('reply-too-large');
  });

  it('a 2 MB multi-line banner is refused with bounded memory', () => {
    const p = new ReplyParser();
    const block = Buffer.from('220-'.concat('b'.repeat(1000), '\r\n').repeat(64));
    let reason: string = 'no-error';
    for (let sent = 0; sent < 2 * 1024 * 1024 && reason === 'no-error'; sent += block.length) {
      reason = reasonOf(() => p.push(block));
      if (reason === 'no-error') expect(p.pendingBytes).toBeLessThanOrEqual(DEFAULT_REPLY_LIMITS.maxReplyBytes);
    }
    expect(reason).toBe('reply-too-large');
  });

  it('binary garbage is refused at once', () => {
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff);
    expect(reasonOf(() => parseAll([garbage]))).toBe('malformed-line');
  });

  it('rejects nonsensical limits as a programming error', () => {
    expect(() => new ReplyParser({ maxLineLength: 3 })).toThrow(RangeError);
    expect(() => new ReplyParser({ maxLines: 0 })).toThrow(RangeError);
    expect(() => new ReplyParser({ maxReplyBytes: Number.NaN })).toThrow(RangeError);
  });
});

describe('parseReplyText', () => {
  it('parses LF-separated text without a trailing newline', () => {
    expect(parseReplyText('550-5.7.1 blocked\n550 5.7.1 see url')).toEqual({
      code: 550,
      enhanced: '5.7.1',
      lines: ['550-5.7.1 blocked', '550 5.7.1 see url'],
      text: '5.7.1 blocked\n5.7.1 see url',
      bareLf: false,
    });
  });

  it('parses CRLF-separated text with trailing newlines', () => {
    expect(parseReplyText('421 4.7.0 try later\r\n\r\n')).toEqual({
      code: 421, enhanced: '4.7.0', lines: ['421 4.7.0 try later'], text: '4.7.0 try later', bareLf: false,
    });
  });

  const bad: Array<[string, string]> = [
    ['empty', ''],
    ['only newlines', '\n\n'],
    ['unfinished multi-line reply', '250-a\n250-b'],
    ['two replies', '250 a\n221 b'],
    ['not a reply', 'Connection refused'],
    ['mixed codes', '550-a\n450 b'],
  ];
  for (const [name, text] of bad) {
    it(`throws ProtocolError for ${name}`, () => {
      expect(() => parseReplyText(text)).toThrow(ProtocolError);
    });
  }
});

describe('extractEnhanced', () => {
  const cases: Array<[number, string, string | null]> = [
    [250, '2.1.0 Ok', '2.1.0'],
    [550, '5.7.1 Relaying denied', '5.7.1'],
    [451, '4.7.650 rate limited', '4.7.650'],
    [421, '4.7.0', '4.7.0'],
    [550, '4.7.1 class mismatch', null],
    [250, '5.0.0 class mismatch', null],
    [354, '3.0.0 no class 3', null],
    [550, 'mailbox 5.1.1 unknown', null],
    [550, ' 5.1.1 leading space', null],
    [550, '5.1.1234 detail too long', null],
    [550, '5.1.1.1 four parts', null],
    [550, '5.1 two parts', null],
    [550, '5.1.1: colon', null],
    [550, '', null],
  ];
  for (const [code, text, expected] of cases) {
    it(`${code} ${JSON.stringify(text)} -> ${String(expected)}`, () => {
      expect(extractEnhanced(code, text)).toBe(expected);
    });
  }
});
