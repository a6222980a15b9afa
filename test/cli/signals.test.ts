/**
 * No lost results: the built CLI streams NDJSON per host, and on SIGINT/SIGTERM it stops starting
 * sessions, QUITs the open ones, writes every finished result, closes the document and exits 130.
 * Real child processes, real loopback servers; the tarpits never answer after the banner.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli, smtpScript, startCli, startHostile, waitFor, type HostileServer } from '../helpers/hostile.js';
import { startDnsServer, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import type { NdjsonRecord, RunResult } from '../../src/results.js';

let dns: DnsServerHandle;
let fast: HostileServer;
let tarpits: HostileServer[];
let dir: string;

/** Greets, then reads everything and answers nothing (not even QUIT). */
const tarpit = smtpScript({ reply: () => null });

beforeAll(async () => {
  if (!cliBuilt()) throw new Error('dist/ is missing: run `npm run build` first');
  dns = await startDnsServer(zone({}), { host: '127.0.0.1', port: 0 });
  fast = await startHostile(smtpScript({}), '127.0.0.31');
  // One address each: the polite scheduler runs one connection per IP at a time.
  tarpits = await Promise.all([41, 42, 43, 44, 45, 46].map((n) => startHostile(tarpit, `127.0.0.${n}`)));
  dir = await mkdtemp(join(tmpdir(), 'mxprobe-signals-'));
});
afterAll(async () => {
  await Promise.all([dns.close(), fast.close(), ...tarpits.map((t) => t.close())]);
  await rm(dir, { recursive: true, force: true });
});

const args = (extra: string[]) => [
  'probe', '--resolver', dns.address, '--helo', 'probe.example.org', '--no-alignment', '-q',
  '--host-gap', '0', '--concurrency', '2', '--timeout', '30000', '--deadline', '60000',
  `${fast.host}:${fast.port}`, ...tarpits.map((t) => `${t.host}:${t.port}`), ...extra,
];
const tarpitConnections = () => tarpits.reduce((n, t) => n + t.connections(), 0);
/** Sessions currently waiting in a tarpit (they sent EHLO and got nothing back). */
const stuck = () => tarpits.flatMap((t) => t.commands).filter((c) => c.some((l) => l.startsWith('EHLO'))).length;

function ndjson(text: string): NdjsonRecord[] {
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as NdjsonRecord);
}

/** The whole lines of a file being written (a line still in flight is left out). */
function completeLines(path: string): NdjsonRecord[] {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  return ndjson(text.slice(0, text.lastIndexOf('\n') + 1));
}

