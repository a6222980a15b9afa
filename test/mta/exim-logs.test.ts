/**
 * `mxprobe logs` on a mainlog a real Exim 4 wrote, cross-checked with eximstats on the same bytes
 * (issue 14: "where a real daemon is available in the lab, generate its log for real").
 *
 * Outbound: Exim relays to loopback smtp-server receivers that refuse it the way real receivers
 * do (no PTR at RCPT, a HELO deferral that later turns into a delivery). Inbound: swaks talks to
 * Exim's daemon with a short HELO, a syntactically invalid one, Exim's own name, and a relay
 * attempt. Exim logs it all in its own words; the test then reads that log.
 *
 * Depends on: Exim unpacked by .ci/run (see test/mta/exim.ts), swaks, smtp-server, the built CLI.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIMSTATS, eximLab, eximstatsTotals, eximUnavailableReason, type EximLab } from './exim.js';
import { BIN, REPO } from './mxprobe.js';
import { IN_CI } from './suite.js';

const REASON = eximUnavailableReason();
if (REASON && IN_CI) throw new Error(`real Exim unavailable under CI=true: ${REASON}`);
const SWAKS = spawnSync('swaks', ['--version'], { encoding: 'utf8' }).status === 0;
if (!SWAKS && IN_CI) throw new Error('swaks is missing (.ci/run installs it)');

/** swaks, asynchronously: the receivers Exim delivers to live in this process and need the event loop. */
function spawnAsync(cmd: string, args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, out }));
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

type Decide = () => { code: number; message: string } | null;
async function receiver(decide: Decide): Promise<{ port: number; server: SMTPServer }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(_a, _s, cb) {
      const d = decide();
      if (!d) return cb();
      const e = new Error(d.message) as Error & { responseCode: number };
      e.responseCode = d.code;
      cb(e);
    },
    onData(stream, _s, cb) {
      stream.resume();
      stream.on('end', () => cb(null, 'Queued as LAB1'));
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.server.address() as AddressInfo).port, server };
}

const NAME = 'relay-e.lab.test';

