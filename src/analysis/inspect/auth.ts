/**
 * Authentication-Results (RFC 8601 §2.2) and Received-SPF (RFC 7208 §9.1) readers.
 */

export interface AuthMethodResult {
  /** spf, dkim, dmarc, arc, iprev, auth, ... (lower-cased). */
  method: string;
  /** pass, fail, softfail, neutral, none, temperror, permerror, policy (lower-cased). */
  result: string;
  reason: string | null;
  /** ptype.property → value, e.g. "smtp.mailfrom", "smtp.helo", "header.d", "header.from". */
  props: Record<string, string>;
}

export interface AuthenticationResults {
  authservId: string;
  results: AuthMethodResult[];
}

export interface ReceivedSpf {
  result: string;
  comment: string | null;
  /** key=value pairs: client-ip, envelope-from, helo, receiver, identity, mechanism, problem. */
  params: Record<string, string>;
}

/** Remove RFC 5322 comments (nested) outside quoted strings, keeping the text otherwise intact. */
function stripComments(s: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += c + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (depth === 0 && c === '"') quoted = !quoted;
    if (!quoted) {
      if (c === '(') {
        depth++;
        out += depth === 1 ? ' ' : '';
        continue;
      }
      if (c === ')' && depth > 0) {
        depth--;
        continue;
      }
    }
    if (depth === 0) out += c;
  }
  return out;
}

/** Split on a separator outside quoted strings. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c === '\\' && quoted) {
      cur += c + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** key=value words; values may be quoted strings (RFC 8601 §2.2 "value"). */
function pairs(s: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  // A value may mix quoted and plain parts: smtp.mailfrom="a;b"@example.test.
  const re = /([A-Za-z0-9_./-]+)\s*=\s*((?:"(?:[^"\\]|\\.)*"|[^\s;"])+)/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const key = m[1] ?? '';
    const value = (m[2] ?? '').replace(/"((?:[^"\\]|\\.)*)"/g, (_q, inner: string) => inner.replace(/\\(.)/g, '$1'));
    out.push([key, value]);
  }
  return out;
}

export function parseAuthenticationResults(value: string): AuthenticationResults {
  const parts = splitTop(stripComments(value), ';').map((p) => p.trim());
  // authserv-id may be followed by a version number (RFC 8601 §2.2). Microsoft 365 omits it and
  // starts with "spf=...": then there is no authserv-id and the first part is a result.
  const first = parts[0] ?? '';
  const noId = /^[A-Za-z0-9_-]+(?:\/\d+)?\s*=/.test(first);
  const authservId = noId ? '' : (first.split(/\s+/)[0] ?? '');
  const results: AuthMethodResult[] = [];
  for (const part of noId ? parts : parts.slice(1)) {
    if (part === '' || part.toLowerCase() === 'none') continue;
    const kv = pairs(part);
    const head = kv[0];
    if (!head) continue;
    const method = head[0].toLowerCase().replace(/\/\d+$/, '');
    const entry: AuthMethodResult = { method, result: head[1].toLowerCase(), reason: null, props: {} };
    for (const [k, v] of kv.slice(1)) {
      if (k.toLowerCase() === 'reason') entry.reason = v;
      else if (k.includes('.')) entry.props[k.toLowerCase()] = v;
    }
    results.push(entry);
  }
  return { authservId, results };
}

export function parseReceivedSpf(value: string): ReceivedSpf {
  const m = /^\s*([A-Za-z]+)\s*(?:\(([^)]*)\))?\s*(.*)$/s.exec(value);
  const params: Record<string, string> = {};
  for (const [k, v] of pairs(stripComments(m?.[3] ?? ''))) params[k.toLowerCase()] = v;
  return { result: (m?.[1] ?? '').toLowerCase(), comment: m?.[2]?.trim() ?? null, params };
}
