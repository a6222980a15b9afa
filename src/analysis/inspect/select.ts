/**
 * Streaming message selection for `inspect` (B11): an mbox or .eml of any size is read once,
 * line by line, keeping only the message that will be inspected (the last one, or the last with
 * the wanted X-Mxprobe-Token), and of it only what inspect reads: the header block, capped, and
 * the start of the body (where `deliver` writes "HELO:" and "Source IP:"). Memory is bounded by
 * the caps below, not by the input: 50 MB of garbage or 300k Received: lines cannot grow it.
 *
 * Pure: fed lines (already split, see `splitLines`), no I/O.
 */
import { UsageError } from '../../errors.js';

export interface SelectLimits {
  /** Octets of one message's header block kept (RFC 5322 has no limit; real headers are KB). */
  maxHeaderBytes: number;
  /** Octets of the body kept (deliver's "HELO:" and "Source IP:" lines are at its start). */
  maxBodyBytes: number;
  /** Octets of one line kept; the rest of a longer line is dropped (RFC 5322 §2.1.1 says 998). */
  maxLineBytes: number;
}

export const DEFAULT_LIMITS: SelectLimits = { maxHeaderBytes: 1024 * 1024, maxBodyBytes: 64 * 1024, maxLineBytes: 64 * 1024 };

export interface Selected {
  /** The chosen message: header block, a blank line, the kept start of the body. */
  text: string;
  /** Messages in the input. */
  messageCount: number;
  /** 1-based number of the chosen message. */
  selected: number;
  /** The header block was longer than maxHeaderBytes and was cut. */
  headerTruncated: boolean;
}

/** RFC 5322 §3.6.8: field-name = 1*ftext (printable ASCII except ":"), then ":". */
const FIELD_START = /^[\x21-\x39\x3b-\x7e]+:/;
const TOKEN_RE = /^X-Mxprobe-Token:\s*(.*?)\s*$/i;

class Message {
  head: string[] = [];
  headBytes = 0;
  body: string[] = [];
  bodyBytes = 0;
  inBody = false;
  headerTruncated = false;
  /** The first header line is a header field (not garbage). */
  firstLineOk: boolean | null = null;
  token: string | null = null;
  lastWasBlank = false;
}

/**
 * Choose the message to inspect from a stream of lines (LF-free). Throws UsageError when the
 * input holds no message at all or the chosen one does not start with a header field.
 */
export async function selectMessage(lines: AsyncIterable<string>, token: string | undefined, limits: SelectLimits = DEFAULT_LIMITS): Promise<Selected> {
  let count = 0;
  let mbox: boolean | null = null;
  let current: Message | null = null;
  let chosen: { msg: Message; index: number } | null = null;
  let prevBlank = true;

  const finish = (m: Message | null) => {
    if (m === null) return;
    count++;
    if (token === undefined || m.token === token) chosen = { msg: m, index: count };
  };

  for await (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (mbox === null) mbox = line.startsWith('From ');
    // RFC 4155 §2: a "From " line starts a message at the start of the file or after a blank line.
    if (mbox && prevBlank && line.startsWith('From ')) {
      finish(current);
      current = new Message();
      prevBlank = false;
      continue;
    }
    prevBlank = line === '';
    current ??= new Message();
    const m: Message = current;
    if (!m.inBody) {
      if (line === '') {
        m.inBody = true;
        continue;
      }
      if (m.firstLineOk === null) m.firstLineOk = FIELD_START.test(line);
      const t = TOKEN_RE.exec(line);
      if (t) m.token = t[1] ?? '';
      if (m.headBytes + line.length + 1 > limits.maxHeaderBytes) {
        m.headerTruncated = true;
        continue;
      }
      m.head.push(line);
      m.headBytes += line.length + 1;
    } else if (m.bodyBytes < limits.maxBodyBytes) {
      m.body.push(line);
      m.bodyBytes += line.length + 1;
    }
  }
  finish(current);

  if (count === 0) throw new UsageError('the input is empty: no message to inspect');
  const pick = chosen as { msg: Message; index: number } | null;
  if (pick === null) throw new UsageError(`no message with X-Mxprobe-Token: ${token ?? ''} among ${count} message(s)`);
  if (pick.msg.firstLineOk !== true) {
    throw new UsageError(`message ${pick.index} of ${count} is not an e-mail message: it does not start with a header field (RFC 5322 §2.2)`);
  }
  // Drop mboxrd/mboxo trailing blank lines the way splitMbox does.
  while (pick.msg.body.length > 0 && pick.msg.body[pick.msg.body.length - 1] === '') pick.msg.body.pop();
  return {
    text: `${pick.msg.head.join('\n')}\n\n${pick.msg.body.join('\n')}`,
    messageCount: count,
    selected: pick.index,
    headerTruncated: pick.msg.headerTruncated,
  };
}

/**
 * Split a byte stream into lines without ever holding more than `maxLineBytes` of one line: a
 * 50 MB line of garbage costs 64 KB, not 50 MB (readline would buffer it whole).
 */
export async function* splitLines(chunks: AsyncIterable<Buffer | string>, maxLineBytes: number = DEFAULT_LIMITS.maxLineBytes): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let overflow = false;
  const decode = (parts: Buffer[]) => Buffer.concat(parts).toString('utf8');
  for await (const c of chunks) {
    const chunk = typeof c === 'string' ? Buffer.from(c) : c;
    let start = 0;
    let lf: number;
    while ((lf = chunk.indexOf(0x0a, start)) !== -1) {
      const piece = chunk.subarray(start, lf);
      if (!overflow) {
        const room = maxLineBytes - pendingLen;
        pending.push(piece.length > room ? piece.subarray(0, room) : piece);
      }
      yield decode(pending);
      pending = [];
      pendingLen = 0;
      overflow = false;
      start = lf + 1;
    }
    if (start < chunk.length && !overflow) {
      const rest = chunk.subarray(start);
      const room = maxLineBytes - pendingLen;
      if (rest.length >= room) {
        pending.push(Buffer.from(rest.subarray(0, room)));
        pendingLen = maxLineBytes;
        overflow = true;
      } else {
        // Copy: the chunk is not ours to keep alive.
        pending.push(Buffer.from(rest));
        pendingLen += rest.length;
      }
    }
  }
  if (pendingLen > 0) yield decode(pending);
}