describe.skipIf(REASON !== null || !SWAKS)(`mxprobe logs on a real Exim mainlog, against eximstats${REASON ? ` (skipped: ${REASON})` : ''}`, () => {
  let dir = '';
  let exim: EximLab;
  const servers: SMTPServer[] = [];
  let heloDefers = true;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mxprobe-exim-'));
    const ptr = await receiver(() => ({ code: 550, message: '5.7.1 Client host rejected: cannot find your reverse hostname, [127.0.0.1]' }));
    const helo = await receiver(() => (heloDefers ? { code: 450, message: `4.7.1 <${NAME}>: Helo command rejected: Host not found` } : null));
    const ok = await receiver(() => null);
    servers.push(ptr.server, helo.server, ok.server);
    exim = eximLab(dir, {
      inPort: await freePort(),
      primaryHostname: NAME,
      routes: { 'refuse-ptr.test': ptr.port, 'defer-helo.test': helo.port, 'accept.test': ok.port },
    });
    await exim.startDaemon();
  }, 60_000);

  afterAll(async () => {
    await exim?.stop();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(null)))));
    if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  it('outbound refusals by cause and stage, inbound HELO checks, totals equal eximstats', async () => {
    // Outbound: -odi delivers in the submitting process, so each line is in the log on return.
    for (const rcpt of ['a@refuse-ptr.test', 'b@defer-helo.test', 'c@accept.test', 'd@accept.test']) {
      const r = await exim.run(['-odi', '-f', `sender@${NAME}`, rcpt], 'Subject: lab\n\nhello\n');
      expect(r.code, r.stderr).toBe(0);
    }
    // The HELO deferral clears; a forced queue run (-qff) retries it and it is delivered.
    heloDefers = false;
    expect((await exim.run(['-qff'])).code).toBe(0);

    // Inbound, through the daemon: swaks falls back from EHLO to HELO after a refusal, as MTAs do.
    const swaks = (helo: string, to: string) =>
      spawnAsync('swaks', ['-s', '127.0.0.1', '-p', String(exim.inPort), '--helo', helo, '-f', 'x@client.example.org', '-t', to, '--quit-after', 'RCPT', '--timeout', '20']);
    for (const [helo, to] of [
      ['shortname', `u@${NAME}`],
      ['bad_name!', `u@${NAME}`],
      [NAME, `u@${NAME}`],
      ['mail.client.example.org', 'u@elsewhere.example'],
    ] as const) {
      await swaks(helo, to);
    }
    await exim.stop(); // everything logged and flushed

    const log = readFileSync(exim.mainlog, 'utf8');
    // The log is Exim's own: these are its words, not ours.
    expect(log).toMatch(/\*\* a@refuse-ptr\.test R=\S+ T=\S+ H=127\.0\.0\.1 \[127\.0\.0\.1\]: SMTP error from remote mail server after RCPT TO:<a@refuse-ptr\.test>: 550 5\.7\.1/);
    expect(log).toMatch(/== b@defer-helo\.test .*defer \(-44\).*: 450 4\.7\.1/);
    expect(log).toMatch(/=> b@defer-helo\.test /);
    expect(log).toMatch(/rejected EHLO from \[127\.0\.0\.1\]: syntactically invalid argument\(s\): bad_name!/);

    const run = spawnSync(process.execPath, [BIN, 'logs', '--log-format', 'exim', '--relay', 'relay-e', '--format', 'json', exim.mainlog], { cwd: REPO, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);

    // eximstats on the same bytes: the anchor for Exim logs.
    const es = spawnSync('perl', [EXIMSTATS, '-txt', exim.mainlog], { encoding: 'utf8' });
    expect(es.status, es.stderr).toBe(0);
    const anchor = eximstatsTotals(es.stdout);
    expect(anchor.received).toBe(5); // four submitted + the bounce Exim generated for a@refuse-ptr.test
    expect(doc.totals.received).toBe(anchor.received);
    expect(doc.totals.delivered).toBe(anchor.delivered);
    expect(doc.totals.rejected).toBe(anchor.rejects);

    const dest = (d: string) => doc.destinations.find((x: { domain: string }) => x.domain === d);
    expect(dest('refuse-ptr.test')).toMatchObject({ sent: 0, bounced: 1, causes: { 'no-ptr': 1 } });
    expect(dest('defer-helo.test')).toMatchObject({ sent: 1, deferrals: 1, deliveredAfterDeferral: 1, causes: { 'helo-not-resolving': 1 } });
    expect(dest('accept.test')).toMatchObject({ sent: 2, deferred: 0, bounced: 0, acceptanceRate: 1 });
    const relay = doc.relays.find((r: { relay: string }) => r.relay === 'relay-e');
    expect(relay.causes).toMatchObject({ 'no-ptr': 1, 'helo-not-resolving': 1 });
    const ptrRefusal = doc.replies.find((r: { text?: string }) => /reverse hostname/.test(JSON.stringify(r)));
    expect(JSON.stringify(ptrRefusal)).toMatch(/"stage":"rcpt"/);

    // Inbound: Exim's own syntax check, the acl_smtp_helo FQDN rule (EHLO then the HELO fallback),
    // the RCPT-time HELO rule, and a relay attempt.
    expect(doc.inbound.rejects).toEqual({ reject_invalid_helo_hostname: 2, exim_helo_verify: 2, other: 1, reject_unauth_destination: 1 });
    const helos = Object.fromEntries(doc.inbound.heloNames.map((h: { name: string; form: string }) => [h.name, h.form]));
    expect(helos).toMatchObject({ 'bad_name!': 'invalid', shortname: 'not-fqdn', 'mail.client.example.org': 'fqdn' });
  }, 180_000);
});
