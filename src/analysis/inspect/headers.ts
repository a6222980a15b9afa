/**
 * Message framing for `inspect`: split an mbox into messages and read one message's header block.
 * Pure string code; no I/O.
 */

export interface HeaderField {
  /** The field name as written (case kept). */
  name: string;
  /** The unfolded value (RFC 5322 §2.2.3: CRLF followed by WSP is removed), trimmed. */
  value: string;
  /** The value as written, folding kept, with line breaks normalised to "\n" (report parsers need lines). */
  folded: string;
}

/** Normalise CRLF / lone CR to LF so the parsers below see one line convention. */
export function normaliseNewlines(raw: string): string {
  return raw.replace(/\r\n?/g, '\n');
}

/**
 * Split an mbox ("From " separator lines, mboxo/mboxrd) into its messages. A file that does not
 * start with "From " is one message (a plain .eml). A "From " line counts as a separator only at
 * the start of the file or after an empty line, which is how mbox writers emit it (RFC 4155 §2).
 */
export function splitMbox(raw: string): string[] {
  const text = normaliseNewlines(raw);
  if (!text.startsWith('From ')) return [text];
  const lines = text.split('\n');
  const messages: string[] = [];
  let current: string[] | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const prevBlank = i === 0 || lines[i - 1] === '';
    if (line.startsWith('From ') && prevBlank) {
      if (current) messages.push(trimTrailingBlank(current).join('\n'));
      current = [];
      continue;
    }
    current?.push(line);
  }
  if (current) messages.push(trimTrailingBlank(current).join('\n'));
  return messages;
}

function trimTrailingBlank(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1] === '') end--;
  return lines.slice(0, end);
}

/** Split one message into its header fields (in order, top first) and its body. */
export function parseMessage(raw: string): { headers: HeaderField[]; body: string } {
  const text = normaliseNewlines(raw);
  const blank = text.indexOf('\n\n');
  const head = blank === -1 ? text : text.slice(0, blank);
  const body = blank === -1 ? '' : text.slice(blank + 2);
  const headers: HeaderField[] = [];
  let name: string | null = null;
  let parts: string[] = [];
  const flush = (): void => {
    if (name === null) return;
    const folded = parts.join('\n');
    headers.push({ name, folded, value: folded.replace(/\n[ \t]+/g, ' ').replace(/\s+/g, ' ').trim() });
  };
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line)) {
      // Continuation of the previous field (RFC 5322 §2.2.3); junk before any field is dropped.
      if (name !== null) parts.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    // mboxrd keeps ">From " quoting only in bodies; a header line without a colon is malformed: skip it.
    if (colon <= 0) continue;
    flush();
    name = line.slice(0, colon).trim();
    parts = [line.slice(colon + 1).replace(/^ /, '')];
  }
  flush();
  return { headers, body };
}

/** All values of a field, top first, matched case-insensitively (RFC 5322 §1.2.2). */
export function fields(headers: readonly HeaderField[], name: string): HeaderField[] {
  const want = name.toLowerCase();
  return headers.filter((h) => h.name.toLowerCase() === want);
}

export function firstValue(headers: readonly HeaderField[], name: string): string | null {
  return fields(headers, name)[0]?.value ?? null;
}
