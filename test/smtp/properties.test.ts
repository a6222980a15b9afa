import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Buffer } from 'node:buffer';
import { CommandUnsafeError, ProtocolError } from '../../src/errors.js';
import type { SmtpReply } from '../../src/results.js';
import { observedClientIp, parseCapabilities } from '../../src/smtp/capabilities.js';
import { ehloCommand, formatCommand, mailFromCommand, PROBE_VERBS, rcptToCommand, type Verb } from '../../src/smtp/command.js';
import { extractEnhanced, ReplyParser, type ReplyLimits } from '../../src/smtp/reply.js';

interface Outcome {
  replies: SmtpReply[];
  error: { reason: string; message: string } | null;
}

/** Feed `bytes` cut at `cuts` and collect everything the parser reports. Rethrows non-protocol errors. */
function run(bytes: Uint8Array, cuts: number[], limits?: Partial<ReplyLimits>): Outcome {
  const p = new ReplyParser(limits);
  const replies: SmtpReply[] = [];
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  try {
    for (const at of [...points, bytes.length]) {
      replies.push(...p.push(bytes.subarray(prev, at)));
      prev = at;
    }
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    replies.push(...p.completedBeforeError);
    return { replies, error: { reason: err.reason, message: err.message } };
  }
  return { replies, error: null };
}

/**
 * SMTP-shaped bytes: mostly plausible reply lines (so streams get past the first line and reach
 * the caps), some bad codes, odd terminators, UTF-8 and raw junk mixed in.
 */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', 'mx.example', '5.7.1 blocked', '2.0.0 ok', 'SIZE 1000', 'AUTH PLAIN', 'Hello [192.0.2.7]', 'grüß ✉'),
);
/** A well-formed reply: one code, "-" on every line but the last. */
const goodReply = fc.tuple(
  fc.constantFrom('220', '250', '354', '421', '550'),
  fc.array(fc.tuple(text, fc.constantFrom('\r\n', '\r\n', '\n')), { minLength: 1, maxLength: 10 }),
  fc.boolean(),
).map(([c, lines, bareLast]) =>
  lines.map(([t, end], i) => (i === lines.length - 1 ? (bareLast && t === '' ? c : `${c} ${t}`) : `${c}-${t}`) + end).join(''));
const badLine = fc.tuple(
  fc.constantFrom('199', '600', '25', '2500', 'abc', 'HTTP/1.1', ''),
  fc.constantFrom('-', ' ', '', '\t', 'x'),
  text,
  fc.constantFrom('\r\n', '\n', '\r', '\r\r\n', ''),
).map(([c, sep, t, end]) => c + sep + t + end);
const smtpishLine = fc.oneof(
  { arbitrary: goodReply.map((l) => Buffer.from(l, 'utf8')), weight: 12 },
  // A lone continuation line: followed by another reply it makes an inconsistent-code stream.
  { arbitrary: fc.constantFrom('220-', '250-', '550-').map((c) => Buffer.from(`${c}cont\r\n`)), weight: 2 },
  { arbitrary: badLine.map((l) => Buffer.from(l, 'utf8')), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)), weight: 1 },
);
const smtpishStream = fc.array(smtpishLine, { maxLength: 12 }).map((parts) => new Uint8Array(Buffer.concat(parts)));
const anyStream = fc.oneof(smtpishStream, fc.uint8Array({ maxLength: 600 }));
const smallLimits = fc.record({
  maxLineLength: fc.integer({ min: 4, max: 60 }),
  maxReplyBytes: fc.integer({ min: 1, max: 400 }),
  maxLines: fc.integer({ min: 1, max: 20 }),
});
const limits = fc.option(smallLimits, { nil: undefined });

