/**
 * Spam-filter result headers: SpamAssassin (X-Spam-Status / X-Spam-Report, as written by spamd's
 * default add_header templates) and Rspamd (X-Spamd-Result / X-Rspamd-*, the "extended_spam_headers"
 * of the milter/proxy).
 */
import { fields, firstValue, type HeaderField } from './headers.js';

export interface SpamSymbol {
  name: string;
  /** The score the rule contributed; null when the header listed the name only. */
  score: number | null;
  /** Rspamd symbol options ("[...]") or SpamAssassin's rule description. */
  detail: string | null;
  /** The rule judges the sender's host names: HELO, reverse DNS, FCrDNS (see isHostnameSymbol). */
  hostnameRelated: boolean;
}

export interface SpamVerdict {
  engine: 'spamassassin' | 'rspamd';
  isSpam: boolean | null;
  score: number | null;
  threshold: number | null;
  /** Rspamd's action ("no action", "add header", "reject", ...); null for SpamAssassin. */
  action: string | null;
  symbols: SpamSymbol[];
}

/**
 * Rules that fire on the client's identity rather than on content: SpamAssassin HELO_* / RDNS_* /
 * *_HELO_* (e.g. HELO_DYNAMIC_IPADDR, RDNS_NONE, RCVD_NUMERIC_HELO, SPF_HELO_*, FSL_HELO_*) and Rspamd
 * hfilter's HFILTER_HELO_* / HFILTER_HOSTNAME_* / HFILTER_FROMHOST_* plus RDNS_NONE / RDNS_DNSFAIL.
 * HFILTER_URL_* judges URLs in the body, not the host, so it is excluded.
 */
export function isHostnameSymbol(name: string): boolean {
  const n = name.toUpperCase();
  if (n.startsWith('HFILTER_URL')) return false;
  return /HELO|RDNS|HOSTNAME|FCRDNS|^HFILTER_|^DYN_RDNS|^RCVD_ILLEGAL_IP/.test(n);
}

function num(s: string | undefined): number | null {
  if (s === undefined) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function symbol(name: string, score: number | null, detail: string | null): SpamSymbol {
  return { name, score, detail, hostnameRelated: isHostnameSymbol(name) };
}

/** The X-Spam-Report rule table: " 3.2 HELO_DYNAMIC_IPADDR Relay HELO'd ..." with "*" prefixes in headers. */
function parseSpamReport(folded: string): { symbols: SpamSymbol[]; score: number | null; threshold: number | null } {
  const symbols: SpamSymbol[] = [];
  let score: number | null = null;
  let threshold: number | null = null;
  let last: SpamSymbol | null = null;
  for (const rawLine of folded.split('\n')) {
    const line = rawLine.replace(/^\s*\*?\s*/, '').trimEnd();
    const totals = /\((-?[\d.]+) points?, (-?[\d.]+) required\)/.exec(line);
    if (totals) {
      score = num(totals[1]);
      threshold = num(totals[2]);
      continue;
    }
    const m = /^(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)(?:\s+(.*))?$/.exec(line);
    if (m?.[2]) {
      last = symbol(m[2], num(m[1]), m[3]?.trim() || null);
      symbols.push(last);
      continue;
    }
    // A wrapped description continues on the next "*      ..." line.
    if (last && line !== '' && !/^-+\s/.test(line) && !/^pts rule name/.test(line)) {
      last.detail = last.detail === null ? line : `${last.detail} ${line}`;
    }
  }
  return { symbols, score, threshold };
}

export function parseSpamAssassin(headers: readonly HeaderField[]): SpamVerdict | null {
  const status = firstValue(headers, 'X-Spam-Status');
  const report = fields(headers, 'X-Spam-Report')[0];
  const looksLikeSa = status !== null && /\b(?:tests|required)=/.test(status);
  if (!looksLikeSa && !report) return null;
  const verdict: SpamVerdict = { engine: 'spamassassin', isSpam: null, score: null, threshold: null, action: null, symbols: [] };
  if (status !== null) {
    const yn = /^\s*(Yes|No)\b/i.exec(status);
    if (yn?.[1]) verdict.isSpam = yn[1].toLowerCase() === 'yes';
    verdict.score = num(/\bscore=(-?[\d.]+)/.exec(status)?.[1]);
    verdict.threshold = num(/\brequired=(-?[\d.]+)/.exec(status)?.[1]);
    // tests= runs up to the next "key=" word (autolearn=, version=); folding may split it anywhere.
    const tests = /\btests=(.*?)(?=\s+[a-z_]+=|$)/s.exec(status)?.[1] ?? '';
    for (const t of tests.split(/[,\s]+/)) {
      if (t === '' || t.toLowerCase() === 'none') continue;
      // _TESTSSCORES_ form: NAME=score.
      const [name, score] = t.split('=');
      if (name) verdict.symbols.push(symbol(name, num(score), null));
    }
  }
  if (report) {
    const r = parseSpamReport(report.folded);
    verdict.score ??= r.score;
    verdict.threshold ??= r.threshold;
    // The report carries the scores and descriptions; merge them into the tests list (by name,
    // through a map: a hostile header with 100k rules must not cost a quadratic scan).
    const byName = new Map(verdict.symbols.map((x) => [x.name, x] as const));
    for (const s of r.symbols) {
      const known = byName.get(s.name);
      if (known) {
        known.score ??= s.score;
        known.detail ??= s.detail;
      } else {
        verdict.symbols.push(s);
        byName.set(s.name, s);
      }
    }
  }
  return verdict;
}

/** Split on ";" outside [...] (Rspamd options may hold anything but are bracketed). */
function splitSymbols(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    if (c === ';' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

export function parseRspamd(headers: readonly HeaderField[]): SpamVerdict | null {
  const result = firstValue(headers, 'X-Spamd-Result');
  const score = firstValue(headers, 'X-Rspamd-Score');
  const action = firstValue(headers, 'X-Rspamd-Action');
  if (result === null && score === null && action === null) return null;
  const verdict: SpamVerdict = { engine: 'rspamd', isSpam: null, score: num(score ?? undefined), threshold: null, action, symbols: [] };
  if (result !== null) {
    const parts = splitSymbols(result);
    // "default: False [3.10 / 15.00]": metric name, is-spam, score / required score.
    const head = /^\S+:\s*(True|False)\s*\[\s*(-?[\d.]+)\s*\/\s*(-?[\d.]+)\s*\]/i.exec(parts[0] ?? '');
    if (head) {
      verdict.isSpam = head[1]?.toLowerCase() === 'true';
      verdict.score = num(head[2]);
      verdict.threshold = num(head[3]);
    }
    for (const p of parts.slice(head ? 1 : 0)) {
      const m = /^([A-Za-z0-9_]+)\((-?[\d.]+)\)(?:\[(.*)\])?$/s.exec(p);
      if (m?.[1]) verdict.symbols.push(symbol(m[1], num(m[2]), m[3] ?? null));
    }
  }
  return verdict;
}
