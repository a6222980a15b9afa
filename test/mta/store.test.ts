/**
 * Results over time against the real Postfix: the issue's cron line, run twice with the receiver
 * changed in between (STARTTLS turned off with postconf + reload, and a HELO restriction added),
 * must print "STARTTLS lost" and the primary identity's new refusal, and exit 3; `history` shows
 * the change; the .prom file passes promtool. The same flow with a SQLite file and with a real
 * PostgreSQL (over its unix socket, which the namespace shares with the host's filesystem).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_ADDRESSES as A, LAB_NAMES as N, postfixConfigDir } from './lab.js';
import { BIN, describeRun, mxprobe, REPO } from './mxprobe.js';
import { SKIP_LAB, useLab } from './suite.js';
import { PG_REASON, SKIP_PG, startPg, type PgServer } from '../store/pg-server.js';

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'mxprobe-store-mta-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PROBE = ['probe', N.domain, '--resolver', A.dns, '--source', A.good, '--helo', N.good, '--stop-after', 'rcpt', '--host-gap', '0', '--timeout', '10000', '--quiet'];

describe.skipIf(SKIP_LAB)('store, diff and history against real Postfix', () => {
  const ctx = useLab('store');
  let pg: PgServer | null = null;
  if (SKIP_PG) console.warn(`[mta] store: PostgreSQL flow SKIPPED: ${PG_REASON}`);

  beforeAll(async () => {
    if (!SKIP_PG) {
      pg = await startPg();
      await pg.createDb('audit');
    }
  }, 120_000);
  afterAll(async () => pg?.stop(), 60_000);

  async function postfix(settings: Record<string, string>): Promise<void> {
    const etc = postfixConfigDir(ctx.lab.dir);
    await run('postconf', ['-c', etc, '-e', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)], { timeout: 20_000 });
    // `postfix reload` is `kill -HUP` of the master (postfix(1)); postfix-script refuses a start-fg
    // master in another namespace, so signal the master's pid directly.
    const pid = Number(readFileSync(join(ctx.lab.dir, 'postfix', 'queue', 'pid', 'master.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error('postfix master.pid unreadable');
    process.kill(pid, 'SIGHUP');
    console.log('[mta] store: postfix reloaded', JSON.stringify(settings));
    // reload is asynchronous: wait until a new smtpd answers EHLO with the new setting.
    const want = settings['smtpd_tls_security_level'] === 'none' ? false : true;
    for (let i = 0; i < 30; i++) {
      const r = await mxprobe(ctx.lab, ['probe', `${A.mx}:25`, '--source', A.good, '--helo', N.good, '--stop-after', 'ehlo', '--format', 'json', '--quiet', '--no-alignment', '--timeout', '5000'], 20_000);
      const offered = (JSON.parse(r.stdout) as { targets: Array<{ hosts: Array<{ probes: Array<{ capabilities: { plain: { starttls: boolean } | null } }> }> }> }).targets[0]?.hosts[0]?.probes[0]?.capabilities.plain?.starttls;
      if (offered === want) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('Postfix did not pick up the new configuration');
  }

  const BASELINE = { smtpd_tls_security_level: 'may', smtpd_helo_restrictions: 'reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname, reject_unknown_helo_hostname' };
  const CHANGED = { smtpd_tls_security_level: 'none', smtpd_helo_restrictions: `check_helo_access inline:{${N.good}=REJECT}, reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname, reject_unknown_helo_hostname` };

  async function flow(store: string, label: string): Promise<void> {
    await postfix(BASELINE);
    const first = await mxprobe(ctx.lab, [...PROBE, '--store', store], 60_000);
    console.log('[mta] store: first run', first.code);
    expect(first.code, describeRun(first)).toBe(0);
    // Only one run: nothing to compare is said, and is not "ok".
    const lonely = await mxprobe(ctx.lab, ['diff', '--store', store, '--fail-on-change', 'starttls-lost,verdict-worse']);
    expect(lonely.code, describeRun(lonely)).toBe(1);
    expect(lonely.stderr).toMatch(/nothing to compare/);

    await postfix(CHANGED);
    const prom = join(tmp, `${label}.prom`);
    // The issue's cron line, verbatim but for the lab flags.
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const line = `${q(process.execPath)} ${q(BIN)} ${[...PROBE, '--store', store, '--metrics-file', prom, '--metrics-per-host'].map(q).join(' ')} && ${q(process.execPath)} ${q(BIN)} diff --store ${q(store)} --fail-on-change starttls-lost,verdict-worse`;
    const cron = await ctx.lab.exec('sh', ['-c', line], { cwd: REPO, timeoutMs: 90_000 });
    console.log('[mta] store: cron line', cron.code);
    expect(cron.code, `${cron.stdout}\n${cron.stderr}`).toBe(3);
    expect(cron.stdout).toMatch(new RegExp(`${N.domain} ${N.mx} 127\\.0\\.0\\.25:25\\n(  .*\\n)*  STARTTLS lost  \\[starttls-lost\\]`));
    expect(cron.stdout).toMatch(/primary from 127\.0\.0\.10: accepted → rejected@rcpt \S+ {2}\[verdict-worse\]/);
    expect(cron.stderr).toMatch(/violate --fail-on-change: starttls-lost, verdict-worse/);

    const md = await mxprobe(ctx.lab, ['diff', '--store', store, '--format', 'json']);
    expect(md.code).toBe(0);
    const doc = JSON.parse(md.stdout) as { changes: Array<{ kind: string }> };
    expect(doc.changes.map((c) => c.kind)).toContain('starttls-lost');

    const hist = await mxprobe(ctx.lab, ['history', N.domain, '--store', store]);
    expect(hist.code, describeRun(hist)).toBe(0);
    expect(hist.stdout).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}STARTTLS lost/);
    expect(hist.stdout).toMatch(/host appeared/);

  }

  async function promtool(file: string): Promise<void> {
    const child = execFile('promtool', ['check', 'metrics']);
    const done = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    let err = '';
    child.stdout?.on('data', (d) => (err += d));
    child.stderr?.on('data', (d) => (err += d));
    child.stdin?.end(readFileSync(file));
    expect(await done, err).toBe(0);
  }

  it('SQLite: the cron line twice, STARTTLS turned off between: "STARTTLS lost", exit 3; history shows it', async () => {
    await flow(`sqlite:${join(tmp, 'audit.db')}`, 'sqlite');
    await promtool(join(tmp, 'sqlite.prom'));
    const prom = readFileSync(join(tmp, 'sqlite.prom'), 'utf8');
    expect(prom).toMatch(/^mxprobe_host_starttls_offered\{target="example\.test",exchange="mx\.example\.test",ip="127\.0\.0\.25",port="25"\} 0$/m);
    expect(prom).toMatch(/^mxprobe_identity_rejected\{kind="primary"\} 1$/m);
  }, 200_000);

  it.skipIf(SKIP_PG)('PostgreSQL: the same flow', async () => {
    await flow(pg!.socketUrl('audit'), 'pg');
    await promtool(join(tmp, 'pg.prom'));
  }, 200_000);
});
