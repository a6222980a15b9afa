/**
 * The table for people. Pure: results in, text out. Every piece of server text goes through
 * stripControl first, so a banner cannot move the cursor, recolour or rewrite the terminal.
 *
 * One identity: one row per host (banner name, EHLO/HELO, STARTTLS, TLS, AUTH, SIZE, outcome).
 * Several identities: the hosts × identities grid, then per-identity acceptance and causes.
 */
import type { HostResult, ProbeResult, RunResult, TargetResult } from '../results.js';
import { stripControl, truncate } from './sanitize.js';
import { renderSummaryBlock } from './summary.js';
import { renderTransportText } from './transport.js';

export interface TableOptions {
  color?: boolean;
  /** Max width of free-text cells. */
  maxText?: number;
}

const ANSI = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', dim: '\x1b[2m', reset: '\x1b[0m' };

/** Display width by code points (server text is sanitised, so no control characters remain). */
function width(s: string): number {
  return [...s].length;
}

export function formatGrid(header: string[], rows: string[][], colorize?: (cell: string, col: number) => string): string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
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
  return stripControl(name);
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
    p.greeting?.command ?? '-',
    p.capabilities.plain ? (p.capabilities.plain.starttls ? 'yes' : 'no') : '-',
    p.tls?.protocol ?? '-',
    truncate(stripControl(authText), maxText),
    sizeText(caps?.size),
    truncate(stripControl(cellText(p)), maxText + 20),
  ];
}

function targetOnlyRow(t: TargetResult): string[] {
  const detail = t.dns.detail ? ` (${t.dns.detail})` : '';
  return [targetLabel(t), '-', '-', '-', '-', '-', '-', '-', '-', truncate(stripControl(`dns ${t.dns.status}${detail}`), 60)];
}

/** Why cells were not tried (421 back-off, a source that cannot reach the host…), once per reason. */
function notTriedBlock(targets: TargetResult[]): string {
  const reasons = new Map<string, number>();
  for (const t of targets)
    for (const h of t.hosts)
      for (const p of h.probes) {
        if (p.status !== 'not-tried' || !p.notTried) continue;
        const r = stripControl(`${h.exchange} ${h.ip}: ${p.notTried.reason}`);
        reasons.set(r, (reasons.get(r) ?? 0) + 1);
      }
  if (reasons.size === 0) return '';
  return `\n\nNot tried:\n${[...reasons].map(([r, n]) => `  ${r}${n > 1 ? ` (${n} cells)` : ''}`).join('\n')}`;
}

/** Column key for an identity: kind, plus source when several sources were probed. */
function identityKey(p: ProbeResult, multiSource: boolean): string {
  const kind = p.identity.kind === 'custom' ? `custom:${p.identity.name}` : p.identity.kind;
  return multiSource ? `${kind}@${p.identity.source ?? 'default'}` : kind;
}

export function renderMatrix(targets: TargetResult[], opts: TableOptions = {}): string {
  const sources = new Set<string>();
  for (const t of targets) for (const h of t.hosts) for (const p of h.probes) sources.add(p.identity.source ?? 'default');
  const multiSource = sources.size > 1;
  const columns: string[] = [];
  for (const t of targets)
    for (const h of t.hosts)
      for (const p of h.probes) {
        const k = identityKey(p, multiSource);
        if (!columns.includes(k)) columns.push(k);
      }
  const rows: string[][] = [];
  for (const t of targets) {
    if (t.hosts.length === 0) {
      rows.push([targetLabel(t), truncate(stripControl(`dns ${t.dns.status}`), 30), ...columns.map(() => '-')]);
      continue;
    }
    for (const h of t.hosts) {
      const cells = columns.map((c) => {
        const p = h.probes.find((x) => identityKey(x, multiSource) === c);
        return p ? stripControl(gridCell(p)) : '-';
      });
      rows.push([targetLabel(t), stripControl(`${h.exchange} ${h.family === 6 ? `[${h.ip}]` : h.ip}`), ...cells]);
    }
  }
  const color = opts.color === true;
  const grid = formatGrid(['TARGET', 'HOST', ...columns.map((c) => stripControl(c).toUpperCase())], rows, color ? (cell, i) => (i >= 2 ? outcomeColor(cell) : cell) : undefined);
  // The identities in play, with the exact names sent, once.
  const legend: string[] = [];
  const seen = new Set<string>();
  for (const t of targets)
    for (const h of t.hosts)
      for (const p of h.probes) {
        const k = identityKey(p, multiSource);
        if (seen.has(k) || !p.identity.name) continue;
        seen.add(k);
        legend.push(`  ${stripControl(k).padEnd(12)} ${stripControl(p.identity.name)}`);
      }
  const key = 'ok accepted · REJ rejected · DEF deferred · @stage where it fell · cause (helo- prefix dropped) · →retry result';
  return `${grid}\n${key}\n\nIdentities sent:\n${legend.join('\n')}${notTriedBlock(targets)}`;
}

/** Input order (argv:2 before argv:10, file:9 before file:10), whatever order they finished in. */
export function byOrigin(a: TargetResult, b: TargetResult): number {
  return a.origin.localeCompare(b.origin, 'en', { numeric: true });
}

export function renderTable(unsorted: RunResult, opts: TableOptions = {}): string {
  const run = { ...unsorted, targets: [...unsorted.targets].sort(byOrigin) };
  const maxText = opts.maxText ?? 40;
  const multiIdentity = run.targets.some((t) => t.hosts.some((h) => h.probes.length > 1));
  const parts: string[] = [];
  if (multiIdentity) {
    // Per-identity acceptance and the cause histogram are in the summary block below.
    parts.push(renderMatrix(run.targets, opts));
  } else {
    const rows: string[][] = [];
    for (const t of run.targets) {
      if (t.hosts.length === 0) rows.push(targetOnlyRow(t));
      for (const h of t.hosts) rows.push(hostRow(t, h, maxText));
    }
    const notTried = notTriedBlock(run.targets);
    const color = opts.color === true;
    parts.push(
      formatGrid(['TARGET', 'EXCHANGE', 'IP', 'BANNER NAME', 'GREETING', 'STARTTLS', 'TLS', 'AUTH', 'SIZE', 'OUTCOME'], rows, color ? (c, i) => (i === 9 ? outcomeColor(c) : c) : undefined) + notTried,
    );
  }
  const transport = renderTransportText(run.targets);
  if (transport) parts.push(transport);
  parts.push(renderSummaryBlock(run.summary));
  return `${parts.join('\n\n')}\n`;
}
