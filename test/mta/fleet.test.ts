/**
 * The fleet against real Postfix + nsd in the lab namespace: a real redis-server inside the
 * namespace, three workers as separate processes (`ip netns exec`), one per sender address
 * (.10 forward-confirmed PTR, .11 FCrDNS fails, .12 no PTR), one coordinator. Postfix's own log
 * is the truth: per-vantage verdicts must differ exactly where the DNS says (only the strict
 * listener, reject_unknown_client_hostname, refuses .11 and .12), the consistency report must
 * name the broken relays, and no listener may ever have two fleet sessions open at once (the
 * order of Postfix's connect/disconnect lines shows it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NdjsonRecord, ProbeResult } from '../../src/results.js';
import { LAB_ADDRESSES as A, LAB_NAMES as N } from './lab.js';
import { BIN, describeRun, mxprobe, REPO, type CliRun } from './mxprobe.js';
import { SKIP_LAB, IN_CI, useLab } from './suite.js';

const REDIS_MISSING = spawnSync('redis-server', ['--version']).status !== 0;
if (REDIS_MISSING && IN_CI) throw new Error('fleet lab under CI=true: redis-server is not installed');
const RCPT = 'postmaster@example.test';
const REDIS_PORT = 6379; // inside the lab's own namespace: nothing else listens there
const QUEUE = `redis://127.0.0.1:${REDIS_PORT}`;
const VANTAGES = [
  { name: 'relay-good', source: A.good, helo: N.good },
  { name: 'relay-other', source: A.other, helo: N.other },
  { name: 'relay-noptr', source: A.noPtr, helo: N.good },
] as const;

function waitOutput(child: ChildProcess, re: RegExp, what: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const t = setTimeout(() => reject(new Error(`${what}: no ${re} in ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (re.test(seen)) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (c) => reject(new Error(`${what} exited (${c}):\n${seen}`)));
  });
}

function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Listener → the longest run of sessions open at once, from the order of Postfix's log lines. */
function maxConcurrent(log: string): Record<string, number> {
  const open: Record<string, number> = {};
  const peak: Record<string, number> = {};
  const re = /(postfix(?:\/[\w.-]+)*\/smtpd)\[\d+\]: (connect|disconnect) from \S+\[([^\]]+)\]/;
  for (const line of log.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const [, service = '', what, client = ''] = m;
    if (!VANTAGES.some((v) => v.source === client)) continue;
    open[service] = (open[service] ?? 0) + (what === 'connect' ? 1 : -1);
    peak[service] = Math.max(peak[service] ?? 0, open[service] ?? 0);
  }
  return peak;
}

describe.skipIf(SKIP_LAB || (REDIS_MISSING && !IN_CI))('fleet against real Postfix (namespace, real redis-server, worker processes)', () => {
  const ctx = useLab('fleet');
  let redis: ChildProcess | undefined;
  const workers: ChildProcess[] = [];
  let dir = '';
  let run: CliRun;
  let hosts: Array<Extract<NdjsonRecord, { type: 'host' }>> = [];
  let log = '';
  let out = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mxprobe-fleetlab-'));
    const ns = ctx.lab.ns;
    redis = spawn('ip', ['netns', 'exec', ns, 'redis-server', '--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitOutput(redis, /Ready to accept connections/, 'redis-server');
    for (const v of VANTAGES) {
      const w = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, 'worker', '--queue', QUEUE, '--vantage', v.name, '--helo', v.helo, '--source', v.source, '--resolver', A.dns, '--heartbeat', '500', '--concurrency', '2'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      workers.push(w);
      await waitOutput(w, / ready \(/, `worker ${v.name}`);
    }
    const mark = ctx.lab.logMark();
    out = join(dir, 'fleet.ndjson');
    run = await mxprobe(ctx.lab, [
      'probe', N.domain, N.strictDomain, '--queue', QUEUE, '--vantages', 'all', '--resolver', A.dns,
      '--stop-after', 'rcpt', '--rcpt', RCPT, '--host-gap', '100', '--wait', '120', '--format', 'ndjson', '-o', out, '--quiet',
    ], 180_000);
    hosts = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as NdjsonRecord).filter((r): r is Extract<NdjsonRecord, { type: 'host' }> => r.type === 'host');
    // Every session ends with a disconnect line: wait for all of them.
    await ctx.lab.waitForLog((s) => (s.match(/disconnect from/g) ?? []).length >= hosts.length, mark, 15_000).catch(() => undefined);
    log = ctx.lab.logSince(mark);
  }, 240_000);

  afterAll(async () => {
    // SIGTERM: each worker finishes what it holds and removes its heartbeat.
    for (const w of workers) await stop(w);
    await stop(redis);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const cell = (ip: string, vantage: string): ProbeResult | undefined => hosts.find((h) => h.ip === ip && h.probes[0]?.vantage === vantage)?.probes[0];

  it('probes both listeners from every relay, each result once', () => {
    expect(run.code, describeRun(run)).toBe(0);
    expect(hosts).toHaveLength(2 * VANTAGES.length);
    for (const v of VANTAGES) for (const ip of [A.mx, A.strict]) expect(cell(ip, v.name), `${v.name} → ${ip}`).toBeDefined();
  });

  it('per-vantage verdicts differ exactly where the DNS says, and match Postfix', () => {
    // .25: HELO restrictions only: every relay's HELO resolves, so all are accepted.
    for (const v of VANTAGES) expect(cell(A.mx, v.name)?.verdict, v.name).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
    // .26 adds reject_unknown_client_hostname: only the forward-confirmed relay passes.
    expect(cell(A.strict, 'relay-good')?.verdict).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
    expect(cell(A.strict, 'relay-other')?.verdict).toMatchObject({ outcome: 'deferred', code: 450, cause: 'fcrdns-fail' });
    expect(cell(A.strict, 'relay-noptr')?.verdict).toMatchObject({ outcome: 'deferred', code: 450, cause: 'no-ptr' });
    // Postfix's own log says the same: who was refused at RCPT on the strict listener.
    expect(log).toMatch(/postfix\/strict\/smtpd\[\d+\]: NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.11\]: 450 4\.7\.25/);
    expect(log).toMatch(/postfix\/strict\/smtpd\[\d+\]: NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.12\]: 450 4\.7\.25/);
    expect(log).not.toMatch(/NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.10\]/);
  });

  it('no listener ever had two fleet sessions open at once (Postfix connect/disconnect order)', () => {
    const peak = maxConcurrent(log);
    expect(Object.keys(peak).sort()).toEqual(['postfix/smtpd', 'postfix/strict/smtpd']);
    for (const [service, n] of Object.entries(peak)) expect(n, service).toBe(1);
  });

  it('the relay-consistency report flags the strict listener and names the broken-PTR relays', async () => {
    const r = await mxprobe(ctx.lab, ['fleet', 'report', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/!! primary .*relay-good=accepted.*relay-noptr=deferred 450 \(no-ptr\).*relay-other=deferred 450 \(fcrdns-fail\)/);
    expect(r.stdout).toMatch(/relay-other: .*other\.example\.test.*fcrdns.*defers relay-other .*accepts relay-good/);
    expect(r.stdout).toMatch(/relay-noptr: .*ptr-exists fail.*defers relay-noptr/);
    expect(r.stdout).toContain('1 cell(s) where the relays are treated differently');
    // The relays' own lint (from their heartbeats) is part of the report.
    expect(r.stdout).toMatch(/relay-good: helo good\.example\.test, source 127\.0\.0\.10: aligned/);
  });
});
