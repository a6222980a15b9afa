/**
 * SMTP reply framing and parsing (RFC 5321 §4.2). Pure: bytes in, replies out, no I/O.
 *
 * Design notes (why it looks like this):
 * - The peer is untrusted. Memory is bounded by the caps whatever it sends: an incomplete line is
 *   never buffered past `maxLineLength` (+1 byte for a CR that may start a CRLF), and a reply in
 *   progress never holds more than `maxReplyBytes` / `maxLines`.
 * - Lines are split on bytes (LF) and each line is decoded as UTF-8 on its own, so a multi-byte
 *   character split across TCP chunks decodes exactly as if it had arrived whole.
 * - Chunk-splitting invariance: every check is a function of the line's bytes, checked in a fixed
 *   order (code prefix, then line length, then line count, then reply size). Checks that fire early
 *   on an incomplete line (prefix, length) give the same verdict the complete line would, so any split
 *   of a stream yields the same replies and the same error.
 * - Only new bytes are scanned for LF (Buffer#indexOf is memchr), and a line is copied at most once
 *   into the small tail buffer, so the cost is linear in the input.
 */
import { Buffer } from 'node:buffer';
import type { SmtpReply } from '../results.js';
import { ProtocolError, type ProtocolErrorReason } from '../errors.js';

export interface ReplyLimits {
  maxLineLength: number;
  maxReplyBytes: number;
  maxLines: number;
}

/**
 * RFC 5321 §4.5.3.1.5 sets a reply line at 512 octets including CRLF, but real servers exceed it
 * (long Microsoft/Google rejection texts with URLs), so we allow 8x that. A reply of 64 KiB or 512
 * lines is far past anything legitimate and is treated as hostile.
 */
export const DEFAULT_REPLY_LIMITS: ReplyLimits = Object.freeze({
  maxLineLength: 4096,
  maxReplyBytes: 65536,
  maxLines: 512,
});

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HYPHEN = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_2 = 0x32;
const DIGIT_5 = 0x35;
const DIGIT_9 = 0x39;

function isDigit(b: number): boolean {
  return b >= DIGIT_0 && b <= DIGIT_9;
}

