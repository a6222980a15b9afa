/**
 * Output sanitisation for text that came from a remote server (banners, replies, EHLO names).
 *
 * The results contract keeps server text verbatim; every renderer passes it through one of these
 * functions before it reaches a terminal, an HTML page or a spreadsheet. A hostile SMTP server
 * controls its banner completely, so without this it could move our cursor, rewrite the window
 * title (OSC), hide lines with a lone CR, or reorder what a reader sees with bidi overrides
 * (CVE-2021-42574, "Trojan Source").
 *
 * The scanner is a single linear pass (no backtracking regexes), so a reply full of unterminated
 * escape introducers cannot make it quadratic.
 */

const ESC = 0x1b;
const BEL = 0x07;
const CAN = 0x18;
const SUB = 0x1a;
/** 8-bit String Terminator (ECMA-48 §8.3.143). */
const ST8 = 0x9c;
/** 8-bit Control Sequence Introducer (ECMA-48 §8.3.16). */
const CSI8 = 0x9b;

/**
 * Introducers of "command strings" that run until ST: DCS, SOS, OSC, PM, APC (ECMA-48 §5.6).
 * 7-bit forms are ESC followed by these final bytes; 8-bit forms are the C1 code points.
 */
const STRING_FINALS_7BIT = new Set([0x50 /* P DCS */, 0x58 /* X SOS */, 0x5d /* ] OSC */, 0x5e /* ^ PM */, 0x5f /* _ APC */]);
const STRING_INTRODUCERS_8BIT = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);

/**
 * Bidirectional formatting characters (Unicode UAX #9 §2): the embeddings/overrides U+202A–U+202E,
 * the isolates U+2066–U+2069 and the implicit marks LRM/RLM/ALM. All of them can make the
 * displayed order of server text differ from its logical order.
 */
function isBidiControl(c: number): boolean {
  return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e || c === 0x200f || c === 0x061c;
}

/** C0 (incl. tab/CR/LF), DEL and C1: everything a terminal may interpret rather than print. */
function isControl(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/**
 * Skip a control sequence body: parameter bytes 0x30–0x3F, intermediates 0x20–0x2F, one final byte
 * 0x40–0x7E (ECMA-48 §5.4). An unterminated sequence is dropped up to where it stopped matching, the
 * same way a terminal would swallow it. Returns the index after the sequence.
 */
function skipCsi(s: string, j: number): number {
  const n = s.length;
  while (j < n && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x3f) j++;
  while (j < n && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x2f) j++;
  if (j < n && s.charCodeAt(j) >= 0x40 && s.charCodeAt(j) <= 0x7e) j++;
  return j;
}

/**
 * Skip a command string (OSC/DCS/...) up to its terminator: BEL (xterm's OSC convention), ESC \ or
 * the 8-bit ST. When no terminator is found before the next thing that could start or abort a
 * sequence (ESC, CAN, SUB, a C1 introducer) or the end of the string, only the introducer is
 * removed and the payload is kept as visible text: showing it is harmless once its introducer is
 * gone, and dropping everything to the end would hide the rest of the reply. Stopping at the next
 * possible introducer also keeps the whole scan linear.
 */
function skipString(s: string, start: number): number {
  const n = s.length;
  for (let j = start; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c === BEL || c === ST8) return j + 1;
    if (c === ESC) return s.charCodeAt(j + 1) === 0x5c /* \ */ ? j + 2 : start;
    if (c === CAN || c === SUB || c === CSI8 || STRING_INTRODUCERS_8BIT.has(c)) return start;
  }
  return start;
}

/**
 * Strip terminal control sequences before printing server text.
 *
 * - ANSI CSI (`ESC [` … final, and the 8-bit U+009B), OSC/DCS/SOS/PM/APC strings (terminated by BEL,
 *   `ESC \` or U+009C) and every other ESC sequence are removed whole;
 * - C0 controls, DEL and C1 controls (U+0080–U+009F) are removed; tab becomes a space;
 * - CRLF counts as one newline; a lone CR is removed (it would return the cursor to column 0 and
 *   let the server overwrite what we printed before it);
 * - a newline is kept only with `keepNewlines`, otherwise it becomes a space;
 * - bidi embeddings/overrides/isolates/marks are removed.
 *
 * The output contains none of those characters, so `stripControl(stripControl(s)) === stripControl(s)`.
 */
