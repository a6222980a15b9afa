/**
 * `mxprobe lint --fleet`: many "source-ip helo-name" lines at once, linted one by one, plus the
 * inconsistencies only visible across the fleet.
 */
import { isIP } from 'node:net';
import type { Resolver } from '../dns/types.js';
import { canonicalIp, normalizeName, parseHelo } from './helo-name.js';
import { lint, type LintResult } from './lint.js';

export interface FleetRow { origin: string; sourceIp: string; helo: string; result: LintResult }
export interface FleetIssue { kind: 'same-ip-different-names' | 'name-not-ptr' | 'mixed-forms'; detail: string; origins: string[] }
export interface FleetResult {
  rows: FleetRow[];
  issues: FleetIssue[];
  /** Lines that could not be parsed, each with file:line. */
  errors: Array<{ origin: string; line: string; reason: string }>;
  failed: boolean;
}

async function* iterate(lines: AsyncIterable<string> | string[]): AsyncIterable<string> {
  if (Array.isArray(lines)) yield* lines;
  else yield* lines;
}

/**
 * Lines "source-ip helo-name" (# comments, blank lines ok). Returns rows + inconsistencies: same
 * IP announcing different names, names not matching their PTR, a mix of literals and names.
 * Parse errors carry file:line.
 */
export async function lintFleet(lines: AsyncIterable<string> | string[], source: string, resolver: Resolver): Promise<FleetResult> {
  const rows: FleetRow[] = [];
  const errors: FleetResult['errors'] = [];
  let n = 0;
  for await (const raw of iterate(lines)) {
    n++;
    const origin = `${source}:${n}`;
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) {
      errors.push({ origin, line: raw, reason: 'expected "source-ip helo-name"' });
      continue;
    }
    const [ip = '', helo = ''] = parts;
    if (isIP(ip) === 0) {
      errors.push({ origin, line: raw, reason: `"${ip}" is not an IP address` });
      continue;
    }
    const result = await lint({ helo, sourceIp: ip }, resolver);
    rows.push({ origin, sourceIp: ip, helo, result });
  }

  const issues: FleetIssue[] = [];
  const byIp = new Map<string, FleetRow[]>();
  for (const r of rows) {
    const key = canonicalIp(r.sourceIp) ?? r.sourceIp;
    byIp.set(key, [...(byIp.get(key) ?? []), r]);
  }
  for (const group of byIp.values()) {
    const names = [...new Set(group.map((r) => normalizeName(r.helo)))];
    if (names.length > 1) {
      issues.push({ kind: 'same-ip-different-names', detail: `${group[0]?.sourceIp ?? ''} announces ${names.join(', ')}; one IP should use one name (its PTR)`, origins: group.map((r) => r.origin) });
    }
  }
  for (const r of rows) {
    const c = r.result.checks.find((x) => x.id === 'ptr-matches-helo');
    if (c && c.status === 'fail') issues.push({ kind: 'name-not-ptr', detail: c.detail, origins: [r.origin] });
  }
  const literal = rows.filter((r) => parseHelo(r.helo).form !== 'domain');
  const named = rows.filter((r) => parseHelo(r.helo).form === 'domain');
  if (literal.length > 0 && named.length > 0) {
    issues.push({ kind: 'mixed-forms', detail: `${literal.length} of ${rows.length} identities announce an address literal or IP instead of a name (${literal.map((r) => r.helo).join(', ')})`, origins: literal.map((r) => r.origin) });
  }
  return { rows, issues, errors, failed: errors.length > 0 || issues.length > 0 || rows.some((r) => r.result.failed) };
}
