/**
 * Two runs resuming one file at once (an hourly cron job overlapping the previous one) used to
 * both append to it; when the file did not exist yet both truncated it. Records interleaved and a
 * line was torn in the middle of the file, which `report` then refused whole ("not valid JSON" at
 * that line, exit 2). The second run is now refused while the first holds FILE.lock; a lock left
 * by a killed run is taken over. Built CLI, real loopback servers.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli, smtpScript, startCli, startHostile, waitFor, type HostileServer } from '../helpers/hostile.js';
import { startDnsServer, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

let dns: DnsServerHandle;
let fast: HostileServer;
let tarpit: HostileServer;
let dir: string;

beforeAll(async () => {
  if (!cliBuilt()) throw new Error('dist/ is missing: run `npm run build` first');
  dns = await startDnsServer(zone({}), { host: '127.0.0.1', port: 0 });
  fast = await startHostile(smtpScript({}), '127.0.0.61');
  // Greets, then never answers: keeps the first run busy until it is told to stop.
  tarpit = await startHostile(smtpScript({ reply: () => null }), '127.0.0.62');
  dir = mkdtempSync(join(tmpdir(), 'mxprobe-resume-lock-'));
});
afterAll(async () => {
  await Promise.all([dns.close(), fast.close(), tarpit.close()]);
  await rm(dir, { recursive: true, force: true });
});

const args = (file: string) => [
  'probe', '--resolver', dns.address, '--helo', 'probe.example.org', '--no-alignment', '-q', '--host-gap', '0',
  '--timeout', '30000', '--deadline', '60000', '--stop-after', 'ehlo',
  `${fast.host}:${fast.port}`, `${tarpit.host}:${tarpit.port}`, '--resume', file,
];

function lines(file: string): Array<{ type: string }> {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { type: string });
}

describe('probe --resume holds FILE.lock', () => {
  it('a second run on the same file is refused (exit 2) and writes nothing; the file stays whole', async () => {
    const file = join(dir, 'cron.ndjson');
    const first = startCli(args(file), { timeoutMs: 30_000 });
    await waitFor(() => tarpit.commands.some((c) => c.some((l) => l.startsWith('EHLO'))), 10_000, 'the first run in the tarpit');
    expect(existsSync(`${file}.lock`)).toBe(true);
    // The fast target's records are flushed (within 200 ms): from here on the file only changes
    // when the first run ends.
    await waitFor(() => readFileSync(file, 'utf8').includes('"type":"target"'), 5000, "the fast target's record");
    const fastBefore = fast.connections();
    const before = readFileSync(file, 'utf8');

    const second = await runCli(args(file));
    expect(second.code, second.stderr).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`--resume: .*cron\\.ndjson is being written by another mxprobe \\(pid \\d+\\)`));
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(fast.connections()).toBe(fastBefore);

    first.child.kill('SIGINT');
    const r = await first.done;
    expect(r.code).toBe(130);
    expect(existsSync(`${file}.lock`)).toBe(false);
    // Every line whole: one run, its records, its summary.
    const types = lines(file).map((l) => l.type);
    expect(types[0]).toBe('run');
    expect(types.filter((t) => t === 'run' || t === 'resume')).toHaveLength(1);
    expect(types[types.length - 1]).toBe('summary');
    const rep = await runCli(['report', file, '--format', 'json']);
    expect(rep.code, rep.stderr).toBe(0);
  });

  it('a lock left by a run that was killed (its PID gone) is taken over, and removed at the end', async () => {
    const file = join(dir, 'stale.ndjson');
    // A PID that certainly is not running any more: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(`${file}.lock`, `${dead.stdout}\n`);
    const r = await runCli(['probe', '--resolver', dns.address, '--helo', 'probe.example.org', '--no-alignment', '-q', '--host-gap', '0', '--stop-after', 'ehlo', `${fast.host}:${fast.port}`, '--resume', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(lines(file).map((l) => l.type)).toEqual(['run', 'host', 'target', 'summary']);
  });

  it('a file without a run record is refused naming the line (exit 2): nothing probed, the file left as it was, no lock left', async () => {
    const file = join(dir, 'norun.ndjson');
    const r1 = await runCli(['probe', '--resolver', dns.address, '--helo', 'probe.example.org', '--no-alignment', '-q', '--host-gap', '0', '--stop-after', 'ehlo', `${fast.host}:${fast.port}`, '--format', 'ndjson', '-o', file]);
    expect(r1.code, r1.stderr).toBe(0);
    const edited = readFileSync(file, 'utf8').split('\n').filter((l) => !l.startsWith('{"type":"run"')).join('\n');
    writeFileSync(file, edited);
    // `report` refuses such a file; --resume used to plan its finished target again (no host, exit 1)
    // and append to it, leaving a file report still refused.
    const rep = await runCli(['report', file]);
    expect(rep.code).toBe(2);
    expect(rep.stderr).toMatch(/no "run" record/);
    const before = fast.connections();
    const r2 = await runCli(['probe', '--resolver', dns.address, '--helo', 'probe.example.org', '--no-alignment', '-q', '--host-gap', '0', '--stop-after', 'ehlo', `${fast.host}:${fast.port}`, '--resume', file]);
    expect(r2.code, r2.stderr).toBe(2);
    expect(r2.stderr).toBe(`mxprobe: --resume: ${file}:1: "host" record before the run record: not an mxprobe results file this run can append to (restore its first line, or resume into a new file)\n`);
    expect(r2.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(edited);
    expect(fast.connections()).toBe(before);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  for (const [name, content] of [
    ['empty', ''],
    ['cut before its first line ended (killed while writing the run record)', '{"type":"run","schemaVersion":1,"tool":{"na'],
  ] as const) {
    it(`a file ${name} is started afresh, run record first, and report reads it`, async () => {
      const file = join(dir, `fresh-${name.length}.ndjson`);
      writeFileSync(file, content);
      const r = await runCli(['probe', '--resolver', dns.address, '--helo', 'probe.example.org', '--no-alignment', '-q', '--host-gap', '0', '--stop-after', 'ehlo', `${fast.host}:${fast.port}`, '--resume', file]);
      expect(r.code, r.stderr).toBe(0);
      expect(lines(file).map((l) => l.type)).toEqual(['run', 'host', 'target', 'summary']);
      const rep = await runCli(['report', file]);
      expect(rep.code, rep.stderr).toBe(0);
    });
  }
});