function checkLimit(name: keyof ReplyLimits, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    // A programming error by the caller, not a peer fault: RangeError, not ProtocolError.
    throw new RangeError(`ReplyLimits.${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function protocolError(reason: ProtocolErrorReason, lineNo: number, detail: string): ProtocolError {
  return new ProtocolError(`SMTP reply line ${lineNo}: ${detail}`, reason);
}

/**
 * Incremental reply parser. One per connection; feed it every byte the server sends.
 * After it throws it is unusable: every later push rethrows the same error.
 */
export class ReplyParser {
  readonly #limits: ReplyLimits;
  /** Bytes of the incomplete line (never more than maxLineLength + 1). */
  #tail: Buffer;
  #tailLen = 0;
  /** The reply in progress. */
  #code = -1;
  #lines: string[] = [];
  #texts: string[] = [];
  #replyBytes = 0;
  #bareLf = false;
  /** Lines completed in the whole stream, for error messages that do not depend on the split. */
  #lineNo = 0;
  #error: ProtocolError | null = null;
  #completedBeforeError: SmtpReply[] = [];

  constructor(limits?: Partial<ReplyLimits>) {
    // maxLineLength >= 4 guarantees the code prefix ("250-") is complete before a length check can
    // fire on an incomplete line, which keeps the verdict independent of how the stream was split.
    this.#limits = {
      maxLineLength: checkLimit('maxLineLength', limits?.maxLineLength ?? DEFAULT_REPLY_LIMITS.maxLineLength, 4),
      maxReplyBytes: checkLimit('maxReplyBytes', limits?.maxReplyBytes ?? DEFAULT_REPLY_LIMITS.maxReplyBytes, 1),
      maxLines: checkLimit('maxLines', limits?.maxLines ?? DEFAULT_REPLY_LIMITS.maxLines, 1),
    };
    // Start small; grow on demand up to maxLineLength + 1 (most servers send short lines).
    this.#tail = Buffer.allocUnsafe(Math.min(256, this.#limits.maxLineLength + 1));
  }

  get limits(): Readonly<ReplyLimits> {
    return this.#limits;
  }

  /** Bytes held for an incomplete line/reply (for diagnostics). */
  get pendingBytes(): number {
    return this.#replyBytes + this.#tailLen;
  }

  /** Lines (verbatim) of the incomplete multi-line reply so far, for keeping partial data on failure. */
  get partialLines(): string[] {
    return this.#lines.slice();
  }

  /** The incomplete last line (no terminator yet), decoded; '' when none. Partial data for failures. */
  get pendingText(): string {
    return this.#tail.toString('utf8', 0, this.#tailLen);
  }

  /** True once the parser threw; it stays broken. */
  get failed(): boolean {
    return this.#error !== null;
  }

  /**
   * Replies that were completed by the push that threw, before the faulty line. `push` cannot both
   * return and throw, so they are kept here: together with earlier return values they are exactly
   * the replies the stream held before the fault, however it was split.
   */
  get completedBeforeError(): SmtpReply[] {
    return this.#completedBeforeError.slice();
  }

  /**
   * Feed bytes as they arrive; returns every reply completed by this chunk (possibly several:
   * pipelining, unsolicited data). Throws ProtocolError on a cap or grammar violation.
   */
  push(chunk: Uint8Array | string): SmtpReply[] {
    if (this.#error) throw this.#error;
    const buf = typeof chunk === 'string'
      ? Buffer.from(chunk, 'utf8')
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: SmtpReply[] = [];
    try {
      this.#consume(buf, out);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.#error = err;
        this.#completedBeforeError = out;
      }
      throw err;
    }
    return out;
  }

  #consume(buf: Buffer, out: SmtpReply[]): void {
    let start = 0;
    const n = buf.length;
    while (start < n) {
      const lf = buf.indexOf(LF, start);
      if (lf === -1) {
        this.#holdTail(buf, start, n);
        return;
      }
      const crlf = lf > 0 ? buf[lf - 1] === CR : this.#tailLen > 0 && this.#tail[this.#tailLen - 1] === CR;
      let line: Buffer;
      if (this.#tailLen === 0) {
        line = buf.subarray(start, crlf ? lf - 1 : lf);
      } else if (lf === start) {
        // The LF completes the held tail; drop its trailing CR if it had one.
        line = this.#tail.subarray(0, crlf ? this.#tailLen - 1 : this.#tailLen);
      } else {
        const seg = buf.subarray(start, crlf ? lf - 1 : lf);
        if (this.#tailLen + seg.length > this.#limits.maxLineLength) {
          // Fail before copying an oversized segment; the prefix is already in the tail or seg.
          this.#checkPrefix(Buffer.concat([this.#tail.subarray(0, Math.min(4, this.#tailLen)), seg.subarray(0, 4)]).subarray(0, 4), true);
          throw protocolError('line-too-long', this.#lineNo + 1, `longer than ${this.#limits.maxLineLength} bytes`);
        }
        line = Buffer.concat([this.#tail.subarray(0, this.#tailLen), seg]);
      }
      // Raw size on the wire: content plus CRLF (2) or bare LF (1).
      const rawBytes = line.length + (crlf ? 2 : 1);
      this.#tailLen = 0;
      const reply = this.#completeLine(line, crlf, rawBytes);
      if (reply) out.push(reply);
      start = lf + 1;
    }
  }

  /** Keep buf[from, to) as (the end of) an incomplete line, enforcing the caps before copying. */
  #holdTail(buf: Buffer, from: number, to: number): void {
    const addLen = to - from;
    const total = this.#tailLen + addLen;
    const lastIsCr = addLen > 0 ? buf[to - 1] === CR : this.#tailLen > 0 && this.#tail[this.#tailLen - 1] === CR;
    // A trailing CR may be the first half of CRLF and not content: don't count it yet.
    const contentLen = lastIsCr ? total - 1 : total;
    // Prefix check on the content we have: those bytes are final even if the line is not. A
    // trailing CR is left out, as it may yet turn out to be the terminator ("250\r" + "\n").
    const prefixLen = Math.min(4, contentLen);
    const prefix = Buffer.allocUnsafe(prefixLen);
    const fromTail = Math.min(prefixLen, this.#tailLen);
    this.#tail.copy(prefix, 0, 0, fromTail);
    if (fromTail < prefixLen) buf.copy(prefix, fromTail, from, from + (prefixLen - fromTail));
    this.#checkPrefix(prefix, false);
    if (contentLen > this.#limits.maxLineLength) {
      // Thrown as soon as the cap is passed, before the rest of the line is buffered.
      throw protocolError('line-too-long', this.#lineNo + 1, `longer than ${this.#limits.maxLineLength} bytes`);
    }
    if (total > this.#tail.length) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(total, this.#tail.length * 2), this.#limits.maxLineLength + 1));
      this.#tail.copy(grown, 0, 0, this.#tailLen);
      this.#tail = grown;
    }
    buf.copy(this.#tail, this.#tailLen, from, to);
    this.#tailLen = total;
  }

  /**
   * RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF,
   * Reply-code = %x32-35 %x30-35 %x30-39. We accept any second digit (servers in the wild send
   * odd codes) but insist on a first digit 2..5 (§4.2.1: there is no 1yz in SMTP).
   * `prefix` holds the first min(4, length) bytes of the line; `complete` says the line ended.
   * Returns the code, or -1 while fewer than 3 bytes are known.
   */
  #checkPrefix(prefix: Buffer, complete: boolean): number {
    const lineNo = this.#lineNo + 1;
    const known = Math.min(3, prefix.length);
    for (let i = 0; i < known; i++) {
      const b = prefix[i]!;
      if (!isDigit(b) || (i === 0 && (b < DIGIT_2 || b > DIGIT_5))) {
        throw protocolError('malformed-line', lineNo, 'does not start with a 3-digit reply code 2xx-5xx');
      }
    }
    if (prefix.length < 3) {
      if (complete) throw protocolError('malformed-line', lineNo, 'does not start with a 3-digit reply code 2xx-5xx');
      return -1;
    }
    const code = (prefix[0]! - DIGIT_0) * 100 + (prefix[1]! - DIGIT_0) * 10 + (prefix[2]! - DIGIT_0);
    if (this.#code !== -1 && code !== this.#code) {
      // §4.2.1: all lines of a multi-line reply carry the same code.
      throw protocolError('inconsistent-code', lineNo, `code ${code} inside a multi-line ${this.#code} reply`);
    }
    if (prefix.length >= 4 && prefix[3] !== SP && prefix[3] !== HYPHEN) {
      throw protocolError('malformed-line', lineNo, 'reply code not followed by space, hyphen or end of line');
    }
    return code;
  }

  #completeLine(line: Buffer, crlf: boolean, rawBytes: number): SmtpReply | null {
    const code = this.#checkPrefix(line.subarray(0, 4), true);
    const lineNo = this.#lineNo + 1;
    if (line.length > this.#limits.maxLineLength) {
      throw protocolError('line-too-long', lineNo, `longer than ${this.#limits.maxLineLength} bytes`);
    }
    if (this.#lines.length + 1 > this.#limits.maxLines) {
      throw protocolError('too-many-lines', lineNo, `reply has more than ${this.#limits.maxLines} lines`);
    }
    if (this.#replyBytes + rawBytes > this.#limits.maxReplyBytes) {
      throw protocolError('reply-too-large', lineNo, `reply larger than ${this.#limits.maxReplyBytes} bytes`);
    }
    this.#lineNo = lineNo;
    this.#code = code;
    this.#replyBytes += rawBytes;
    if (!crlf) this.#bareLf = true;
    const text = line.toString('utf8');
    // Indexed stores, not push(): each reply's arrays start empty (SMI elements), and TurboFan's
    // inlined push() guards for a Smi there and was deoptimised by the first string (issue 13);
    // a keyed store carries the elements-kind transition instead.
    const lines = this.#lines;
    const texts = this.#texts;
    lines[lines.length] = text;
    texts[texts.length] = text.slice(4);
    // "ddd-" continues the reply; "ddd " or a bare "ddd" ends it.
    if (line.length >= 4 && line[3] === HYPHEN) return null;
    const firstText = this.#texts[0] ?? '';
    const reply: SmtpReply = {
      code,
      enhanced: extractEnhanced(code, firstText),
      lines: this.#lines,
      text: this.#texts.join('\n'),
      bareLf: this.#bareLf,
    };
    this.#code = -1;
    this.#lines = [];
    this.#texts = [];
    this.#replyBytes = 0;
    this.#bareLf = false;
    return reply;
  }
}

