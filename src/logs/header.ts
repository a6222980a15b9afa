/**
 * The line header of each log format: time, host and program, with the message text after it.
 * Pure and allocation-light: this runs once per line of a 10-million-line log, so the classic syslog
 * form is read with character arithmetic, not a regular expression.
 *
 * Time zones: classic syslog and Exim stamps carry no zone; they are read as UTC (a mail admin
 * comparing buckets cares about the order and spacing of events, and a fixed reading makes runs
 * reproducible). RFC 3339 / short-iso / journald stamps carry their zone and are exact.
 */

export interface Header {
  /** ms since the epoch, or null (a stamp we could not read). */
  time: number | null;
  host: string;
  /** Syslog tag without pid: "postfix/smtp", "rspamd", "spamd". */
  program: string;
  /** "tag[pid]" as written (the process), or null without a pid. */
  proc: string | null;
  /** The message after "tag[pid]: ". */
  msg: string;
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/**
 * Year inference for classic syslog stamps ("Nov 30 14:29:21" has no year, RFC 3164 §4.1.2).
 * The reference is the file's modification time (the time of its LAST line; now, for stdin): the
 * first line's year is the reference year, or the year before when its date is more than a day
 * after the reference date (a day of slack: stamps are local time, the reference is UTC). A
 * "Dec 31" line read from stdin on Dec 1 is last year's, not 30 days ahead. Then, reading forward, a month that goes back by more than six months (Dec -> Jan) is a
 * year wrap. pflogsumm instead guesses from today's date, which misdates any log older than a year
 * and every ISO stamp.
 */
export class YearTracker {
  private year: number | null = null;
  private lastMonth = -1;
  constructor(
    private readonly refYear: number,
    private readonly refMonth: number,
    private readonly refDay = 31,
  ) {}
  static fromDate(d: Date): YearTracker {
    return new YearTracker(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  }
  /** Fixed year (--year): no inference, but a wrap still moves forward. */
  static fixed(year: number): YearTracker {
    return new YearTracker(year, 11, 31);
  }
  /** The tracker's whole state: the year so far (null before the first stamp) and the last month seen. */
  state(): [number | null, number] {
    return [this.year, this.lastMonth];
  }
  /**
   * Continue from a state() taken elsewhere: a parallel range (run.ts) starts with the state the
   * range before it is expected to end in, and the run checks that expectation afterwards.
   */
  restore(state: readonly [number | null, number]): void {
    this.year = state[0];
    this.lastMonth = state[1];
  }
  /** The year so far, null before the first stamp (state()[0], without the array). */
  currentYear(): number | null {
    return this.year;
  }
  /**
   * True when the state is (year, month), so that yearFor(month, day) for any day would return
   * `year` and change nothing: fastbytes.ts then reuses the time of a repeated stamp.
   */
  unchangedSince(year: number | null, month: number): boolean {
    return year !== null && this.year === year && this.lastMonth === month;
  }
  yearFor(month: number, day: number): number {
    if (this.year === null) {
      this.year = month * 32 + day > this.refMonth * 32 + this.refDay + 1 ? this.refYear - 1 : this.refYear;
    } else if (month < this.lastMonth - 6) {
      this.year += 1;
    }
    this.lastMonth = month;
    return this.year;
  }
}

function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Split "host tag[pid]: msg" (the part after the stamp) at position `p`. */
function tail(line: string, p: number, time: number | null): Header | null {
  const sp = line.indexOf(' ', p);
  if (sp <= p) return null;
  const host = line.slice(p, sp);
  const colon = line.indexOf(': ', sp + 1);
  if (colon < 0) return null;
  let tagEnd = colon;
  const br = line.indexOf('[', sp + 1);
  if (br > 0 && br < colon) tagEnd = br;
  const program = line.slice(sp + 1, tagEnd);
  // A tag is one word ("postfix/smtp", "spamd"); a space means this is not "tag[pid]: ".
  if (program.length === 0 || program.includes(' ')) return null;
  return { time, host, program, proc: tagEnd < colon ? line.slice(sp + 1, colon) : null, msg: line.slice(colon + 2) };
}

/** Cache of the UTC midnight of the last month/day seen: consecutive lines share it. */
let cacheKey = -1;
let cacheBase = 0;

/**
 * The time of a classic stamp ("Nov 30 14:29:21 ", RFC 3164 §4.1.2) at the start of the line
 * line[s, e), or NaN when its first 16 characters are not one. Advances `years` (see YearTracker) exactly when the
 * stamp is valid; calling it again for the same line is harmless (a repeated month never wraps).
 * Shared by parseClassic and the fast path (fast.ts), so both read a stamp the same way.
 */
export function classicStamp(line: string, years: YearTracker, s = 0, e = line.length): number {
  if (e - s < 17 || line.charCodeAt(s + 3) !== 32 || line.charCodeAt(s + 6) !== 32 || line.charCodeAt(s + 9) !== 58 || line.charCodeAt(s + 12) !== 58 || line.charCodeAt(s + 15) !== 32) return NaN;
  const mon = monthOf(line, s);
  if (mon < 0) return NaN;
  const d1 = line.charCodeAt(s + 4);
  const day = (d1 === 32 ? 0 : d1 - 48) * 10 + (line.charCodeAt(s + 5) - 48);
  const hh = digits2(line, s + 7);
  const mm = digits2(line, s + 10);
  const ss = digits2(line, s + 13);
  if (day < 1 || day > 31 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) return NaN;
  const year = years.yearFor(mon, day);
  const key = (year * 12 + mon) * 32 + day;
  if (key !== cacheKey) {
    cacheKey = key;
    cacheBase = Date.UTC(year, mon, day);
  }
  return cacheBase + ((hh * 60 + mm) * 60 + ss) * 1000;
}

/** The month (0-11) named by the three characters at `s`, or -1: a lookup of their codes, no substring. */
function monthOf(line: string, s: number): number {
  const c0 = line.charCodeAt(s);
  const c1 = line.charCodeAt(s + 1);
  const c2 = line.charCodeAt(s + 2);
  if ((c0 | c1 | c2) > 127) return -1; // the shifted codes below must not overlap
  const code = (c0 << 16) | (c1 << 8) | c2;
  // Consecutive lines share their month: one compare instead of a Map lookup per line.
  if (code === lastMonthCode) return lastMonth;
  const m = MONTH_BY_CODE.get(code);
  if (m === undefined) return -1;
  lastMonthCode = code;
  lastMonth = m;
  return m;
}
let lastMonthCode = -1;
let lastMonth = -1;
const MONTH_BY_CODE = new Map<number, number>(Object.entries(MONTHS).map(([name, m]) => [(name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2), m]));

/** "Nov 30 14:29:21 host tag[pid]: msg" (RFC 3164, and Postfix's maillog_file). */
export function parseClassic(line: string, years: YearTracker): Header | null {
  const time = classicStamp(line, years);
  if (time !== time) return null; // NaN: not a classic stamp
  return tail(line, 16, time);
}

/**
 * RFC 3339 (rsyslog RSYSLOG_FileFormat, Debian 12: "2026-11-30T14:29:21.123456+00:00") and
 * journalctl -o short-iso ("2026-11-30T14:29:21+0000"): the zone is "Z", "+hh:mm" or "+hhmm".
 */
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2}) /;
export function parseIso(line: string): Header | null {
  const m = ISO_RE.exec(line);
  if (!m) return null;
  const time = isoTime(m);
  return tail(line, m[0].length, time);
}

