/** Table output for `mxprobe lint` (pure: result -> text). Ends with the fix. */
import type { FleetResult } from '../analysis/fleet.js';
import type { LintResult } from '../analysis/lint.js';
import { stripControl } from './sanitize.js';

const MARK: Record<string, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** "ok" only when every lookup answered: a failed lookup judged nothing (exit 4 in the CLI). */
export function lintVerdict(r: Pick<LintResult, 'failed' | 'unjudged'>): 'fail' | 'inconclusive' | 'ok' {
  if (r.failed) return 'fail';
  return r.unjudged.length > 0 ? 'inconclusive' : 'ok';
}

function lintResultLine(r: LintResult): string {
  const v = lintVerdict(r);
  if (v === 'fail') return `Result: FAIL${r.unjudged.length ? ` (and ${r.unjudged.length} DNS lookup(s) failed: ${r.unjudged.join(', ')})` : ''}`;
  if (v === 'inconclusive') return `Result: INCONCLUSIVE - DNS lookups failed: ${r.unjudged.join(', ')}`;
  return 'Result: ok';
}

export function formatLintTable(r: LintResult): string {
  const s = (x: string): string => stripControl(x);
  const lines: string[] = [];
  lines.push(`HELO ${s(r.helo)}   source IP ${r.sourceIp ?? '(not given)'}`);
  lines.push('');
  const w = Math.max(...r.checks.map((c) => c.id.length), 5);
  lines.push(`${'CHECK'.padEnd(w)}  STATUS  DETAIL`);
  for (const c of r.checks) lines.push(`${c.id.padEnd(w)}  ${(MARK[c.status] ?? c.status).padEnd(6)}  ${s(c.detail)}`);
  lines.push('');
  lines.push('What receivers would do:');
  for (const p of r.predictions) {
    const score = p.score !== undefined && p.outcome === 'score' ? ` +${p.score}` : '';
    lines.push(`  ${p.receiver.padEnd(12)} ${p.outcome.padEnd(6)}${score.padEnd(7)} ${s(p.rule)}${p.reply ? `  -> ${s(p.reply)}` : ''}`);
  }
  lines.push('');
  lines.push(lintResultLine(r));
  lines.push('');
  lines.push('Fix:');
  if (r.fix.dns.length) {
    lines.push('  DNS (zone file):');
    for (const d of r.fix.dns) lines.push(`    ${s(d)}`);
  }
  lines.push(`  Postfix main.cf:      ${s(r.fix.postfix)}`);
  lines.push(`  Exim smtp transport:  ${s(r.fix.exim)}`);
  // Issue 13: the same name for the other common senders, each with where the line goes.
  for (const m of r.fix.mta.slice(2)) {
    lines.push(`  ${`${m.mta}:`.padEnd(21)} ${s(m.line)}`);
    lines.push(`  ${''.padEnd(21)} (${s(m.where)})`);
  }
  for (const n of r.fix.notes) lines.push(`  note: ${s(n)}`);
  return `${lines.join('\n')}\n`;
}

export function formatFleetTable(f: FleetResult): string {
  const s = (x: string): string => stripControl(x);
  const lines: string[] = [];
  for (const e of f.errors) lines.push(`${e.origin}: ${s(e.reason)} (${JSON.stringify(s(e.line))})`);
  for (const row of f.rows) {
    const failed = row.result.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    const warned = row.result.checks.filter((c) => c.status === 'warn').map((c) => c.id);
    const verdict = failed.length ? `FAIL ${failed.join(',')}` : row.result.unjudged.length ? 'INCONCLUSIVE (DNS lookup failed)' : 'ok';
    lines.push(`${row.origin}  ${row.sourceIp}  ${s(row.helo)}  ${verdict}${warned.length ? `  warn ${warned.join(',')}` : ''}`);
  }
  if (f.issues.length) {
    lines.push('');
    lines.push('Fleet inconsistencies:');
    for (const i of f.issues) lines.push(`  ${i.kind}: ${s(i.detail)} [${i.origins.join(' ')}]`);
  }
  lines.push('');
  lines.push(f.failed ? 'Result: FAIL' : fleetInconclusive(f) ? 'Result: INCONCLUSIVE - DNS lookups failed for some identities' : 'Result: ok');
  return `${lines.join('\n')}\n`;
}

/** No identity failed, but some lookups did: the fleet was not fully judged. */
export function fleetInconclusive(f: FleetResult): boolean {
  return !f.failed && f.rows.some((r) => r.result.unjudged.length > 0);
}