describe('signals', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} mid-run: no new sessions, QUIT to the open ones, valid JSON with "interrupted": true, exit 130`, async () => {
      const connBefore = tarpitConnections();
      const stuckBefore = stuck();
      const cli = startCli(args(['--format', 'json']), { timeoutMs: 30_000 });
      // Wait until the fast host is done and both slots sit in tarpits.
      await waitFor(() => fast.connections() > 0 && stuck() - stuckBefore >= 2, 10_000, 'two sessions stuck in tarpits');
      const open = tarpits.flatMap((t) => t.commands.map((c, i) => ({ t, i, c }))).filter((x) => x.c.some((l) => l.startsWith('EHLO')) && !x.c.includes('QUIT'));
      const t0 = Date.now();
      cli.child.kill(sig);
      const r = await cli.done;
      const afterSignal = Date.now() - t0;
      expect(r.code, r.stderr).toBe(130);
      // QUIT is sent at once; the grace period for the reply is 1 s (abortGraceMs). Hang guard only.
      expect(afterSignal).toBeLessThan(5000);
      for (const o of open) expect(o.t.commands[o.i]).toContain('QUIT');
      // Only the two sessions that were open ever connected: nothing new started after the signal.
      expect(tarpitConnections() - connBefore).toBe(2);
      const doc = JSON.parse(r.stdout) as RunResult & { interrupted?: boolean };
      expect(doc.interrupted).toBe(true);
      const byInput = new Map(doc.targets.map((t) => [t.input, t]));
      const fastProbe = byInput.get(`${fast.host}:${fast.port}`)?.hosts[0]?.probes[0];
      expect(fastProbe?.status).toBe('success');
      expect(fastProbe?.banner?.code).toBe(220);
      // The interrupted sessions are recorded too, with their banner (partial data kept).
      const cut = doc.targets.flatMap((t) => t.hosts.flatMap((h) => h.probes)).filter((p) => p.error?.code === 'E_INTERRUPTED');
      expect(cut.length).toBeGreaterThanOrEqual(2);
      expect(cut.filter((p) => p.banner?.code === 220).length).toBe(2);
      expect(doc.summary).toBeDefined();
    });
  }

  it('a second signal exits at once with 130, without waiting to close the document', async () => {
    const stuckBefore = stuck();
    const cli = startCli(args(['--format', 'json']), { timeoutMs: 30_000 });
    await waitFor(() => stuck() - stuckBefore >= 2, 10_000, 'two sessions stuck');
    cli.child.kill('SIGINT');
    // Only once the first signal is handled (signals sent back to back may coalesce into one).
    await waitFor(() => cli.stderr().includes('finishing open sessions'), 5000, 'the first signal to be handled');
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code).toBe(130);
    // It did not wait for the graceful path: the JSON document was never closed.
    expect(() => JSON.parse(r.stdout)).toThrow();
    expect(r.stdout).toMatch(/"targets": \[/);
  });
});

describe('an interrupted table or HTML page says it is partial', () => {
  // JSON and NDJSON carry "interrupted"; a table or page used to look like a complete run of fewer
  // targets (7 given, 3 listed, nothing said but the exit code).
  for (const format of ['table', 'html'] as const) {
    it(`--format ${format}`, async () => {
      const stuckBefore = stuck();
      const out = join(dir, `partial.${format}`);
      const cli = startCli(args(['--format', format, '-o', out]), { timeoutMs: 30_000 });
      await waitFor(() => fast.connections() > 0 && stuck() - stuckBefore >= 2, 10_000, 'two sessions stuck in tarpits');
      cli.child.kill('SIGINT');
      const r = await cli.done;
      expect(r.code, r.stderr).toBe(130);
      const text = await readFile(out, 'utf8');
      // 7 targets on 7 addresses: the fast one finished, the two open sessions were cut short, and
      // the 4 not started are listed as interrupted too (each address has its own queue).
      expect(text).toMatch(/Interrupted run: these results are partial: 6 probe\(s\) cut short or never started \(error E_INTERRUPTED or not-tried\)\./);
    });
  }

  it('report renders the note in the table too, not only in HTML', async () => {
    const stuckBefore = stuck();
    const cli = startCli(args(['--format', 'json']), { timeoutMs: 30_000 });
    await waitFor(() => fast.connections() > 0 && stuck() - stuckBefore >= 2, 10_000, 'two sessions stuck in tarpits');
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code).toBe(130);
    const saved = join(dir, 'partial.json');
    await writeFile(saved, r.stdout);
    const rep = await runCli(['report', saved]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(/\nInterrupted run: these results are partial\.\n$/);
  });

  it('a run that finished has no such note (control)', async () => {
    const r = await runCli(['probe', '--resolver', dns.address, '--helo', 'probe.example.org', '--no-alignment', '-q', '--host-gap', '0', `${fast.host}:${fast.port}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Summary/);
    expect(r.stdout).not.toMatch(/Interrupted/);
  });
});