/**
 * Parse one complete reply from text (lines separated by \n or \r\n; trailing newline optional).
 * Throws ProtocolError. Used by `mxprobe classify` on pasted replies, so `bareLf` is always false:
 * a pasted text says nothing about the terminators used on the wire.
 */
export function parseReplyText(text: string): SmtpReply {
  const body = text.replace(/(?:\r?\n)+$/, '');
  if (body === '') throw new ProtocolError('SMTP reply text is empty', 'malformed-line');
  const parser = new ReplyParser();
  const replies = parser.push(body + '\r\n');
  const first = replies[0];
  if (replies.length === 0 || first === undefined) {
    throw new ProtocolError('SMTP reply text ends inside a multi-line reply (last line has "-")', 'malformed-line');
  }
  if (replies.length > 1 || parser.pendingBytes > 0) {
    throw new ProtocolError('SMTP reply text holds more than one reply', 'malformed-line');
  }
  return { ...first, bareLf: false };
}

/**
 * RFC 3463 §2 status-code = class "." subject "." detail; class = "2"/"4"/"5"; subject and detail
 * 1*3digit. RFC 2034 §4: it starts the text of each line, followed by a space.
 */
const ENHANCED_AT_START = /^([245])\.(\d{1,3})\.(\d{1,3})(?= |$)/;

/**
 * RFC 3463 enhanced code at the start of the text of a line, if its class digit matches the reply
 * code's first digit (RFC 2034 §4: "the class of the status code must match the reply code").
 */
export function extractEnhanced(code: number, text: string): string | null {
  const m = ENHANCED_AT_START.exec(text);
  if (!m) return null;
  if (Number(m[1]) !== Math.floor(code / 100)) return null;
  return m[0];
}
