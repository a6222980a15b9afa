/**
 * Reading swaks's transcript: "<-  " server lines, " -> " client lines, "<~  " / " ~> " the same
 * inside TLS, "<** " a server error reply, "=== " swaks's own notes.
 */
export interface SwaksTranscript {
  /** Server lines before the first client command: the banner. */
  banner: string[];
  /** The reply to the first EHLO (plain text). */
  ehlo: string[];
  /** The reply to the EHLO after STARTTLS, when --tls was used. */
  ehloTls: string[];
  /** "TLSv1.3:TLS_AES_256_GCM_SHA384:256" from "=== TLS started with cipher ...". */
  tlsCipher: string | null;
  /** Every server reply line, in order, without the marker. */
  server: string[];
}

export function parseSwaks(out: string): SwaksTranscript {
  const t: SwaksTranscript = { banner: [], ehlo: [], ehloTls: [], tlsCipher: null, server: [] };
  let current: string[] | null = t.banner;
  for (const raw of out.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const marker = line.slice(0, 4);
    const body = line.slice(4);
    if (marker === ' -> ' || marker === ' ~> ') {
      const verb = body.split(' ')[0]?.toUpperCase();
      current = verb === 'EHLO' ? (marker === ' -> ' ? t.ehlo : t.ehloTls) : null;
    } else if (marker === '<-  ' || marker === '<~  ' || marker === '<** ' || marker === '<~* ') {
      t.server.push(body);
      current?.push(body);
    } else if (line.startsWith('=== TLS started with cipher ')) {
      t.tlsCipher = line.slice('=== TLS started with cipher '.length).trim();
    }
  }
  return t;
}

/** EHLO keywords (RFC 5321 §4.1.1.1) from reply lines: every line after the first, upper-cased keyword -> params. */
export function ehloKeywords(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const text = line.slice(4);
    const sp = text.indexOf(' ');
    const kw = (sp < 0 ? text : text.slice(0, sp)).toUpperCase();
    if (kw && !(kw in out)) out[kw] = sp < 0 ? '' : text.slice(sp + 1);
  }
  return out;
}