function isoTime(m: RegExpExecArray): number | null {
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (frac) t += Math.floor(Number(`0.${frac}`) * 1000);
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const z = zone.slice(1).replace(':', '');
    t -= sign * (Number(z.slice(0, 2)) * 60 + Number(z.slice(2, 4))) * 60_000;
  }
  return Number.isFinite(t) ? t : null;
}

/** "2026-11-30 14:29:21[.123] [+0100] " (Exim mainlog, Rspamd's own log): the stamp and where the rest starts. */
const SPACED_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?: ([+-]\d{4}))? /;
export function parseSpacedStamp(line: string): { time: number | null; rest: number } | null {
  const m = SPACED_RE.exec(line);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (frac) t += Math.floor(Number(`0.${frac}`) * 1000);
  if (zone) t -= (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * 60_000;
  return { time: Number.isFinite(t) ? t : null, rest: m[0].length };
}

/**
 * One `journalctl -o json` record. MESSAGE is a string, or an array of bytes when it is not valid
 * UTF-8 (systemd.journal-fields(7)); __REALTIME_TIMESTAMP is microseconds since the epoch.
 */
export function parseJournalJson(line: string): Header | null {
  if (line.charCodeAt(0) !== 123 /* { */) return null;
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return null;
  const r = rec as Record<string, unknown>;
  let msg = r['MESSAGE'];
  if (Array.isArray(msg)) msg = Buffer.from(msg.filter((b): b is number => typeof b === 'number' && b >= 0 && b <= 255)).toString('utf8');
  if (typeof msg !== 'string') return null;
  const ident = r['SYSLOG_IDENTIFIER'] ?? r['_COMM'];
  const program = typeof ident === 'string' ? ident : '';
  const host = typeof r['_HOSTNAME'] === 'string' ? r['_HOSTNAME'] : '';
  const us = r['__REALTIME_TIMESTAMP'];
  const n = typeof us === 'string' && /^\d{1,20}$/.test(us) ? Math.floor(Number(us) / 1000) : null;
  const pid = r['_PID'] ?? r['SYSLOG_PID'];
  return { time: n, host, program, proc: typeof pid === 'string' && /^\d+$/.test(pid) ? `${program}[${pid}]` : null, msg };
}
