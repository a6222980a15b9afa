/**
 * The README's "Probe options" table documents every flag `mxprobe probe --help` lists: the flags
 * come from the real commander command (registerProbe), so a new flag without a table row fails here.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { registerProbe } from '../../src/cli/probe.js';

function probeFlags(): string[] {
  const ctx: CliContext = {
    stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), stderrIsTty: false, env: {}, cwd: process.cwd(),
    setExitCode() { /* not run */ },
    signal: new AbortController().signal,
  };
  const program = new Command('mxprobe');
  registerProbe(program, ctx);
  const probe = program.commands.find((c) => c.name() === 'probe');
  if (probe === undefined) throw new Error('no probe command');
  return probe.options.map((o) => o.long).filter((l): l is string => l !== undefined && l !== '--help');
}

describe('README "Probe options" table', () => {
  it('has a row naming every long flag of probe --help', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('## Probe options');
    expect(start).toBeGreaterThan(-1);
    // The table: the consecutive "|" lines after the heading.
    const lines = readme.slice(start).split('\n').slice(1);
    const first = lines.findIndex((l) => l.startsWith('|'));
    const table: string[] = [];
    for (const l of lines.slice(first)) {
      if (!l.startsWith('|')) break;
      table.push(l);
    }
    // Only the option column counts: a flag merely mentioned in another row's text is not documented.
    const documented = new Set(table.flatMap((row) => [...(row.split(/(?<!\\)\|/)[1] ?? '').matchAll(/--[a-z0-9-]+/g)].map((m) => m[0])));
    const flags = probeFlags();
    expect(flags.length).toBeGreaterThan(30);
    expect(flags.filter((f) => !documented.has(f))).toEqual([]);
  });
});
