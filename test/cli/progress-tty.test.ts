/**
 * B1: a terminal that reports 0 columns (script(1) with no size, as CI wrappers do) must not make
 * the progress line spin: the built CLI runs under a real pty from util-linux `script`, is
 * interrupted with Ctrl-C through that pty, ends with 130 and leaves a complete JSON document.
 * Also the pure parts: the width fallback and the line that counts probes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { startRawServer, type RawServer } from '../helpers/raw-server.js';
import { progressLine, usableColumns } from '../../src/cli/progress.js';
import { displayWidth } from '../../src/report/width.js';

const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;
if (!HAS_SCRIPT && process.env['CI'] === 'true') throw new Error('util-linux script(1) is required in CI');

describe('progress line (pure)', () => {
  it('assumes 80 columns when the terminal reports 0, nothing or nonsense', () => {
    for (const c of [0, undefined, NaN, -1, Infinity, 5]) expect(usableColumns(c)).toBe(80);
    expect(usableColumns(132)).toBe(132);
  });
  it('counts probes, and never reaches the last column', () => {
    const line = progressLine({ probesDone: 48, hostsDone: 1, targetsDone: 0, totalTargets: 1, last: '例え.example 127.0.0.1 '.repeat(10) }, 40);
    expect(line.startsWith('48 probes done · 1 host · 0/1 targets')).toBe(true);
    expect(displayWidth(line)).toBeLessThanOrEqual(39);
  });
});

describe.runIf(HAS_SCRIPT)('under a pty with 0 columns', () => {
  let tarpit: RawServer;
  let dir: string;
  beforeAll(async () => {
    // Greets and then never answers: the probe waits in EHLO until it is interrupted.
    tarpit = await startRawServer((s) => s.write('220 tarpit ESMTP\r\n'));
    dir = mkdtempSync(join(tmpdir(), 'mxprobe-pty-'));
  });
  afterAll(async () => {
    await tarpit.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not spin, obeys Ctrl-C, and closes the JSON document', async () => {
    const out = join(dir, 'r.json');
    const cmd = `stty cols 0 rows 0 2>/dev/null; exec ${process.execPath} ${BIN} probe --helo probe.example.org --no-alignment --format json -o ${out} --timeout 60000 --deadline 120000 ${tarpit.host}:${tarpit.port}`;
    const child = spawn('script', ['-qefc', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, COLUMNS: '0', LINES: '0' } });
    let bytes = 0;
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
      if (text.length < 10_000) text += d.toString('utf8');
    });
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    // Wait until the probe is in the session (the tarpit got EHLO), then let it sit a while.
    const t0 = Date.now();
    while (!tarpit.received.some((r) => r?.includes('EHLO')) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
    expect(tarpit.received.some((r) => r?.includes('EHLO'))).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    child.stdin.write('\x03'); // Ctrl-C through the pty: the line discipline sends SIGINT
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await closed;
    clearTimeout(killer);
    expect(code).toBe(130);
    // The old spinner wrote hundreds of MB of cursor codes; a status line is a few hundred bytes.
    expect(bytes).toBeLessThan(20_000);
    expect(text).toContain('0/1 targets');
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { summary: { interrupted?: boolean } ; targets: unknown[] };
    expect(doc.targets).toHaveLength(1);
  }, 90_000);

  // NO_COLOR (https://no-color.org) and --no-color reached the table but not the spinner: ora
  // coloured its frame through chalk, which reads neither. The control run shows the colour is
  // there to lose, so the first two cases cannot pass by accident.
  async function spinnerBytes(extraArgs: string[], noColor: string | undefined): Promise<string> {
    const env: Record<string, string | undefined> = { ...process.env, TERM: 'xterm-256color', COLUMNS: '100' };
    delete env['FORCE_COLOR'];
    delete env['NO_COLOR'];
    // chalk's supports-color turns colour off when CI is set (CI=true in .ci/run), so the control
    // would have no colour to lose: the child runs as a user's terminal does, without it.
    delete env['CI'];
    if (noColor !== undefined) env['NO_COLOR'] = noColor;
    const out = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
    const cmd = `stty cols 100 rows 30 2>/dev/null; exec ${process.execPath} ${BIN} probe --helo probe.example.org --no-alignment --format json -o ${out} --timeout 1500 ${extraArgs.join(' ')} ${tarpit.host}:${tarpit.port}`;
    const child = spawn('script', ['-qefc', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      if (text.length < 200_000) text += d.toString('latin1');
    });
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(code).toBe(1); // the tarpit never answers EHLO: io-timeout
    expect(text).toContain('0/1 targets');
    return text;
  }
  const SGR_COLOUR = /\x1b\[(?:3[0-7]|9[0-7]|38;[0-9;]+)m/;

  it('NO_COLOR=1 gives a spinner without colour', async () => {
    expect(await spinnerBytes([], '1')).not.toMatch(SGR_COLOUR);
  }, 60_000);
  it('--no-color gives a spinner without colour', async () => {
    expect(await spinnerBytes(['--no-color'], undefined)).not.toMatch(SGR_COLOUR);
  }, 60_000);
  it('control: without either (and with NO_COLOR empty, which no-color.org says is unset) the spinner is coloured', async () => {
    expect(await spinnerBytes([], undefined)).toMatch(SGR_COLOUR);
    expect(await spinnerBytes([], '')).toMatch(SGR_COLOUR);
  }, 60_000);
});
