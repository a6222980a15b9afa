/**
 * `mxprobe logs` on a log a real Postfix wrote, cross-checked with pflogsumm on the same bytes.
 *
 * The lab Postfix acts as an OUTBOUND relay: messages submitted with its own sendmail(1) are
 * routed (transport_maps) through smtp(8) clients with chosen HELO names and source addresses to
 * receivers that refuse for HELO and PTR reasons:
 *   helo-bounce.test -> [127.0.0.25] (the lab's own smtpd, reject_non_fqdn_helo_hostname) with HELO localhost: 504, bounced
 *   nxhelo.test      -> [127.0.0.25] with HELO nx.example.test (no A record): 450 Host not found, deferred
 *   noptr.test       -> [127.0.0.26] (strict smtpd, reject_unknown_client_hostname) from 127.0.0.12 (no PTR): 450, deferred
 *   ptr.test/ok.test/grey.test -> a smtp-server policy receiver on 127.0.0.30 run inside the namespace
 *     (logs-receiver.mjs): 550 5.7.25 no-PTR, 250, and 451-greylist-then-250 (after postqueue -f).
 * Plus one inbound session: swaks from 127.0.0.12 with HELO localhost.
 * Depends on: mxprobe logs FILE --format json|table --emit-targets; pflogsumm (Debian).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { pflogsummTotals } from '../logs/pflogsumm-totals.js';
import { LAB_ADDRESSES as A, postfixConfigDir, postfixLogFile, type Lab } from './lab.js';
import { IN_CI, SKIP_LAB, useLab } from './suite.js';

const PFLOGSUMM = '/usr/sbin/pflogsumm';
const RECEIVER_IP = '127.0.0.30';
const RECEIVER = fileURLToPath(new URL('./logs-receiver.mjs', import.meta.url));
if (!existsSync(PFLOGSUMM) && IN_CI) throw new Error('pflogsumm is missing (apt-get install pflogsumm; .ci/run installs it)');
const SKIP = SKIP_LAB || !existsSync(PFLOGSUMM);

function submit(lab: Lab, rcpt: string, n: number): Promise<void> {
  const etc = postfixConfigDir(lab.dir);
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', lab.ns, '/usr/sbin/sendmail', '-C', etc, '-f', 'user@example.test', '--', rcpt], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(t);
      if (code === 0) resolve();
      else reject(new Error(`sendmail ${rcpt} exited ${code}: ${err}`));
    });
    child.stdin.end(`From: user@example.test\nTo: ${rcpt}\nSubject: logs test ${n}\nMessage-ID: <logs-${n}@example.test>\n\nbody ${n}\n`);
  });
}

describe.skipIf(SKIP)('mxprobe logs on a real Postfix outbound relay log, against pflogsumm', () => {
  const ctx = useLab('logs');
  let receiver: ChildProcess | undefined;
  const work = mkdtempSync(join(tmpdir(), 'mxprobe-logs-mta-'));
  afterAll(() => {
    if (receiver?.pid !== undefined && receiver.exitCode === null) receiver.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  it('relays, refusals and inbound checks come out classified; totals equal pflogsumm\'s', async () => {
    const lab = ctx.lab;
    const etc = postfixConfigDir(lab.dir);

    // 1. The policy receiver inside the namespace.
    receiver = spawn('ip', ['netns', 'exec', lab.ns, process.execPath, RECEIVER, RECEIVER_IP], { stdio: ['ignore', 'pipe', 'pipe'], cwd: fileURLToPath(new URL('../../', import.meta.url)) });
    let rout = '';
    receiver.stdout?.on('data', (d) => (rout += d));
    receiver.stderr?.on('data', (d) => (rout += d));
    const t0 = Date.now();
    while (!rout.includes('ready')) {
      if (receiver.exitCode !== null || Date.now() - t0 > 20_000) throw new Error(`policy receiver did not start: ${rout}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    // 2. Make the lab Postfix an outbound relay with one smtp(8) client per identity.
    writeFileSync(
      join(etc, 'transport'),
      ['helo-bounce.test nofqdn:[127.0.0.25]', 'nxhelo.test nxhelo:[127.0.0.25]', 'noptr.test noptr:[127.0.0.26]', `ptr.test good:[${RECEIVER_IP}]`, `ok.test good:[${RECEIVER_IP}]`, `grey.test good:[${RECEIVER_IP}]`, ''].join('\n'),
    );
    // The clients relay to this same Postfix's listeners (.25/.26): a different myhostname and
    // inet_interfaces for them, or smtp(8) refuses "mail for 127.0.0.25 loops back to myself".
    const client = '-o myhostname=relay.example.test -o inet_interfaces=127.0.0.1';
    appendFileSync(
      join(etc, 'master.cf'),
      [
        `nofqdn unix - - n - - smtp ${client} -o smtp_helo_name=localhost -o smtp_bind_address=${A.good}`,
        `nxhelo unix - - n - - smtp ${client} -o smtp_helo_name=nx.example.test -o smtp_bind_address=${A.good}`,
        `noptr unix - - n - - smtp ${client} -o smtp_helo_name=good.example.test -o smtp_bind_address=${A.noPtr}`,
        `good unix - - n - - smtp ${client} -o smtp_helo_name=good.example.test -o smtp_bind_address=${A.good}`,
        '',
      ].join('\n'),
    );
    for (const kv of [`transport_maps = texthash:${join(etc, 'transport')}`, 'smtp_host_lookup = native', 'maximal_backoff_time = 300s']) {
      const r = await lab.exec('/usr/sbin/postconf', ['-c', etc, '-e', kv]);
      expect(r.code, r.stderr).toBe(0);
    }
    const reload = await lab.exec('/usr/sbin/postfix', ['-c', etc, 'reload']);
    expect(reload.code, reload.stderr).toBe(0);
    await lab.waitForLog(/reload -- version/, 0, 15_000);

    // 3. Submit, and one inbound client with a bad HELO.
    const mark = lab.logMark();
    const rcpts = ['a@ok.test', 'b@ok.test', 'c@ok.test', 'x@helo-bounce.test', 'y@helo-bounce.test', 'z@nxhelo.test', 'p@noptr.test', 'q@ptr.test', 'r@ptr.test', 'g@grey.test'];
    let i = 0;
    for (const r of rcpts) await submit(lab, r, ++i);
    const swaks = await lab.exec('swaks', ['--server', A.mx, '--from', 'x@spam.test', '--to', 'user@example.test', '--helo', 'localhost', '--local-interface', A.noPtr, '--quit-after', 'RCPT', '--timeout', '10']);
    expect(swaks.stdout + swaks.stderr).toMatch(/504 5\.5\.2/);

    const statusOf = (log: string, rcpt: string, status: string): boolean => new RegExp(`to=<${rcpt.replace(/\./g, '\\.')}>,.*status=${status}`).test(log);
    await lab.waitForLog((log) => rcpts.every((r) => /status=(sent|bounced|deferred)/.test(log) && (statusOf(log, r, 'sent') || statusOf(log, r, 'bounced') || statusOf(log, r, 'deferred'))), mark, 60_000);
    // The greylisted recipient: one more queue run delivers it.
    const flush = await lab.exec('/usr/sbin/postqueue', ['-c', etc, '-f']);
    expect(flush.code, flush.stderr).toBe(0);
    await lab.waitForLog((log) => statusOf(log, 'g@grey.test', 'sent'), mark, 60_000);
    // Bounce notices to user@example.test are delivered locally: wait until the queue is quiet for them.
    await lab.waitForLog((log) => (log.match(/sender non-delivery notification/g) ?? []).length === 4 && (log.match(/relay=local.*status=sent/g) ?? []).length >= 4, mark, 60_000);

    // 4. One snapshot of the log; both tools read the same bytes.
    const snapshot = join(work, 'maillog');
    writeFileSync(snapshot, readFileSync(postfixLogFile(lab.dir)));
    const log = readFileSync(snapshot, 'utf8');
    const targets = join(work, 'targets.txt');
    const run = await runCliProcess(['logs', snapshot, '--format', 'json', '--emit-targets', targets]);
    expect(run.code, run.stderr).toBe(0);
    const d = JSON.parse(run.stdout);
    const pf = spawnSync(PFLOGSUMM, [snapshot], { encoding: 'utf8' });
    expect(pf.status, pf.stderr).toBe(0);
    const p = pflogsummTotals(pf.stdout);

    // pflogsumm only counts smtpd lines whose syslog name is exactly postfix/smtpd (README: "mxprobe logs
    // and pflogsumm"): the strict listener's rejects are ours only. Counted independently here.
    const strictRejects = (log.match(/ postfix\/strict\/smtpd\[\d+\]: NOQUEUE: reject: /g) ?? []).length;
    expect(strictRejects).toBeGreaterThan(0);
    expect({ ...d.totals, rejected: d.totals.rejected - strictRejects }).toMatchObject(p);
    expect(p.delivered).toBeGreaterThanOrEqual(4 + 4); // 3 ok + grey, and 4 bounce notices delivered locally
    expect(p.bounced).toBe(4);

    // 5. What pflogsumm cannot say: causes per destination, by relay, with the stage.
    const dest = (name: string) => d.destinations.find((x: { domain: string }) => x.domain === name);
    expect(dest('ok.test')).toMatchObject({ sent: 3, bounced: 0, acceptanceRate: 1 });
    expect(dest('helo-bounce.test')).toMatchObject({ sent: 0, bounced: 2, causes: { 'helo-not-fqdn': 2 } });
    // Gmail's text names both a missing PTR and a PTR that does not resolve back; the classifier says fcrdns-fail.
    expect(dest('ptr.test')).toMatchObject({ bounced: 2, causes: { 'fcrdns-fail': 2 } });
    expect(Object.keys(dest('nxhelo.test').causes)).toEqual(['helo-not-resolving']);
    expect(dest('nxhelo.test').deferred).toBe(1);
    expect(['no-ptr', 'fcrdns-fail']).toContain(Object.keys(dest('noptr.test').causes)[0]);
    expect(dest('grey.test')).toMatchObject({ sent: 1, deferred: 1, deliveredAfterDeferral: 1, causes: { greylist: 1 } });
    expect(dest('grey.test').mx).toEqual([expect.objectContaining({ ip: RECEIVER_IP, sent: 1, deferrals: 1 })]);
    // Postfix writes each process's myhostname as the syslog host: the smtp(8) clients (myhostname
    // relay.example.test) log as "relay", everything else as "mx". Two relays, split as they should be.
    const relay = (name: string) => d.relays.find((r: { relay: string }) => r.relay === name);
    expect(d.relays.map((r: { relay: string }) => r.relay)).toEqual(['mx', 'relay']);
    expect(relay('relay')).toMatchObject({ sent: 4, bounced: 4, deferred: 3, deliveredAfterDeferral: 1 });
    expect(relay('mx')).toMatchObject({ sent: 4, bounced: 0, deferred: 0, rejected: d.totals.rejected });
    expect(d.refusals.find((r: { domain: string }) => r.domain === 'helo-bounce.test')).toMatchObject({ relay: 'relay', cause: 'helo-not-fqdn', heloOrPtr: true, bounced: 2 });
    expect(d.replies.find((r: { text: string }) => r.text.includes('need fully-qualified hostname'))).toMatchObject({ stage: 'rcpt', code: 504, cause: 'helo-not-fqdn' });

    // Inbound: the same Postfix judged our relay's clients and swaks.
    expect(d.inbound.rejects.reject_non_fqdn_helo_hostname).toBe(3);
    expect(d.inbound.rejects.reject_unknown_helo_hostname).toBeGreaterThanOrEqual(1);
    expect(d.inbound.rejects.reject_unknown_client_hostname).toBe(strictRejects);
    expect(d.inbound.heloNames).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'localhost', form: 'not-fqdn', count: 3 })]));

    // From logs to probes.
    const t = readFileSync(targets, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(' ')[0]).sort();
    expect(t).toEqual(['helo-bounce.test', 'noptr.test', 'nxhelo.test', 'ptr.test']);

    // The table a mail admin reads.
    const table = await runCliProcess(['logs', snapshot]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/helo-bounce\.test\s+0\s+0\s+0\s+2\s+0\s+0\.0%\s+helo-not-fqdn\* 2/);
    expect(table.stdout).toMatch(/reject_non_fqdn_helo_hostname\s+3/);
  }, 240_000);
});
