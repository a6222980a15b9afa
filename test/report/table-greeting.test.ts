/**
 * The probe table's GREETING column (qa11): when EHLO and the HELO fallback were both refused, it
 * said "HELO", which reads as "this server speaks HELO". It must say that neither worked, with the
 * codes; an accepted EHLO or HELO is still named.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProbeResult, RunResult, SmtpReply } from '../../src/results.js';
import { greetingCell, renderTable } from '../../src/report/table.js';

const load = (): RunResult => JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;
const reply = (code: number, text: string): SmtpReply => ({ code, enhanced: null, lines: [`${code} ${text}`], text, bareLf: false });

/** The sample run with one identity (the host table, not the matrix), its first probe's greeting set. */
function runWith(greeting: ProbeResult['greeting']): RunResult {
  const run = load();
  run.options = { ...run.options, identities: ['primary'] };
  for (const t of run.targets) for (const h of t.hosts) h.probes = h.probes.filter((p) => p.identity.kind === 'primary');
  run.targets[0]!.hosts[0]!.probes[0]!.greeting = greeting;
  return run;
}

function greetingOf(table: string, exchange: string): string {
  const lines = table.split('\n');
  const head = lines.find((l) => l.includes('GREETING'))!;
  const row = lines.find((l) => l.includes(exchange))!;
  const at = head.indexOf('GREETING');
  const next = head.indexOf('STARTTLS');
  return row.slice(at, next).trim();
}

describe('table GREETING', () => {
  it('EHLO refused and HELO refused: "refused 550/501", not "HELO"', () => {
    const g = { command: 'HELO' as const, reply: reply(501, 'syntax'), ehloReply: reply(550, 'no') };
    const p = { greeting: g } as ProbeResult;
    expect(greetingCell(p)).toBe('refused 550/501');
    const table = renderTable(runWith(g));
    expect(greetingOf(table, 'mx1.example.com')).toBe('refused 550/501');
  });

  it('EHLO refused with no fallback: "refused 554"', () => {
    expect(greetingCell({ greeting: { command: 'EHLO', reply: reply(554, 'go away'), ehloReply: reply(554, 'go away') } } as ProbeResult)).toBe('refused 554');
  });

  it('a greeting that worked is named: EHLO, or HELO after EHLO was refused', () => {
    expect(greetingCell({ greeting: { command: 'EHLO', reply: reply(250, 'ok'), ehloReply: reply(250, 'ok') } } as ProbeResult)).toBe('EHLO');
    const helo = { command: 'HELO' as const, reply: reply(250, 'hi'), ehloReply: reply(502, 'not implemented') };
    expect(greetingCell({ greeting: helo } as ProbeResult)).toBe('HELO');
    expect(greetingOf(renderTable(runWith(helo)), 'mx1.example.com')).toBe('HELO');
    expect(greetingCell({ greeting: null } as ProbeResult)).toBe('-');
    expect(greetingCell({ greeting: { command: 'HELO', reply: null, ehloReply: reply(500, 'x') } } as ProbeResult)).toBe('HELO no reply');
  });
});
