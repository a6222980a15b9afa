/**
 * A streaming reader for the `-o json` results document (report/json.ts: one object whose
 * "targets" array is written one element at a time). It yields the top-level fields other than
 * "targets" whole (they are small: schemaVersion, tool, options, summary…) and the elements of
 * "targets" one by one, each parsed on its own, so memory holds one target, never the document.
 *
 * It is a structural scanner (RFC 8259 §2: objects, arrays, strings with escapes, primitives), not
 * a full parser: it finds where each value starts and ends and hands that slice to JSON.parse,
 * which does the validation. Positions are reported as 1-based line numbers for file:line errors.
 * A document that ends early (an interrupted writer, a full disk) is `truncated`, distinct from a
 * syntax error, so the caller can keep the complete targets read before the cut.
 *
 * The rule, by what the reader sees: the input ending inside a value, a string or the document is
 * `truncated` (a cut: the writer stopped there). Anything the writer could not have produced is a
 * syntax error at its line, even if the document also ends early: a wrong token, an unparseable
 * value, and a string running into a raw line break or other control character (JSON.stringify
 * escapes those, RFC 8259 §7, so an open string followed by more lines is a broken file, not a cut).
 */

export type JsonStreamEvent = { kind: 'field'; key: string; value: unknown; line: number } | { kind: 'target'; value: unknown; line: number; index: number };

export class JsonStreamError extends Error {
  constructor(
    readonly line: number,
    message: string,
    /** True when the input ended before the document did. */
    readonly truncated: boolean,
  ) {
    super(message);
  }
}

type State = 'start' | 'key-or-end' | 'key' | 'colon' | 'value' | 'comma-or-end' | 'elem-or-end' | 'elem' | 'elem-comma-or-end' | 'done';

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Push-based: `feed(chunk)` returns the events completed by that chunk, `end()` checks the document
 * was complete. One value is captured at a time (`parts` plus the scanning state), so a target's
 * text may span any number of chunks.
 */
export class JsonDocumentScanner {
  private state: State = 'start';
  private line = 1;
  private key = '';
  private targetIndex = 0;
  /** Capture of the value in progress (null: none). */
  private cap: { parts: string[]; depth: number; inString: boolean; escape: boolean; primitive: boolean; line: number; into: 'key' | 'field' | 'elem' } | null = null;

  constructor(private readonly skipTargets = false) {}

  feed(chunk: string): JsonStreamEvent[] {
    const out: JsonStreamEvent[] = [];
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const cap = this.cap;
      if (cap !== null) {
        // Scan the captured value up to its end or the end of the chunk.
        const start = i;
        let ended = false;
        while (i < n) {
          const c = chunk.charCodeAt(i);
          if (c === 0x0a) this.line++;
          if (cap.inString) {
            // RFC 8259 §7: a control character (U+0000-U+001F) inside a string must be escaped,
            // and JSON.stringify always does. A raw one (a line break) means the string was never
            // closed: a syntax error on this line, not a document that ends early.
            if (c < 0x20) {
              if (c === 0x0a) this.line--;
              throw this.err('a string is not closed before the end of its line (unescaped control character)');
            }
            if (cap.escape) cap.escape = false;
            else if (c === 0x5c) cap.escape = true;
            else if (c === 0x22) {
              cap.inString = false;
              if (cap.depth === 0) {
                i++;
                ended = true;
                break;
              }
            }
            i++;
            continue;
          }
          if (cap.primitive) {
            if (c === 0x2c || c === 0x7d || c === 0x5d || WS.has(c)) {
              if (c === 0x0a) this.line--; // not consumed here
              ended = true;
              break;
            }
            i++;
            continue;
          }
          if (c === 0x22) cap.inString = true;
          else if (c === 0x7b || c === 0x5b) cap.depth++;
          else if (c === 0x7d || c === 0x5d) {
            cap.depth--;
            if (cap.depth === 0) {
              i++;
              ended = true;
              break;
            }
          }
          i++;
        }
        if (!(cap.into === 'elem' && this.skipTargets)) cap.parts.push(chunk.slice(start, i));
        if (ended) this.complete(out);
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (WS.has(c)) {
        if (c === 0x0a) this.line++;
        i++;
        continue;
      }
      switch (this.state) {
        case 'start':
          if (c !== 0x7b) throw this.err(`expected "{" at the start of a results document`);
          this.state = 'key-or-end';
          i++;
          break;
        case 'key-or-end':
        case 'key':
          if (c === 0x7d && this.state === 'key-or-end') {
            this.state = 'done';
            i++;
            break;
          }
          if (c !== 0x22) throw this.err('expected a property name');
          this.begin('key', c);
          break;
        case 'colon':
          if (c !== 0x3a) throw this.err('expected ":"');
          this.state = 'value';
          i++;
          break;
        case 'value':
          if (this.key === 'targets' && c === 0x5b) {
            this.state = 'elem-or-end';
            i++;
            break;
          }
          if (this.key === 'targets') throw this.err('"targets" is not an array');
          this.begin('field', c);
          break;
        case 'comma-or-end':
          if (c === 0x2c) this.state = 'key';
          else if (c === 0x7d) this.state = 'done';
          else throw this.err('expected "," or "}"');
          i++;
          break;
        case 'elem-or-end':
        case 'elem':
          if (c === 0x5d && this.state === 'elem-or-end') {
            this.state = 'comma-or-end';
            i++;
            break;
          }
          this.begin('elem', c);
          break;
        case 'elem-comma-or-end':
          if (c === 0x2c) this.state = 'elem';
          else if (c === 0x5d) this.state = 'comma-or-end';
          else throw this.err('expected "," or "]" in "targets"');
          i++;
          break;
        case 'done':
          throw this.err('unexpected text after the end of the document');
      }
    }
    return out;
  }

  /** The input ended: anything but a finished document is truncated. */
  end(): void {
    // A value still being captured (even a complete primitive) means the closing brace is missing.
    if (this.state === 'done' && this.cap === null) return;
    throw new JsonStreamError(this.line, this.state === 'start' ? 'empty file' : 'the document ends early (truncated)', true);
  }

  private err(message: string): JsonStreamError {
    return new JsonStreamError(this.line, message, false);
  }

  private begin(into: 'key' | 'field' | 'elem', c: number): void {
    const isStr = c === 0x22;
    const nested = c === 0x7b || c === 0x5b;
    // A string opens with its quote consumed by the scan loop; containers count depth there.
    this.cap = { parts: [], depth: 0, inString: false, escape: false, primitive: !isStr && !nested, line: this.line, into };
  }

  private complete(out: JsonStreamEvent[]): void {
    const cap = this.cap!;
    this.cap = null;
    if (cap.into === 'elem' && this.skipTargets) {
      this.targetIndex++;
      this.state = 'elem-comma-or-end';
      return;
    }
    const text = cap.parts.join('');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new JsonStreamError(cap.line, `not valid JSON (${e instanceof Error ? e.message : String(e)})`, false);
    }
    if (cap.into === 'key') {
      this.key = value as string;
      this.state = 'colon';
    } else if (cap.into === 'field') {
      out.push({ kind: 'field', key: this.key, value, line: cap.line });
      this.state = 'comma-or-end';
    } else {
      out.push({ kind: 'target', value, line: cap.line, index: this.targetIndex++ });
      this.state = 'elem-comma-or-end';
    }
  }
}