describe('reply parser properties', () => {
  it('on arbitrary bytes it throws nothing but ProtocolError', () => {
    fc.assert(
      fc.property(anyStream, fc.array(fc.nat(), { maxLength: 8 }), limits, (bytes, cuts, lim) => {
        // run() rethrows any non-ProtocolError, failing the property.
        run(bytes, cuts, lim);
      }),
      { numRuns: 1000 },
    );
  });

  it('any split of the same stream gives the same replies and the same error', () => {
    fc.assert(
      fc.property(anyStream, fc.array(fc.nat(), { maxLength: 12 }), limits, (bytes, cuts, lim) => {
        const whole = run(bytes, [], lim);
        expect(run(bytes, cuts, lim)).toEqual(whole);
        // Cuts right after a CR are the interesting ones (is it CRLF or text?): always try them too.
        const afterCr = Array.from(bytes.entries()).filter(([, b]) => b === 0x0d).map(([i]) => i + 1);
        expect(run(bytes, [...afterCr, ...cuts], lim)).toEqual(whole);
      }),
      { numRuns: 1000 },
    );
  });

  it('byte-at-a-time feeding matches one push', () => {
    fc.assert(
      fc.property(smtpishStream, limits, (bytes, lim) => {
        const everyByte = Array.from({ length: bytes.length }, (_, i) => i);
        expect(run(bytes, everyByte, lim)).toEqual(run(bytes, [], lim));
      }),
      { numRuns: 300 },
    );
  });

  it('never holds more than the caps allow', () => {
    fc.assert(
      fc.property(anyStream, fc.array(fc.nat(), { maxLength: 12 }), smallLimits, (bytes, cuts, lim) => {
        const p = new ReplyParser(lim);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        let prev = 0;
        for (const at of [...points, bytes.length]) {
          try {
            p.push(bytes.subarray(prev, at));
          } catch {
            return;
          }
          prev = at;
          // Completed lines of the reply in progress + one incomplete line (+ a possible CR).
          expect(p.pendingBytes).toBeLessThanOrEqual(lim.maxReplyBytes + lim.maxLineLength + 1);
          expect(p.partialLines.length).toBeLessThanOrEqual(lim.maxLines);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('well-formed replies round-trip whatever the terminators and splits', () => {
    const textLine = fc.string({ maxLength: 60 }).filter((s) => !/[\r\n]/.test(s));
    const reply = fc.record({
      code: fc.integer({ min: 200, max: 599 }),
      texts: fc.array(textLine, { minLength: 1, maxLength: 6 }),
      ends: fc.array(fc.constantFrom('\r\n', '\n'), { minLength: 6, maxLength: 6 }),
    });
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 10 }), (replies, cuts) => {
        const expected: SmtpReply[] = [];
        let wire = '';
        for (const r of replies) {
          const lines = r.texts.map((t, i) => `${r.code}${i === r.texts.length - 1 ? ' ' : '-'}${t}`);
          const ends = r.texts.map((_, i) => r.ends[i] ?? '\r\n');
          wire += lines.map((l, i) => l + ends[i]).join('');
          // Lone surrogates are not representable in UTF-8; the parser sees U+FFFD, as a peer would send.
          const norm = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');
          expected.push({
            code: r.code,
            enhanced: extractEnhanced(r.code, norm(r.texts[0] ?? '')),
            lines: lines.map(norm),
            text: r.texts.map(norm).join('\n'),
            bareLf: ends.includes('\n'),
          });
        }
        const out = run(Buffer.from(wire, 'utf8'), cuts, { maxLineLength: 4096 });
        expect(out.error).toBeNull();
        expect(out.replies).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('capability parser properties', () => {
  it('never throws on replies the reply parser accepts from arbitrary bytes', () => {
    fc.assert(
      fc.property(anyStream, (bytes) => {
        for (const reply of run(bytes, []).replies) {
          const caps = parseCapabilities(reply);
          expect(typeof caps.keywords).toBe('object');
          observedClientIp(reply);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary reply objects, and keyword keys are upper-case ASCII-wise', () => {
    const anyReply = fc.record({
      code: fc.integer({ min: -1000, max: 1000 }),
      enhanced: fc.option(fc.string(), { nil: null }),
      lines: fc.array(fc.string({ maxLength: 80 }), { maxLength: 12 }),
      text: fc.string({ maxLength: 200 }),
      bareLf: fc.boolean(),
    });
    fc.assert(
      fc.property(anyReply, (reply) => {
        const caps = parseCapabilities(reply);
        for (const k of Object.keys(caps.keywords)) expect(/[a-z]/.test(k)).toBe(false);
        expect(new Set(caps.auth).size).toBe(caps.auth.length);
        if (caps.size !== null) expect(Number.isSafeInteger(caps.size) && caps.size > 0).toBe(true);
        const ip = observedClientIp(reply);
        if (ip !== null) expect(reply.lines.join('\n') + reply.text).toContain('[');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('command formatter properties', () => {
  /** Strings rich in the characters that matter. */
  const nasty = fc.array(
    fc.oneof(fc.constantFrom('\r', '\n', '\0', '\r\n', '<', '>', ' ', 'DATA', '.', 'ü'), fc.string({ maxLength: 8 })),
    { maxLength: 12 },
  ).map((parts) => parts.join(''));

  /** The property: either CommandUnsafeError, or one line whose only CR/LF is the final CRLF, <= 512 octets. */
  function check(build: () => string): void {
    let line: string;
    try {
      line = build();
    } catch (err) {
      expect(err).toBeInstanceOf(CommandUnsafeError);
      return;
    }
    expect(line.endsWith('\r\n')).toBe(true);
    expect(/[\r\n\0]/.test(line.slice(0, -2))).toBe(false);
    expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(512);
  }

  it('formatCommand never emits CR, LF or NUL except the final CRLF', () => {
    const verb = fc.oneof(fc.constantFrom(...PROBE_VERBS), fc.constantFrom('DATA', 'AUTH', 'BDAT'), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(verb, fc.option(nasty, { nil: undefined }), (v, arg) => {
        check(() => formatCommand(v as Verb, arg));
      }),
      { numRuns: 2000 },
    );
  });

  it('the address and EHLO helpers never emit CR, LF or NUL except the final CRLF', () => {
    fc.assert(
      fc.property(nasty, fc.array(nasty, { maxLength: 3 }), (s, params) => {
        check(() => ehloCommand(s));
        check(() => mailFromCommand(s, params));
        check(() => rcptToCommand(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('a safe argument always produces a command that contains it verbatim', () => {
    const safe = fc.string({ minLength: 1, maxLength: 100 }).filter((s) => !/[\r\n\0]/.test(s));
    fc.assert(
      fc.property(safe, (s) => {
        expect(ehloCommand(s)).toBe(`EHLO ${s}\r\n`);
      }),
      { numRuns: 500 },
    );
  });
});
