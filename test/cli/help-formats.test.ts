/**
 * `--help` names the formats `--format` takes. `diff --help` and `history --help` said only
 * "output format (default: "table")": markdown and html, the formats a PR comment or a ticket
 * wants, were found only by passing a wrong value.
 */
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';

describe('--help lists the output formats', () => {
  for (const cmd of ['diff', 'history']) {
    it(`${cmd} --help names every format ${cmd} --format accepts`, async () => {
      const help = await runCliProcess([cmd, '--help']);
      expect(help.code).toBe(0);
      const text = help.stdout.replace(/\s+/g, ' ');
      // What the option accepts, from its own error message.
      const bad = await runCliProcess([cmd, ...(cmd === 'history' ? ['example.org'] : []), '--format', 'nope', '--store', 'x.db']);
      expect(bad.code).toBe(2);
      const accepted = /is not one of ([a-z, ]+)/.exec(bad.stderr)?.[1]?.split(/,\s*/) ?? [];
      expect(accepted).toEqual(['table', 'json', 'markdown', 'html']);
      expect(text).toContain(`--format <format> output format: ${accepted.join('|')}`);
    });
  }
});

describe('logs --help', () => {
  it('shows --top\'s default as a number, like the other numeric defaults (it said "20", quoted)', async () => {
    const help = await runCliProcess(['logs', '--help']);
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('--top <n> rows per section in table/html output (default: 20)');
    // Control: a word default is still quoted.
    expect(text).toMatch(/--log-format <format> .*\(default: "auto"\)/);
  });
});