describe('signals mid-handshake', () => {
  it('SIGINT while a STARTTLS handshake hangs: exit 130, the session recorded with banner and plain EHLO', async () => {
    let afterStarttls = '';
    const swallow = await startHostile(
      smtpScript({ afterStarttls220: (io) => io.socket.on('data', (d: Buffer) => (afterStarttls += d.toString('latin1'))) }),
      '127.0.0.47',
    );
    try {
      const cli = startCli(['probe', '--resolver', dns.address, '--helo', 'probe.example.org', '--no-alignment', '-q', '--timeout', '30000', '--deadline', '60000', '--format', 'json', `${swallow.host}:${swallow.port}`], { timeoutMs: 30_000 });
      await waitFor(() => swallow.commands[0]?.includes('STARTTLS') === true, 10_000, 'STARTTLS');
      await waitFor(() => afterStarttls.length > 0, 5000, 'the ClientHello'); // the handshake now waits
      const t0 = Date.now();
      cli.child.kill('SIGINT');
      const r = await cli.done;
      expect(r.code).toBe(130);
      expect(Date.now() - t0).toBeLessThan(5000); // hang guard: grace is 1 s
      const doc = JSON.parse(r.stdout) as RunResult & { interrupted?: boolean };
      expect(doc.interrupted).toBe(true);
      const p = doc.targets[0]?.hosts[0]?.probes[0];
      expect(p?.error?.code).toBe('E_INTERRUPTED');
      expect(p?.banner?.code).toBe(220);
      expect(p?.capabilities.plain?.starttls).toBe(true);
      // No plaintext QUIT in the middle of a TLS handshake: it would be garbage to the TLS layer.
      expect(afterStarttls.charCodeAt(0)).toBe(0x16); // a TLS handshake record
      expect(afterStarttls).not.toContain('QUIT');
    } finally {
      await swallow.close();
    }
  });
});

describe('signals while DNS is in flight', () => {
  // The run stops waiting for DNS-bound work a grace period after the signal (runProbes), and the
  // alignment enrichers are skipped once aborted, so an unanswered query cannot hold the exit.
  it('SIGINT during a DNS lookup that never answers exits 130 within 3 s', async () => {
    const drop = await startDnsServer(zone({}, { drop: ['slow.example'] }), { host: '127.0.0.1', port: 0 });
    try {
      const cli = startCli(['probe', '--resolver', drop.address, '--dns-timeout', '20000', '--helo', 'probe.example.org', '-q', '--format', 'json', 'slow.example'], { timeoutMs: 30_000 });
      await waitFor(() => drop.queries() > 0, 5000, 'the first DNS query');
      const t0 = Date.now();
      cli.child.kill('SIGINT');
      const r = await cli.done;
      expect(r.code).toBe(130);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await drop.close();
    }
  });
});

describe('NDJSON streaming', () => {
  it('with -o, a finished host is in the file while the run is still going', async () => {
    const out = join(dir, 'stream.ndjson');
    const stuckBefore = stuck();
    const cli = startCli(args(['--format', 'ndjson', '-o', out]), { timeoutMs: 30_000 });
    await waitFor(() => stuck() - stuckBefore >= 2 && existsSync(out), 10_000, 'tarpits busy');
    // The run cannot be finished: two sessions are waiting 30 s for an EHLO reply.
    expect(cli.child.exitCode).toBeNull();
    let records: NdjsonRecord[] = [];
    await waitFor(() => {
      records = completeLines(out);
      return records.some((r) => r.type === 'host');
    }, 5000, 'the fast host line');
    expect(cli.child.exitCode).toBeNull();
    expect(records[0]?.type).toBe('run');
    const host = records.find((r) => r.type === 'host');
    expect(host && host.type === 'host' ? host.ip : null).toBe(fast.host);
    expect(records.some((r) => r.type === 'summary')).toBe(false);

    cli.child.kill('SIGTERM');
    const r = await cli.done;
    expect(r.code).toBe(130);
    const all = ndjson(await readFile(out, 'utf8'));
    const last = all[all.length - 1];
    expect(last?.type).toBe('summary');
    expect(last && last.type === 'summary' ? last.interrupted : undefined).toBe(true);
    // Every line is whole JSON (ndjson() would have thrown otherwise); the fast host once only.
    expect(all.filter((x) => x.type === 'host' && x.ip === fast.host)).toHaveLength(1);
  });
});
