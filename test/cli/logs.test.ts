/**
 * `mxprobe logs` as a user runs it (the built CLI): the JSON contract names, csv/html safety,
 * stdin and .gz, --emit-targets, and the exit codes for bad input.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';

const FX = new URL('../fixtures/logs/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mxprobe-logs-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mxprobe logs (built CLI)', () => {
  it('--format json writes the contract names with the values pflogsumm prints for the fixture', async () => {
    const r = await runCliProcess(['logs', join(FX, 'postfix-classic.txt'), '--format', 'json', '--year', '2026']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(Object.keys(d)).toEqual(expect.arrayContaining(['totals', 'relays', 'destinations', 'inbound', 'spam', 'unparsed']));
    expect(d.totals).toMatchObject({ received: 2, delivered: 2, deferred: 2, deferrals: 3, bounced: 2, rejected: 4 });
    expect(d.relays[0]).toEqual(expect.objectContaining({ relay: 'relay1', sent: 1, deferred: 0, bounced: 1, causes: { blocklist: 1 } }));
    expect(d.destinations[0]).toEqual(expect.objectContaining({ domain: 'outlook.test', sent: 1, deferred: 1, bounced: 1, acceptanceRate: 0.5, causes: { 'no-ptr': 2, blocklist: 1 } }));
    expect(d.inbound.rejects).toMatchObject({ reject_invalid_helo_hostname: 1, reject_non_fqdn_helo_hostname: 1, reject_unknown_helo_hostname: 1, reject_unknown_client_hostname: 1 });
    expect(d.inbound.heloNames).toEqual(expect.arrayContaining([{ name: 'localhost', count: 1, form: 'not-fqdn' }]));
    expect(d.spam).toEqual({ scanned: { rspamd: 0, spamassassin: 0 }, symbols: {} });
    expect(d.unparsed).toEqual({ count: 1, examples: ['this line is not a log line at all'] });
    expect(d.targets.heloOrPtr.map((t: { domain: string }) => t.domain)).toEqual(['outlook.test']);
  });

  it('table output: per-destination acceptance, refusals per relay, inbound HELO table, the next step', async () => {
    const r = await runCliProcess(['logs', join(FX, 'postfix-classic.txt'), join(FX, 'exim-mainlog.txt'), '--relay', 'exim1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/relay2\s+outlook\.test\s+no-ptr\*\s+2\s+0/);
    expect(r.stdout).toMatch(/outlook\.test\s+1\s+1\s+2\s+1\s+1\s+50\.0%/);
    expect(r.stdout).toMatch(/reject_non_fqdn_helo_hostname\s+1/);
    expect(r.stdout).toMatch(/exim_helo_verify\s+2/);
    expect(r.stdout).toMatch(/exim1\s+3\s+1\s+1\s+1/);
    expect(r.stdout).toContain('mxprobe probe -f FILE --identities all');
  });

  it('reads stdin ("-") and gzip, and --emit-targets writes a probe targets file', async () => {
    const gz = join(dir, 'mail.log.1.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(FX, 'postfix-classic.txt'))));
    const targets = join(dir, 'targets.txt');
    const r = await runCliProcess(['logs', gz, '-', '--format', 'json', '--emit-targets', targets], { input: readFileSync(join(FX, 'journal.json'), 'utf8') });
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.files.map((f: { file: string; gzip: boolean }) => [f.file, f.gzip])).toEqual([
      [gz, true],
      ['-', false],
    ]);
    expect(d.totals.bounced).toBe(3);
    const t = readFileSync(targets, 'utf8');
    expect(t.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(' ')[0])).toEqual(['outlook.test', 'gmail.test']);
    expect(d.targets.next).toBe(`mxprobe probe -f ${targets} --identities all`);
  });

  it('a truncated .gz: the report counts what was read, stderr names the file, exit 2', async () => {
    const lines = Array.from({ length: 4000 }, (_, i) => `Nov 30 10:00:00 r postfix/smtp[1]: Q${i}: to=<u${i}@d.test>, relay=mx.d.test[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)`).join('\n');
    const full = gzipSync(`${lines}\n`);
    const bad = join(dir, 'mail.log.2.gz');
    writeFileSync(bad, full.subarray(0, Math.floor(full.length / 2)));
    const r = await runCliProcess(['logs', bad, join(FX, 'postfix-classic.txt'), '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: truncated gzip file:`);
    const d = JSON.parse(r.stdout);
    const f = d.files.find((x: { file: string }) => x.file === bad);
    expect(f.error.problem).toBe('truncated-gzip');
    expect(f.lines).toBeGreaterThan(100);
    expect(d.totals.delivered).toBe(f.lines + 2); // every complete line before the break, plus the fixture's 2
  });

  it('a binary file is refused with a clear message (exit 2); a file of no known format is inconclusive (exit 1)', async () => {
    const bin = join(dir, 'core');
    writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 10]));
    const b = await runCliProcess(['logs', bin]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`${bin}: refusing a binary file`);
    const txt = join(dir, 'notes.txt');
    writeFileSync(txt, 'hello\nworld\n');
    const n = await runCliProcess(['logs', txt]);
    expect(n.code).toBe(1);
    expect(n.stderr).toContain('inconclusive');
    expect(n.stdout).toContain('Unparsed lines: 2');
  });

  it('usage errors exit 2', async () => {
    for (const args of [['logs'], ['logs', 'x', '--format', 'xml'], ['logs', 'x', '--since', 'yesterday'], ['logs', 'x', '--bucket', 'week'], ['logs', '-', '-'], ['logs', 'x', '--log-format', 'sendmail']]) {
      const r = await runCliProcess(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^mxprobe logs: /);
    }
    // An empty --emit-targets is refused before the log is read, not after the whole report.
    const log = join(FX, 'postfix-classic.txt');
    const empty = await runCliProcess(['logs', log, '--emit-targets', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('mxprobe logs: --emit-targets needs a file name\n');
    expect(empty.stdout).toBe('');
  });

  it('an --emit-targets that cannot be written is refused before the log is read, and a log is never overwritten', async () => {
    const log = join(dir, 'mail.log');
    const text = readFileSync(join(FX, 'postfix-classic.txt'), 'utf8');
    writeFileSync(log, text);
    symlinkSync(log, join(dir, 'mail-link.log'));
    for (const [target, why] of [
      [join(dir, 'no-such-dir', 't.txt'), 'no such directory'],
      [dir, 'it is a directory'],
      // It used to read the log, then replace it with the targets list.
      [log, 'it is one of the logs being read'],
      [join(dir, 'mail-link.log'), 'it is one of the logs being read'],
    ] as const) {
      const r = await runCliProcess(['logs', log, '--emit-targets', target]);
      expect(r.code, target).toBe(2);
      // One line, and no report: the log was not read (it used to print the whole report first).
      expect(r.stderr).toBe(`mxprobe logs: cannot write --emit-targets ${target}: ${why}${why.startsWith('it is one') ? ' (it would be overwritten)' : ''}\n`);
      expect(r.stdout).toBe('');
    }
    expect(readFileSync(log, 'utf8')).toBe(text);
    // A new file in a writable directory is still fine (control).
    const ok = await runCliProcess(['logs', log, '--emit-targets', join(dir, 'new-targets.txt')]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('hostile log text: no terminal escapes in table output, escaped in HTML, neutralised in CSV', async () => {
    const evil = join(dir, 'evil.log');
    writeFileSync(
      evil,
      'Nov 30 10:00:00 r1 postfix/smtp[1]: AB12: to=<x@evil.test>, relay=mx.evil.test[192.0.2.66]:25, delay=1, delays=0/0/0/1, dsn=5.0.0, status=bounced (host mx.evil.test[192.0.2.66] said: 550 5.7.1 \u001b]0;pwned\u0007<script>alert(1)</script> =HYPERLINK("http://x") (in reply to RCPT TO command))\n',
    );
    const t = await runCliProcess(['logs', evil]);
    expect(t.stdout).not.toMatch(/[\u001b\u0007]/);
    const h = await runCliProcess(['logs', evil, '--format', 'html']);
    expect(h.stdout).not.toContain('<script>alert');
    expect(h.stdout).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const c = await runCliProcess(['logs', evil, '--format', 'csv']);
    expect(c.stdout.split('\r\n')[0]).toBe('section,relay,domain,mx,ip,cause,check,name,count,sent,deferred,deferrals,bounced,acceptanceRate,score,text');
    const reply = c.stdout.split('\r\n').find((l) => l.startsWith('reply,'));
    expect(reply).toBeDefined();
    expect(reply).not.toMatch(/[\u001b\u0007]/);
    expect(c.stdout).not.toMatch(/,=HYPERLINK/);
  });

  it('names tie-break in code-unit order whatever LANG / LC_ALL say (one log, one report on every machine)', async () => {
    // Under et_EE "z" sorts before "t" and under en_US "a.c" before "ab" and "z" before "Z": the
    // order used to follow the process's locale. Each HELO name here is seen once (a tie on count).
    const names = ['t.example', 'z.example', 'Z.example', 'ab.example', 'a.c.example', 'a-b.example'];
    const log = join(dir, 'order.log');
    writeFileSync(
      log,
      names.map((n, i) => `Nov 30 10:00:0${i} r1 postfix/smtpd[${100 + i}]: NOQUEUE: reject: RCPT from unknown[203.0.113.${i + 1}]: 450 4.7.1 <${n}>: Helo command rejected: Host not found; from=<a@b.test> to=<c@our.test> proto=ESMTP helo=<${n}>\n`).join(''),
    );
    const byCodeUnits = [...names].sort(); // (Array#sort's default order is by UTF-16 code units)
    const outs: string[] = [];
    for (const lang of ['C', 'en_US.UTF-8', 'et_EE.UTF-8']) {
      const r = await runCliProcess(['logs', log, '--format', 'json', '--year', '2026'], { env: { LANG: lang, LC_ALL: lang } });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).inbound.heloNames.map((h: { name: string }) => h.name)).toEqual(byCodeUnits);
      outs.push(r.stdout);
    }
    expect(outs[1]).toBe(outs[0]);
    expect(outs[2]).toBe(outs[0]);
  });
});
