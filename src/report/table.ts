/**
 * The table for people. Pure: results in, text out. Every piece of server text goes through
 * stripControl first, so a banner cannot move the cursor, recolour or rewrite the terminal.
 *
 * One identity: one row per host (banner name, EHLO/HELO, STARTTLS, TLS, AUTH, SIZE, outcome).
 * Several identities: the hosts × identities grid, then per-identity acceptance and causes.
 */
import type { AddresslessExchanger, HostResult, ProbeResult, RunResult, TargetResult, UnresolvedExchanger } from '../results.js';
import { stripControl, truncate } from './sanitize.js';
import { renderSummaryBlock } from './summary.js';
import { displayWidth, padEndWidth } from './width.js';
import { TRANSPORT_HEADING, transportTextLines } from './transport.js';

export interface TableOptions {
  color?: boolean;
  /**
   * Terminal width: a grid wider than this is split into several grids, each repeating the key
   * columns (TARGET, HOST) with as many of the others as fit. Unset: one grid, however wide.
   */
  width?: number;
  /** Max width of free-text cells. */
  maxText?: number;
}

const ANSI = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', dim: '\x1b[2m', reset: '\x1b[0m' };

/** Terminal columns a cell takes: CJK counts two, combining marks none (report/width.ts). */
const width = displayWidth;

/** Column widths by a loop: Math.max(...rows) overflows the stack at ~100k rows. */
function columnWidths(header: string[], rows: string[][]): number[] {
  const widths = header.map((h) => width(h));
  for (const r of rows) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i] ?? 0, width(r[i] ?? ''));
  return widths;
}

export function formatGrid(header: string[], rows: string[][], colorize?: (cell: string, col: number) => string): string {
  const widths = columnWidths(header, rows);
  const line = (cells: string[], color: boolean) =>
    cells
      .map((c, i) => {
        const padded = c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(c)));
        return color && colorize ? colorize(padded, i) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(header, false), line(widths.map((w) => '-'.repeat(w)), false), ...rows.map((r) => line(r, true))].join('\n');
}

/**
 * formatGrid, split to fit `maxWidth` columns: the first `keep` columns (the row's key) repeat in
 * every part, the others are dealt out in order to as many parts as needed. A single column
 * wider than the room left still gets a part of its own (it is never cut).
 */
export function formatGridFit(header: string[], rows: string[][], keep: number, maxWidth: number | undefined, colorize?: (cell: string, col: number) => string): string {
  if (maxWidth === undefined || !Number.isFinite(maxWidth)) return formatGrid(header, rows, colorize);
  const widths = columnWidths(header, rows);
  const total = widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1);
  if (total <= maxWidth || header.length <= keep + 1) return formatGrid(header, rows, colorize);
  const keyWidth = widths.slice(0, keep).reduce((a, w) => a + w + 2, 0);
  const groups: number[][] = [];
  let current: number[] = [];
  let used = keyWidth;
  for (let i = keep; i < header.length; i++) {
    const w = (widths[i] ?? 0) + 2;
    if (current.length > 0 && used + w - 2 > maxWidth) {
      groups.push(current);
      current = [];
      used = keyWidth;
    }
    current.push(i);
    used += w;
  }
  if (current.length > 0) groups.push(current);
  const keys = Array.from({ length: keep }, (_, i) => i);
  return groups
    .map((g) => {
      const cols = [...keys, ...g];
      return formatGrid(cols.map((c) => header[c] ?? ''), rows.map((r) => cols.map((c) => r[c] ?? '')), colorize ? (cell, i) => colorize(cell, cols[i] ?? i) : undefined);
    })
    .join('\n\n');
}

