/**
 * One line of any supported log to one LogEvent. Detection is per line (a merged log may hold
 * syslog and journald lines), cheapest test first; `--log-format` forces one reader.
 */
import type { LogEvent, LogFormat } from './events.js';
import { UNKNOWN } from './events.js';
import { parseEximBody } from './exim.js';
import { parseClassic, parseIso, parseJournalJson, parseSpacedStamp, YearTracker, type Header } from './header.js';
import { parsePostfix, postfixService } from './postfix.js';
import { parseRspamdSymbols, parseSpamdResult } from './spam.js';

export interface ParseContext {
  format: LogFormat;
  years: YearTracker;
  /** Relay name for formats without a host field (Exim mainlog, Rspamd's own log). */
  defaultRelay: string;
  /**
   * The previous line parsed here was a stamped "YYYY-MM-DD HH:MM:SS" entry (Exim mainlog). Exim
   * writes a message that holds newlines as several log lines, the later ones indented (Exim spec,
   * "Log files": continuation lines start with a space), so an indented line right after such an
   * entry belongs to it.
   */
  afterSpaced: boolean;
}

export function newParseContext(format: LogFormat, reference: Date, defaultRelay: string, year?: number): ParseContext {
  return { format, years: year !== undefined ? YearTracker.fixed(year) : YearTracker.fromDate(reference), defaultRelay, afterSpaced: false };
}

/** The event for a syslog-style header (classic, RFC 3339, short-iso, journald). */
function fromHeader(h: Header): LogEvent {
  const relay = h.host === '' ? '-' : h.host;
  const service = postfixService(h.program);
  if (service !== null) return parsePostfix(service, h.program, h.msg, h.time, relay, h.proc);
  if (h.program === 'rspamd') {
    const symbols = parseRspamdSymbols(h.msg);
    if (symbols !== null) return { kind: 'spam', engine: 'rspamd', symbols, time: h.time, relay };
  } else if (h.program === 'spamd' || h.program === 'spamc') {
    const symbols = parseSpamdResult(h.msg);
    if (symbols !== null) return { kind: 'spam', engine: 'spamassassin', symbols, time: h.time, relay };
  } else if (h.program === 'exim' || h.program === 'exim4') {
    // Exim logging to syslog (log_file_path = syslog): the body is a mainlog entry without the stamp.
    return parseEximBody(h.msg, h.time, relay);
  }
  return { kind: 'other', time: h.time, relay };
}

/** "YYYY-MM-DD HH:MM:SS ..." lines: Rspamd's own log ("#pid(process) <id>; task; ...") or Exim mainlog. */
function fromSpaced(line: string, ctx: ParseContext, want: 'exim' | 'rspamd' | 'either'): LogEvent | null {
  const st = parseSpacedStamp(line);
  if (!st) return null;
  const body = line.slice(st.rest);
  if (want !== 'exim' && body.startsWith('#')) {
    const symbols = parseRspamdSymbols(body);
    if (symbols !== null) return { kind: 'spam', engine: 'rspamd', symbols, time: st.time, relay: ctx.defaultRelay };
    return { kind: 'other', time: st.time, relay: ctx.defaultRelay };
  }
  if (want === 'rspamd') return null;
  return parseEximBody(body, st.time, ctx.defaultRelay);
}

export function parseLine(line: string, ctx: ParseContext): LogEvent {
  const c = line.charCodeAt(0);
  if ((c === 32 || c === 9) && ctx.afterSpaced && (ctx.format === 'exim' || ctx.format === 'auto')) {
    return { kind: 'other', time: null, relay: ctx.defaultRelay }; // the rest of the entry above
  }
  const ev = parseOne(line, ctx);
  ctx.afterSpaced = ev !== UNKNOWN && (ctx.format === 'exim' || (ctx.format === 'auto' && c >= 48 && c <= 57 && line.charCodeAt(10) !== 84));
  return ev;
}

function parseOne(line: string, ctx: ParseContext): LogEvent {
  let h: Header | null = null;
  switch (ctx.format) {
    case 'syslog':
      h = parseClassic(line, ctx.years);
      break;
    case 'rfc3339':
    case 'short-iso':
      h = parseIso(line);
      break;
    case 'journal-json':
      h = parseJournalJson(line);
      break;
    case 'exim':
      return fromSpaced(line, ctx, 'exim') ?? UNKNOWN;
    case 'rspamd':
      return fromSpaced(line, ctx, 'rspamd') ?? (((h = parseClassic(line, ctx.years) ?? parseIso(line)), h) ? fromHeader(h) : UNKNOWN);
    case 'auto': {
      const c0 = line.charCodeAt(0);
      if (c0 >= 65 && c0 <= 90) h = parseClassic(line, ctx.years);
      else if (c0 === 123) h = parseJournalJson(line);
      else if (c0 >= 48 && c0 <= 57) {
        if (line.charCodeAt(10) === 84 /* T */) h = parseIso(line);
        else return fromSpaced(line, ctx, 'either') ?? UNKNOWN;
      }
      break;
    }
  }
  return h === null ? UNKNOWN : fromHeader(h);
}
