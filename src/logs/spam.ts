/**
 * Spam-filter verdict lines: Rspamd's rspamd_task_write_log line and SpamAssassin spamd's "result:" line.
 *
 * Rspamd (default log_format): "... rspamd_task_write_log: id: <mid>, qid: <QID>, ip: 192.0.2.1, ...,
 *   (default: F (no action): [3.40/15.00] [HFILTER_HELO_5(3.00){localhost;},RDNS_NONE(1.00){},...]), len: ..."
 *   Each symbol is NAME(score){options}; options may hold commas and brackets, so they are skipped by
 *   brace matching, not split on commas.
 * spamd: "spamd: result: Y 7 - HELO_DYNAMIC_IPADDR,RDNS_NONE,... scantime=0.3,size=..." lists the symbols
 *   without their scores, so SpamAssassin symbols carry score null (the site's scores are not in the log).
 */
import type { SpamSymbol } from './events.js';

/** Symbols about the client's name, HELO or reverse DNS (the "hostname-related" set). */
export function isHostnameSymbol(name: string): boolean {
  return /HFILTER|HELO|RDNS|PTR|DYNAMIC|HOSTNAME|FCRDNS|RCVD_NUMERIC/.test(name);
}

/** Rspamd symbol list, or null when the line is not a task log line. */
export function parseRspamdSymbols(msg: string): SpamSymbol[] | null {
  if (!msg.includes('rspamd_task_write_log')) return null;
  // The symbol list is the bracket right after "[score/required] ".
  const m = /\[-?[\d.]+\/-?[\d.]+\] \[/.exec(msg);
  if (!m) return [];
  let i = m.index + m[0].length;
  const out: SpamSymbol[] = [];
  const n = msg.length;
  while (i < n && out.length < 1000) {
    let j = i;
    while (j < n && msg[j] !== '(' && msg[j] !== ',' && msg[j] !== ']' && msg[j] !== '{') j++;
    const name = msg.slice(i, j).trim();
    let score: number | null = null;
    if (msg[j] === '(') {
      const close = msg.indexOf(')', j);
      if (close < 0) break;
      const v = Number(msg.slice(j + 1, close));
      score = Number.isFinite(v) ? v : null;
      j = close + 1;
    }
    if (msg[j] === '{') {
      let depth = 0;
      for (; j < n; j++) {
        if (msg[j] === '{') depth++;
        else if (msg[j] === '}' && --depth === 0) {
          j++;
          break;
        }
      }
    }
    if (/^[A-Z0-9_]+$/i.test(name)) out.push({ name, score });
    if (msg[j] === ',') {
      i = j + 1;
      continue;
    }
    break;
  }
  return out;
}

/** spamd "result:" line: "spamd: result: Y 7 - SYM1,SYM2 scantime=..." -> symbols; null when not one. */
export function parseSpamdResult(msg: string): SpamSymbol[] | null {
  const m = /(?:^|\s)result: [Y.] -?\d+ - (\S*)/.exec(msg);
  if (!m) return null;
  const list = m[1] as string;
  if (list === '' || list === 'none') return [];
  return list
    .split(',')
    .filter((s) => /^[A-Z0-9_]+$/i.test(s))
    .slice(0, 1000)
    .map((name) => ({ name, score: null }));
}