export function stripControl(s: string, opts?: { keepNewlines?: boolean }): string {
  const newline = opts?.keepNewlines === true ? '\n' : ' ';
  const n = s.length;
  let out = '';
  // Copy runs of ordinary characters in one slice instead of char by char.
  let runStart = 0;
  let i = 0;
  const flush = (end: number): void => {
    if (end > runStart) out += s.slice(runStart, end);
  };
  while (i < n) {
    const c = s.charCodeAt(i);
    if (!isControl(c) && !isBidiControl(c)) {
      i++;
      continue;
    }
    flush(i);
    if (c === ESC) {
      const next = s.charCodeAt(i + 1); // NaN at end of string: no match below
      if (next === 0x5b /* [ */) {
        i = skipCsi(s, i + 2);
      } else if (STRING_FINALS_7BIT.has(next)) {
        i = skipString(s, i + 2);
      } else {
        // Other escape sequences (ECMA-35: ESC, intermediates 0x20–0x2F, final 0x30–0x7E), e.g.
        // `ESC c` (full reset), `ESC ( 0` (line-drawing charset), `ESC 7`. A lone ESC is just dropped.
        let j = i + 1;
        while (j < n && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x2f) j++;
        if (j < n && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x7e) j++;
        i = j;
      }
    } else if (c === CSI8) {
      i = skipCsi(s, i + 1);
    } else if (STRING_INTRODUCERS_8BIT.has(c)) {
      i = skipString(s, i + 1);
    } else if (c === 0x09) {
      out += ' ';
      i++;
    } else if (c === 0x0d) {
      if (s.charCodeAt(i + 1) === 0x0a) {
        out += newline;
        i += 2;
      } else {
        i++; // lone CR: dropped
      }
    } else if (c === 0x0a) {
      out += newline;
      i++;
    } else {
      i++; // other C0, DEL, C1, bidi: dropped
    }
    runStart = i;
  }
  flush(n);
  return out;
}

/**
 * Code points that HTML forbids in text (WHATWG HTML §13.2.5 "control" and "noncharacter" parse
 * errors) that stripControl leaves alone: lone surrogates and noncharacters (U+FDD0–U+FDEF and the
 * last two code points of every plane).
 */
function isHtmlForbidden(cp: number): boolean {
  return (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escape text for HTML element content and quoted attribute values. Control sequences are stripped
 * as for a terminal (newlines kept, so a `<pre>` shows multi-line replies), then characters HTML
 * does not allow are dropped, then `& < > " '` are escaped.
 */
export function escapeHtml(s: string): string {
  let out = '';
  for (const ch of stripControl(s, { keepNewlines: true })) {
    // for..of iterates code points; a lone surrogate arrives as its own one-unit string.
    const cp = ch.codePointAt(0) ?? 0;
    if (isHtmlForbidden(cp)) continue;
    out += HTML_ESCAPES[ch] ?? ch;
  }
  return out;
}

/**
 * Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV Injection").
 * Checked on the first non-space character too, because some spreadsheet apps trim leading spaces.
 */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/**
 * One RFC 4180 cell. Strings are first passed through stripControl (newlines kept) so that `cat`
 * on a CSV file cannot drive the terminal either; a cell whose first (non-space) character could
 * start a formula is prefixed with a single quote (OWASP); the cell is then quoted when it holds a
 * comma, a double quote, CR or LF (RFC 4180 §2.6), doubling inner quotes (§2.7).
 * null/undefined give an empty cell; numbers and booleans are our own data and are written as is
 * (a negative number stays a number), with non-finite numbers written as an empty cell.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let text = stripControl(value, { keepNewlines: true });
  const firstNonSpace = text.trimStart()[0];
  if (firstNonSpace !== undefined && (FORMULA_START.has(text[0] ?? '') || FORMULA_START.has(firstNonSpace))) {
    text = `'${text}`;
  }
  if (/[",\r\n]/.test(text)) return `"${text.replaceAll('"', '""')}"`;
  return text;
}

/**
 * Truncate to at most `max` code points, ending with "…" when anything was cut. Counting code
 * points (not UTF-16 units) never splits a surrogate pair. `max <= 0` gives "".
 */
export function truncate(s: string, max: number): string {
  if (max <= 0) return '';
  // Fast path: a string of at most `max` UTF-16 units has at most `max` code points.
  if (s.length <= max) return s;
  const cps = Array.from(s);
  if (cps.length <= max) return s;
  return cps.slice(0, Math.max(0, Math.floor(max) - 1)).join('') + '…';
}