function sizeText(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10}M`;
  if (n >= 1024) return `${Math.round(n / 1024)}K`;
  return String(n);
}

/** Long form for one-row-per-host tables: "rejected@rcpt helo-not-fqdn", "deferred@rcpt greylist→accepted". */
export function cellText(p: ProbeResult): string {
  if (p.status === 'not-tried') return 'not-tried';
  const v = p.verdict;
  if (p.status !== 'success' && v.outcome === 'unknown') return p.status;
  const retry = p.greylistRetry ? `→${p.greylistRetry.verdict.outcome === 'unknown' ? p.greylistRetry.status : p.greylistRetry.verdict.outcome}` : '';
  if (v.outcome === 'accepted') return 'accepted';
  const cause = v.cause !== 'none' && v.cause !== 'unknown' ? ` ${v.cause}` : v.code ? ` ${v.code}` : '';
  return `${v.outcome}@${v.stage ?? '?'}${cause}${retry}`;
}

const SHORT: Record<string, string> = { accepted: 'ok', rejected: 'REJ', deferred: 'DEF' };

/** Compact form for the matrix grid: "ok", "REJ@rcpt not-fqdn", "DEF@rcpt greylist→ok". */
export function gridCell(p: ProbeResult): string {
  if (p.status === 'not-tried') return 'not-tried';
  const v = p.verdict;
  if (p.status !== 'success' && v.outcome === 'unknown') return p.status;
  const r = p.greylistRetry;
  const retry = r ? `→${r.verdict.outcome === 'unknown' ? r.status : (SHORT[r.verdict.outcome] ?? r.verdict.outcome)}` : '';
  if (v.outcome === 'accepted') return 'ok';
  const cause = v.cause !== 'none' && v.cause !== 'unknown' ? ` ${v.cause.replace(/^helo-/, '')}` : v.code ? ` ${v.code}` : '';
  return `${SHORT[v.outcome] ?? v.outcome}@${v.stage ?? '?'}${cause}${retry}`;
}

function outcomeColor(cell: string): string {
  if (/^\s*(accepted|ok)\b/.test(cell)) return ANSI.green + cell + ANSI.reset;
  if (/^\s*(rejected|REJ)\b/.test(cell)) return ANSI.red + cell + ANSI.reset;
  if (/^\s*(deferred|DEF)\b/.test(cell)) return ANSI.yellow + cell + ANSI.reset;
  if (/^\s*(not-tried|-)/.test(cell)) return ANSI.dim + cell + ANSI.reset;
  return cell;
}

function targetLabel(t: TargetResult): string {
  const name = t.displayDomain ?? t.domain ?? t.input;
  // host:port and [IPv6]:port targets keep their port: two targets may differ only by it.
  const withPort = t.input.endsWith(`:${t.port}`) && !name.endsWith(`:${t.port}`);
  const shown = withPort ? `${t.kind === 'ip' && name.includes(':') ? `[${name}]` : name}:${t.port}` : name;
  return stripControl(shown);
}

/**
 * The GREETING column: the command whose reply ended the greeting stage, when it was accepted.
 * When EHLO and the HELO fallback were both refused (RFC 5321 §4.1.1.1, §3.2), or EHLO was refused
 * with no fallback, no greeting worked: "refused" with the codes (EHLO/HELO), never "HELO", which
 * read as "this server speaks HELO" (qa11, exim.demo.test).
 */
export function greetingCell(p: ProbeResult): string {
  const g = p.greeting;
  if (!g) return '-';
  const code = g.reply?.code ?? null;
  if (code !== null && code >= 200 && code < 300) return g.command;
  const ehlo = g.ehloReply?.code ?? null;
  if (g.command === 'HELO') return code === null ? 'HELO no reply' : `refused ${ehlo ?? '-'}/${code}`;
  return code === null ? 'EHLO no reply' : `refused ${code}`;
}

function hostRow(t: TargetResult, h: HostResult, maxText: number): string[] {
  const p = h.probes.find((x) => x.status !== 'not-tried') ?? h.probes[0];
  if (!p) return [targetLabel(t), stripControl(h.exchange), stripControl(h.ip), '-', '-', '-', '-', '-', '-', 'no probe'];
  const bannerName = p.banner ? (p.banner.text.split(/\s/)[0] ?? '') : '';
  const caps = p.capabilities.tls ?? p.capabilities.plain;
  const auth = [...new Set([...(p.capabilities.plain?.auth ?? []), ...(p.capabilities.tls?.auth ?? [])])];
  const authText = auth.length ? auth.join(' ') + (p.capabilities.plain?.auth.length ? ' (plain!)' : '') : '-';
  return [
    targetLabel(t),
    stripControl(h.exchange),
    stripControl(h.family === 6 ? `[${h.ip}]` : h.ip),
    truncate(stripControl(bannerName || '-'), maxText),
    greetingCell(p),
    p.starttlsFailure ? 'broken' : p.capabilities.plain ? (p.capabilities.plain.starttls ? 'yes' : 'no') : '-',
    p.tls?.protocol ?? '-',
    truncate(stripControl(authText), maxText),
    sizeText(caps?.size),
    truncate(stripControl(cellText(p)), maxText + 20),
  ];
}

/**
 * The detail after "dns STATUS" in a row. An unreachable resolver (ECONNREFUSED) gets a fixed
 * gloss, not node's message ("queryMx ECONNREFUSED name"), which JSON keeps: the other failures
 * (timeout, servfail) are a word here too.
 */
function dnsDetail(status: string, detail: string | undefined): string {
  if (status === 'unreachable') return ' (the resolver refused the connection)';
  return detail ? ` (${detail})` : '';
}

/**
 * An exchanger that was not probed, a row each so it is not silently left out: its address lookup
 * failed (`dns.unresolved`), or its name has no address (`dns.noAddress`: NXDOMAIN, NODATA).
 */
function unresolvedRow(t: TargetResult, u: UnresolvedExchanger | AddresslessExchanger): string[] {
  const detail = dnsDetail(u.status, u.detail);
  return [targetLabel(t), stripControl(u.exchange), '-', '-', '-', '-', '-', '-', '-', truncate(stripControl(`dns ${u.status}${detail}`), 60)];
}

function targetOnlyRow(t: TargetResult): string[] {
  const detail = dnsDetail(t.dns.status, t.dns.detail);
  return [targetLabel(t), '-', '-', '-', '-', '-', '-', '-', '-', truncate(stripControl(`dns ${t.dns.status}${detail}`), 60)];
}

/** Why cells were not tried (421 back-off, a source that cannot reach the host…), once per reason. */
function notTriedBlock(reasons: ReadonlyMap<string, number>): string {
  if (reasons.size === 0) return '';
  return `\n\nNot tried:\n${[...reasons].map(([r, n]) => `  ${r}${n > 1 ? ` (${n} cells)` : ''}`).join('\n')}`;
}

/**
 * Hosts that advertised STARTTLS and then could not do it (issue 12 §A), once per host: the
 * matrix cells show the plaintext verdicts, so the TLS failure needs its own line.
 */
function starttlsBrokenLine(h: TargetResult['hosts'][number]): string | null {
  const f = h.probes.find((p) => p.starttlsFailure !== undefined)?.starttlsFailure;
  if (f === undefined) return null;
  const why = f.kind === 'refused' ? `refused: ${f.reply.code} ${f.reply.text.split('\n')[0] ?? ''}` : `handshake failed: ${f.error.message}`;
  const then = f.fallback === 'none' ? '' : ` (went on in plaintext${f.fallback === 'reconnect' ? ' on a new connection' : ''})`;
  return truncate(stripControl(`${h.exchange} ${h.ip}: ${why}`), 160) + then;
}

function starttlsBrokenBlock(lines: ReadonlySet<string>): string {
  if (lines.size === 0) return '';
  return `\n\nSTARTTLS offered but broken:\n${[...lines].map((l) => `  ${l}`).join('\n')}`;
}

/** Column key for an identity: kind, plus source when several sources were probed. */
function identityKey(p: ProbeResult, multiSource: boolean): string {
  const kind = p.identity.kind === 'custom' ? `custom:${p.identity.name}` : p.identity.kind;
  return multiSource ? `${kind}@${p.identity.source ?? 'default'}` : kind;
}

/** One table row, rendered when its target finished: a few short strings, not the results. */
interface Row {
  origin: string;
  label: string;
  /** The one-row-per-host form (10 cells). */
  hostRow: string[];
  /** Matrix form: the HOST cell, or the "dns …" text for a target without hosts. */
  hostCell: string;
  /** Matrix cells: [kind key, source, grid text], in probe order; null for a target without hosts. */
  cells: Array<[string, string, string]> | null;
}

const SOURCE_SEP = '\u0001';
const ORIGIN_ORDER = new Intl.Collator('en', { numeric: true });

/**
 * The terminal table, built target by target (B12): `add` keeps only the rendered cells of each
 * finished target (a few hundred bytes per host), so `probe --format table` on 100k targets does
 * not hold 100k full results until the end. `render` sorts into input order and lays out.
 */
export class TableBuilder {
  private readonly rows: Row[] = [];
  private readonly notTried = new Map<string, number>();
  /**
   * Names sent per (kind key, source): the first few, then only a count. A kind whose name differs
   * per host (mismatch avoids each receiver's own name) lists its names, never just the first host's.
   */
  private readonly names = new Map<string, { first: string[]; more: Set<string> }>();
  /** Per identity key, the first name of a probe never sent (a 421 or a drop ended the host first). */
  private readonly unsent = new Map<string, string>();
  /** Hosts that offered STARTTLS and could not do it (issue 12 §A), once per host. */
  private readonly starttlsBroken = new Set<string>();
  /** Transport-security lines per target (origin order at render). */
  private readonly transport: Array<{ origin: string; lines: string[] }> = [];
  private readonly sources = new Set<string>();
  private multiIdentity = false;

  constructor(private readonly opts: TableOptions = {}) {}

  add(t: TargetResult): void {
    const maxText = this.opts.maxText ?? 40;
    const label = targetLabel(t);
    const transport = transportTextLines(t);
    if (transport.length > 0) this.transport.push({ origin: t.origin, lines: transport });
    if (t.hosts.length === 0) {
      this.rows.push({ origin: t.origin, label, hostRow: targetOnlyRow(t), hostCell: truncate(stripControl(`dns ${t.dns.status}`), 30), cells: null });
      return;
    }
    for (const h of t.hosts) {
      if (h.probes.length > 1) this.multiIdentity = true;
      const cells: Array<[string, string, string]> = [];
      for (const p of h.probes) {
        const kind = identityKey(p, false);
        const source = p.identity.source ?? 'default';
        this.sources.add(source);
        cells.push([kind, source, stripControl(gridCell(p))]);
        // The legend says what was SENT: a not-tried probe's name never went on the wire.
        if (p.identity.name && p.status !== 'not-tried') this.addName(kind + SOURCE_SEP + source, p.identity.name);
        else if (p.identity.name && !this.unsent.has(kind + SOURCE_SEP + source)) this.unsent.set(kind + SOURCE_SEP + source, p.identity.name);
        if (p.status === 'not-tried' && p.notTried) {
          const r = stripControl(`${h.exchange} ${h.ip}: ${p.notTried.reason}`);
          this.notTried.set(r, (this.notTried.get(r) ?? 0) + 1);
        }
      }
      this.rows.push({ origin: t.origin, label, hostRow: hostRow(t, h, maxText), hostCell: stripControl(`${h.exchange} ${h.family === 6 ? `[${h.ip}]` : h.ip}`), cells });
      const broken = starttlsBrokenLine(h);
      if (broken !== null) this.starttlsBroken.add(broken);
    }
    for (const u of [...(t.dns.unresolved ?? []), ...(t.dns.noAddress ?? [])]) {
      this.rows.push({ origin: t.origin, label, hostRow: unresolvedRow(t, u), hostCell: truncate(stripControl(`${u.exchange} dns ${u.status}`), 40), cells: null });
    }
  }

  private addName(key: string, name: string): void {
    const SHOWN = 3;
    let e = this.names.get(key);
    if (!e) this.names.set(key, (e = { first: [], more: new Set<string>() }));
    if (e.first.includes(name) || e.more.has(name)) return;
    // Only a count past the first few: bounded text, and a bounded set (one per host at most).
    if (e.first.length < SHOWN) e.first.push(name);
    else if (e.more.size < 10_000) e.more.add(name);
  }

  /** The grid(s) and the not-tried block, rows in input order. */
  renderGrid(): string {
    // Stable sort: hosts of one target keep their order.
    // One collator: localeCompare with options builds one per call (minutes at 100k rows).
    const rows = [...this.rows].sort((a, b) => ORIGIN_ORDER.compare(a.origin, b.origin));
    const color = this.opts.color === true;
    if (!this.multiIdentity) {
      return formatGridFit(['TARGET', 'EXCHANGE', 'IP', 'BANNER NAME', 'GREETING', 'STARTTLS', 'TLS', 'AUTH', 'SIZE', 'OUTCOME'], rows.map((r) => r.hostRow), 1, this.opts.width, color ? (c, i) => (i === 9 ? outcomeColor(c) : c) : undefined) + notTriedBlock(this.notTried) + starttlsBrokenBlock(this.starttlsBroken);
    }
    const multiSource = this.sources.size > 1;
    const keyOf = (kind: string, source: string) => (multiSource ? `${kind}@${source}` : kind);
    const columns: string[] = [];
    const seenColumn = new Set<string>();
    const legend: string[] = [];
    for (const r of rows)
      for (const [kind, source] of r.cells ?? []) {
        const k = keyOf(kind, source);
        if (seenColumn.has(k)) continue;
        seenColumn.add(k);
        columns.push(k);
        const e = this.names.get(kind + SOURCE_SEP + source);
        if (e) {
          const extra = e.more.size > 0 ? ` (+${e.more.size} more)` : '';
          const per = e.first.length > 1 ? ' (per host)' : '';
          legend.push(`  ${padEndWidth(stripControl(k), 12)} ${e.first.map((n) => stripControl(n)).join(', ')}${extra}${per}`);
        } else {
          const never = this.unsent.get(kind + SOURCE_SEP + source);
          if (never !== undefined) legend.push(`  ${padEndWidth(stripControl(k), 12)} never sent (would have been ${stripControl(never)})`);
        }
      }
    const gridRows = rows.map((r) => {
      if (r.cells === null) return [r.label, r.hostCell, ...columns.map(() => '-')];
      const byKey = new Map<string, string>();
      for (const [kind, source, text] of r.cells) {
        const k = keyOf(kind, source);
        if (!byKey.has(k)) byKey.set(k, text);
      }
      return [r.label, r.hostCell, ...columns.map((c) => byKey.get(c) ?? '-')];
    });
    const grid = formatGridFit(['TARGET', 'HOST', ...columns.map((c) => stripControl(c).toUpperCase())], gridRows, 2, this.opts.width, color ? (cell, i) => (i >= 2 ? outcomeColor(cell) : cell) : undefined);
    const key = wrapText('ok accepted · REJ rejected · DEF deferred · @stage where it fell · cause (helo- prefix dropped) · →retry result', this.opts.width);
    return `${grid}\n${key}\n\nIdentities sent:\n${legend.join('\n')}${notTriedBlock(this.notTried)}${starttlsBrokenBlock(this.starttlsBroken)}`;
  }

  /** The whole table: grid(s), then the summary block, wrapped to the width. */
  render(summary: RunResult['summary']): string {
    const parts = [this.renderGrid()];
    const transport = [...this.transport].sort((a, b) => ORIGIN_ORDER.compare(a.origin, b.origin)).flatMap((x) => x.lines);
    if (transport.length > 0) parts.push(`${TRANSPORT_HEADING}\n${transport.join('\n')}`);
    parts.push(renderSummaryBlock(summary));
    return `${parts.join('\n\n').split('\n').map((l) => wrapText(l, this.opts.width)).join('\n')}\n`;
  }
}

export function renderMatrix(targets: TargetResult[], opts: TableOptions = {}): string {
  const b = new TableBuilder(opts);
  for (const t of targets) b.add(t);
  return b.renderGrid();
}

/**
 * A text line longer than `maxWidth` broken after ", " or " · " separators; continuation lines
 * are indented to where the value starts ("  causes        greylist 8, …"). Grid lines have no
 * such separators and are left alone (formatGridFit already fits them).
 */
export function wrapText(line: string, maxWidth: number | undefined): string {
  if (maxWidth === undefined || displayWidth(line) <= maxWidth) return line;
  const pieces = line.split(/(?<=, |· )/);
  if (pieces.length < 2) return line;
  const indentMatch = /^(\s*\S+\s{2,})/.exec(line);
  const indent = ' '.repeat(indentMatch && indentMatch[1]!.length < maxWidth / 2 ? indentMatch[1]!.length : 2);
  const out: string[] = [];
  let cur = '';
  for (const p of pieces) {
    if (cur !== '' && displayWidth(cur + p) > maxWidth) {
      out.push(cur.trimEnd());
      cur = indent + p;
    } else cur += p;
  }
  if (cur !== '') out.push(cur.trimEnd());
  return out.join('\n');
}

/** Input order (argv:2 before argv:10, file:9 before file:10), whatever order they finished in. */
export function byOrigin(a: TargetResult, b: TargetResult): number {
  return a.origin.localeCompare(b.origin, 'en', { numeric: true });
}

export function renderTable(run: RunResult, opts: TableOptions = {}): string {
  const b = new TableBuilder(opts);
  for (const t of run.targets) b.add(t);
  return b.render(run.summary);
}
