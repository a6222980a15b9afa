/**
 * Byte-identical outputs of two `mxprobe logs` builds (a speed change must not change a byte):
 *
 *   node bench/logs-same.mjs /path/to/base/bin/mxprobe.js [/path/to/new/bin/mxprobe.js]
 *
 * Runs both builds on the same inputs in json, table, csv (and html for some) and compares stdout,
 * stderr and the exit code: the generated bench log (BENCH_LOGS_LINES, default 1,000,000 lines),
 * every fixture in test/fixtures/logs, a .gz, stdin, a rotated set (mail.log.2.gz mail.log.1
 * mail.log), a hostile mix (non-ASCII hosts and domains, CRLF, a line over the 64 KiB cap, control
 * bytes, lines cut short, ISO and JSON lines among classic ones) and a year wrap. Prints one line
 * per comparison and exits 1 if any differs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { generateText } from './logs-gen.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const BASE = process.argv[2];
const NEW = process.argv[3] ?? join(root, 'bin', 'mxprobe.js');
if (!BASE) {
  process.stderr.write('usage: node bench/logs-same.mjs BASE_CLI [NEW_CLI]\n');
  process.exit(2);
}
const N = Number(process.env.BENCH_LOGS_LINES ?? 1_000_000);
const work = mkdtempSync(join(tmpdir(), 'mxprobe-logs-same-'));
const FIX = join(root, 'test', 'fixtures', 'logs');
const MTIME = new Date('2026-11-30T23:00:00Z');

function file(name, data) {
  const p = join(work, name);
  writeFileSync(p, data);
  utimesSync(p, MTIME, MTIME);
  return p;
}

let bad = 0;
function same(label, args, input = null) {
  const run = (cli) => spawnSync(process.execPath, [cli, 'logs', ...args], { input: input ?? undefined, maxBuffer: 1 << 30, encoding: 'buffer', env: { ...process.env, MXPROBE_LOGS_DEBUG: '' } });
  const a = run(BASE);
  const b = run(NEW);
  const ok = a.status === b.status && Buffer.compare(a.stdout, b.stdout) === 0 && Buffer.compare(a.stderr, b.stderr) === 0;
  if (!ok) bad++;
  process.stdout.write(`${ok ? 'same' : 'DIFFERENT'}  ${label}  (exit ${a.status}/${b.status}, ${a.stdout.length}/${b.stdout.length} bytes)\n`);
}

try {
  const gen = generateText(N);
  const big = file('mail.log', gen);
  for (const f of ['json', 'table', 'csv']) same(`generated ${N} lines --format ${f}`, [big, '--format', f, '--relay', 'r0']);
  same(`generated ${N} lines --format html`, [big, '--format', 'html', '--relay', 'r0']);
  same(`generated ${N} lines --bucket day --since/--until`, [big, '--format', 'json', '--bucket', 'day', '--since', '2026-11-01T02:00:00Z', '--until', '2026-11-01T20:00:00Z']);

  for (const name of readdirSync(FIX).sort()) {
    for (const f of ['json', 'table', 'csv']) same(`fixture ${name} --format ${f}`, [join(FIX, name), '--format', f, '--relay', 'r0', '--year', '2026']);
  }

  const small = generateText(200_000);
  const gz = file('small.log.gz', gzipSync(small));
  same('.gz json', [gz, '--format', 'json']);
  same('.gz table', [gz, '--format', 'table']);
  same('stdin json', ['-', '--format', 'json', '--relay', 'r0'], Buffer.from(small));
  same('stdin csv', ['-', '--format', 'csv', '--relay', 'r0'], Buffer.from(small));

  const lines = small.split('\n');
  const third = Math.floor(lines.length / 3);
  file('rot.log.2.gz', gzipSync(`${lines.slice(0, third).join('\n')}\n`));
  file('rot.log.1', `${lines.slice(third, 2 * third).join('\n')}\n`);
  file('rot.log', lines.slice(2 * third).join('\n'));
  same('rotated set json', [join(work, 'rot.log'), join(work, 'rot.log.1'), join(work, 'rot.log.2.gz'), '--format', 'json']);
  same('rotated set table', [join(work, 'rot.log'), join(work, 'rot.log.1'), join(work, 'rot.log.2.gz'), '--format', 'table']);

  // Hostile mix: mutate every 7th line, add odd lines, CRLF on some, one line over the cap.
  const odd = [
    'Nov  1 00:00:00 h\u00e9st postfix/smtpd[1]: 4ABE: client=x[1.2.3.4]',
    'Nov  1 00:00:01 relay1 postfix/smtp[5]: 4ABD: to=<a@B.\u00e9xample>, relay=mx[192.0.2.1]:25, delay=1, status=sent (250 ok)',
    'Nov  1 00:00:02 relay1 postfix/smtp[5]: 4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent (250 ok: forwarded as 4ABF)',
    'Nov  1 00:00:03 relay1 postfix/smtpd[1: x]: disconnect from x',
    'Nov  1 00:00:04 relay1 postfix/qmgr: 4ABD: removed',
    '2026-11-01T00:00:05.123456+00:00 relay9 postfix/smtp[5]: 4ABZ: to=<z@iso.example>, relay=mx[192.0.2.9]:25, delay=1, status=sent (250 ok)',
    '{"MESSAGE":"4ABY: to=<y@json.example>, relay=mx[192.0.2.8]:25, delay=1, status=sent (250 ok)","SYSLOG_IDENTIFIER":"postfix/smtp","_HOSTNAME":"j1","__REALTIME_TIMESTAMP":"1793491205000000","_PID":"5"}',
    'Nov  1 00:00:06 relay1 postfix/smtpd[7]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 550 5.7.1 \u00fcber; from=<> to=<b@c> proto=ESMTP helo=<h\u00e9lo>',
    'Nov  1 00:00:07 relay1 postfix/smtp[5]: 4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent (250\u2028ok)',
    'Nov  1 00:00:08 relay1 \u0007postfix/smtp[5]: junk \u001b[31m',
    'Nov 1 00:00:09 short stamp',
    'garbage',
    '',
  ];
  const hostile = [];
  lines.forEach((l, i) => {
    if (i % 7 === 3) hostile.push(l.replace(/: /, ':  ').replace(/relay=/, 'relay= '));
    else if (i % 11 === 5) hostile.push(`${l}\r`);
    else hostile.push(l);
    if (i % 1000 === 17) hostile.push(odd[(i / 1000) % odd.length | 0]);
    if (i === 5000) hostile.push(`Nov  1 01:00:00 relay1 postfix/smtpd[1]: ${'x'.repeat(70_000)}`);
  });
  const hp = file('hostile.log', hostile.join('\n'));
  for (const f of ['json', 'table', 'csv']) same(`hostile mix --format ${f}`, [hp, '--format', f, '--relay', 'r0']);

  const wrap = small.split('\n').slice(0, 20_000).map((l, i) => (i < 10_000 ? l.replace(/^Nov  1/, 'Dec 31') : l.replace(/^Nov  1/, 'Jan  1')));
  const wp = file('wrap.log', wrap.join('\n'));
  for (const f of ['json', 'table']) same(`year wrap --format ${f}`, [wp, '--format', f]);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(bad === 0 ? 'all outputs byte-identical\n' : `${bad} comparison(s) DIFFERENT\n`);
process.exit(bad === 0 ? 0 : 1);
