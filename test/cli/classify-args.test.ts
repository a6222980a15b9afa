/**
 * `mxprobe classify`'s command line read without commander (cli/classify.ts parseClassifyArgs, used by
 * main.ts runCli to spare a one-reply classify commander's import) must do exactly what commander does:
 * each command line below runs through runCli twice, with the fast path and with commander only, and
 * stdout, stderr and the exit code must be identical.
 */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClassifyArgs } from '../../src/cli/classify.js';
import { runCli } from '../../src/cli/main.js';

interface Run { code: number; stdout: string; stderr: string }

async function run(argv: string[], stdin: string, commanderOnly: boolean): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const input = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  stderr.on('data', (c: Buffer) => { err += c.toString('utf8'); });
  input.end(stdin);
  let exitCode = 0;
  const ctx = {
    stdout, stderr, stdin: input, stderrIsTty: false, env: {}, cwd: process.cwd(),
    setExitCode(c: number) { exitCode = c; },
    exitCode: () => exitCode,
    signal: new AbortController().signal,
  };
  const code = await runCli(argv, ctx, { commanderOnly });
  return { code, stdout: out, stderr: err };
}

async function expectSame(argv: string[], stdin = ''): Promise<Run> {
  const fast = await run(argv, stdin, false);
  const commander = await run(argv, stdin, true);
  expect(fast, JSON.stringify(argv)).toEqual(commander);
  return fast;
}

const REPLY_RULE = '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname';
const REPLY_MODEL = '550 rejecting spoofed message';
const STDIN = `${REPLY_RULE}\n\n451-4.7.1 Greylisted\n451 4.7.1 try again later\nnot a reply\n`;

describe('classify without commander', () => {
  it('reads the plain forms itself and leaves everything else to commander', () => {
    expect(parseClassifyArgs(['--stage', 'rcpt', REPLY_MODEL])).toEqual({ replies: [REPLY_MODEL], opts: { format: 'table', stage: 'rcpt' } });
    expect(parseClassifyArgs(['a', '--explain', '-', '--format=json', 'b'])).toEqual({ replies: ['a', '-', 'b'], opts: { format: 'json', explain: true } });
    expect(parseClassifyArgs(['--stage=', 'x'])).toEqual({ replies: ['x'], opts: { format: 'table', stage: '' } });
    for (const args of [['--help'], ['-h'], ['--', 'x'], ['--stage'], ['--stage', '-x', 'y'], ['--stage', 'a', '--stage', 'b'], ['--explain', '--explain'], ['--explain=1'], ['-5'], ['--version'], ['--formats', 'x']]) {
      expect(parseClassifyArgs(args), JSON.stringify(args)).toBeNull();
    }
  });

  it('gives the same output and exit code as commander, on chosen command lines', async () => {
    const lines: string[][] = [
      ['classify', '--stage', 'rcpt', REPLY_RULE],
      ['classify', '--stage', 'rcpt', REPLY_MODEL],
      ['classify', '--stage', 'rcpt', '--format', 'json', '--explain', REPLY_MODEL, REPLY_RULE],
      ['classify', REPLY_MODEL, '--format=json', '--stage=mail'],
      ['classify', '-', '--stage', 'rcpt'],
      ['classify', '-', '-', REPLY_RULE],
      ['classify'],
      ['classify', ''],
      ['classify', 'hello there'],
      ['classify', '--stage', 'bogus', REPLY_RULE],
      ['classify', '--format', 'xml', REPLY_RULE],
      ['classify', '--stage=', REPLY_RULE],
      ['classify', '--help'],
      ['classify', '--bogus', REPLY_RULE],
      ['classify', '--stage'],
      ['classify', '--', '-x'],
      ['classify', '--stage', 'rcpt', '--stage', 'mail', REPLY_RULE],
    ];
    for (const argv of lines) await expectSame(argv, STDIN);
    // The fast path is not a no-op: a plain line is classified.
    expect((await expectSame(['classify', '--stage', 'rcpt', '--format', 'json', REPLY_RULE])).stdout).toContain('helo-not-fqdn');
  });

  it('gives the same output and exit code as commander, on random command lines', async () => {
    const token = fc.constantFrom(
      '--stage', 'rcpt', 'mail', 'connect', 'bogus', '--format', 'json', 'table', '--explain', '-', '--stage=ehlo', '--format=json',
      '--format=', '--', '-x', '', REPLY_RULE, REPLY_MODEL, '421 4.7.0 Too many connections', 'random words', '--explain=yes', '-h',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 7 }), async (args) => {
        await expectSame(['classify', ...args], STDIN);
      }),
      { numRuns: 300, seed: 13 },
    );
  }, 120_000);
});
