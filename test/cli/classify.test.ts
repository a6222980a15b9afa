/**
 * `mxprobe classify` through a real commander Program and a CliContext built from PassThrough
 * streams (the lead's e2e tests spawn the binary; here we test the subcommand itself).
 */
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerClassify, splitClassifyInputs } from '../../src/cli/classify.js';
import type { CliContext } from '../../src/cli/context.js';
import { renderClassifyTable, type ClassifyRow } from '../../src/report/classify.js';

interface Run { stdout: string; stderr: string; exitCode: number | undefined }

async function run(args: string[], stdin?: string): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const input = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  stderr.on('data', (c: Buffer) => { err += c.toString('utf8'); });
  let exitCode: number | undefined;
  const ctx: CliContext = {
    stdout, stderr, stdin: input, stderrIsTty: false, env: {}, cwd: process.cwd(),
    setExitCode(code) { exitCode = code; },
    signal: new AbortController().signal,
  };
  if (stdin !== undefined) input.end(stdin);
  else input.end();
  const program = new Command('mxprobe');
  program.exitOverride();
  program.configureOutput({ writeOut: (s) => { out += s; }, writeErr: (s) => { err += s; } });
  registerClassify(program, ctx);
  await program.parseAsync(args, { from: 'user' });
  return { stdout: out, stderr: err, exitCode };
}

interface JsonRow { reply: string; stage: string | null; outcome: string; cause: string; remedy: string | null; code: number | null; enhanced: string | null; stageSource: string; rule: string }

describe('mxprobe classify', () => {
  it('classifies arguments as JSON with the documented keys', async () => {
    const r = await run(['classify', '--stage', 'rcpt', '--format', 'json', '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname', '250 2.1.5 Ok']);
    expect(r.exitCode).toBeUndefined();
    expect(r.stderr).toBe('');
    const rows = JSON.parse(r.stdout) as JsonRow[];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      reply: '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname',
      stage: 'rcpt', outcome: 'rejected', cause: 'helo-not-fqdn', code: 504, enhanced: '5.5.2', stageSource: 'flag',
    });
    expect(rows[0]?.remedy).toMatch(/fully-qualified/);
    expect(rows[1]).toMatchObject({ outcome: 'accepted', cause: 'none', remedy: null });
    expect(Object.keys(rows[0] ?? {}).slice(0, 5)).toEqual(['reply', 'stage', 'outcome', 'cause', 'remedy']);
  });

  it('reads stdin with "-": blank-line separated, one per line, multi-line replies kept together, log lines', async () => {
    const stdin = [
      '550-5.7.25 [192.0.2.7] The IP address sending this message does not have a PTR',
      '550-5.7.25 record setup, or the corresponding forward DNS entry does not point to',
      '550 5.7.25 the sending IP.',
      '',
      '450 4.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.7]',
      'Nov 29 08:00:00 mx postfix/smtpd[9]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 450 4.7.1 <nx.example>: Helo command rejected: Host not found; from=<> to=<a@example.org> proto=ESMTP helo=<nx.example>',
      '',
      '',
      '421 4.7.0 [TSS04] Messages from 192.0.2.7 temporarily deferred due to unexpected volume or user complaints',
      '',
    ].join('\n');
    const r = await run(['classify', '--format', 'json', '--stage', 'mail', '-'], stdin);
    expect(r.exitCode).toBeUndefined();
    const rows = JSON.parse(r.stdout) as JsonRow[];
    expect(rows.map((x) => [x.stage, x.stageSource, x.outcome, x.cause])).toEqual([
      ['mail', 'flag', 'rejected', 'fcrdns-fail'],
      ['mail', 'flag', 'deferred', 'no-ptr'],
      ['rcpt', 'log', 'deferred', 'helo-not-resolving'],
      ['mail', 'flag', 'deferred', 'rate-limit'],
    ]);
    expect(rows[0]?.reply.split('\n')).toHaveLength(3);
  });

  it('renders a table with remedies and strips terminal control characters from replies', async () => {
    const evil = '550 5.7.1 \u001b[2J\u001b]0;pwned\u0007Relay access denied\r';
    const r = await run(['classify', '--stage', 'rcpt', evil, '451 4.7.1 Greylisted, please try again']);
    expect(r.exitCode).toBeUndefined();
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(r.stdout).toBe([
      '#  STAGE  OUTCOME   CAUSE         REPLY',
      '1  rcpt   rejected  relay-denied  550 5.7.1 Relay access denied',
      '   remedy: Send to a domain this server is an MX for, or authenticate to relay through it (the server is not an open relay).',
      '2  rcpt   deferred  greylist      451 4.7.1 Greylisted, please try again',
      '   remedy: Nothing to fix: retry later from the same IP (greylisting accepts the retry after a few minutes).',
      '',
    ].join('\n'));
  });

  it('keeps server bytes verbatim in JSON (escaped, not stripped)', async () => {
    const r = await run(['classify', '--format', 'json', '550 5.7.1 \u001b[31mred']);
    const rows = JSON.parse(r.stdout) as JsonRow[];
    expect(rows[0]?.reply).toBe('550 5.7.1 \u001b[31mred');
    expect(r.stdout).toContain('\\u001b');
  });

  it('rejects a bad --stage with exit code 2 and a clear message', async () => {
    const r = await run(['classify', '--stage', 'quit', '550 no']);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/invalid --stage "quit".*connect, ehlo, helo, starttls, mail, rcpt, data/);
  });

  it('accepts --stage data, and a log line "in reply to end of DATA command" gets stage data from the log', async () => {
    const r = await run(['classify', '--format', 'json', '--stage', 'data', '554 5.7.1 Message rejected as spam']);
    expect(r.exitCode).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject([{ stage: 'data', stageSource: 'flag', code: 554, outcome: 'rejected' }]);
    const line = 'Nov 30 10:00:00 mx postfix/smtp[7]: 1A2B3C: to=<a@example.org>, relay=mx.example.org[192.0.2.1]:25, status=bounced (host mx.example.org[192.0.2.1] said: 554 5.7.1 Message rejected (in reply to end of DATA command))';
    const l = await run(['classify', '--format', 'json', '--stage', 'rcpt', line]);
    expect(l.exitCode).toBeUndefined();
    expect(JSON.parse(l.stdout)).toMatchObject([{ stage: 'data', stageSource: 'log', code: 554, enhanced: '5.7.1' }]);
    const t = await run(['classify', line]);
    expect(t.stdout.split('\n')[1]).toMatch(/^1 {2}data {2}/);
  });

  it('refuses input that is not an SMTP reply: random bytes give no rows, a clear error and exit 2', async () => {
    // Deterministic "random" bytes (an LCG), with newlines in them, as a binary file piped to stdin would be.
    let x = 12345;
    const bytes = Buffer.alloc(20000);
    for (let i = 0; i < bytes.length; i++) { x = (x * 1103515245 + 12345) >>> 0; bytes[i] = x >>> 24; }
    const junk = bytes.toString('latin1');
    const r = await run(['classify', '--format', 'json', '-'], junk);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mxprobe classify: refused: (\d+) of \1 inputs are not an SMTP reply .*nothing classified \(first at stdin:1: /);
    expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    const a = await run(['classify', 'hello world', 'Relay access denied']);
    expect(a.exitCode).toBe(2);
    expect(a.stdout).toBe('');
    expect(a.stderr).toMatch(/refused: 2 of 2 inputs .*first at argument 1: "hello world"/);
  });

  it('mixed input: classifies the valid replies and log lines, says how many were not replies, exits 2', async () => {
    const stdin = [
      '550 5.7.1 Relay access denied',
      'C: EHLO client.example',
      'garbage \u0001\u0002 line',
      '999 not a reply code',
      'Nov 29 08:00:00 mx exim[1]: H=(nx.example) [192.0.2.7] rejected EHLO or HELO nx.example: no such host',
      '',
    ].join('\n');
    const r = await run(['classify', '--format', 'json', '--stage', 'rcpt', '-'], stdin);
    expect(r.exitCode).toBe(2);
    const rows = JSON.parse(r.stdout) as JsonRow[];
    expect(rows.map((x) => [x.stage, x.code])).toEqual([['rcpt', 550], ['ehlo', null]]);
    expect(rows[0]?.cause).toBe('relay-denied');
    expect(r.stderr).toMatch(/^mxprobe classify: 3 of 5 inputs are not an SMTP reply .*classified the other 2 \(first at stdin:2: "C: EHLO client\.example"\)\n$/);
  });

  it('rejects a bad --format and a missing reply with exit code 2', async () => {
    const a = await run(['classify', '--format', 'xml', '550 no']);
    expect(a.exitCode).toBe(2);
    expect(a.stderr).toMatch(/invalid --format "xml"/);
    const b = await run(['classify']);
    expect(b.exitCode).toBe(2);
    expect(b.stderr).toMatch(/no reply given/);
  });

  it('an empty or blank reply argument (an unset shell variable) is a usage error, not "No replies", exit 0', async () => {
    for (const args of [['classify', ''], ['classify', '  '], ['classify', '550 no', '']]) {
      const r = await run(args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/argument \d is empty/);
      expect(r.stdout).toBe('');
    }
  });

  it('prints an empty JSON array for empty stdin', async () => {
    const r = await run(['classify', '--format', 'json', '-'], '\n\n');
    expect(r.exitCode).toBeUndefined();
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});

describe('splitClassifyInputs', () => {
  it.each<[string, string, string[]]>([
    ['one per line', '550 a\n450 b\n', ['550 a', '450 b']],
    ['blank-line separated', '550 a\n\n\n450 b', ['550 a', '450 b']],
    ['multi-line reply stays together', '250-mx\n250-SIZE 1\n250 OK\n550 x', ['250-mx\n250-SIZE 1\n250 OK', '550 x']],
    ['CRLF input', '250-mx\r\n250 OK\r\n', ['250-mx\n250 OK']],
    ['an unfinished multi-line reply ends at a blank line', '550-a\n\n550 b', ['550-a', '550 b']],
    ['a different code ends the group', '550-a\n450 b', ['550-a', '450 b']],
    ['a log line ends an unfinished group and stands alone', '550-a\npostfix/smtpd[1]: x', ['550-a', 'postfix/smtpd[1]: x']],
    ['transcript prefixes keep the group', 'S: 250-mx\nS: 250 OK', ['S: 250-mx\nS: 250 OK']],
    // swaks' prefixes (session 8): "<** " an error reply, "<~  " a reply inside TLS, "<-  " a reply; the parser strips
    // them, and the splitter once did not know them, so each line became its own input.
    ['swaks error prefix keeps the group', '<** 550-5.7.1 first line\n<** 550 5.7.1 second line', ['<** 550-5.7.1 first line\n<** 550 5.7.1 second line']],
    ['swaks TLS prefix keeps the group', '<~  250-mx.example.org\n<~  250 HELP\n<~  550 x', ['<~  250-mx.example.org\n<~  250 HELP', '<~  550 x']],
    ['swaks reply prefix keeps the group', '<-  451-a\n<-  451 b', ['<-  451-a\n<-  451 b']],
    ['nothing', '  \n\n', []],
  ])('%s', (_n, text, expected) => {
    expect(splitClassifyInputs(text)).toEqual(expected);
  });
});

describe('mxprobe classify - with a swaks transcript (session 8)', () => {
  it('classifies a multi-line reply behind "<** " as one reply with the words of all its lines', async () => {
    const stdin = ['<** 451-HELO/EHLO must contain a FQDN or IP literal', '<** 451 Please see RFC 2821 section 4.1.1.1', ''].join('\n');
    const r = await run(['classify', '--format', 'json', '--stage', 'ehlo', '-'], stdin);
    expect(r.exitCode).toBeUndefined();
    const rows = JSON.parse(r.stdout) as JsonRow[];
    expect(rows).toHaveLength(1);
    expect(rows[0]?.cause).toBe('helo-not-fqdn');
    expect(rows[0]?.code).toBe(451);
  });
});

describe('mxprobe classify --explain', () => {
  it('says which rule fired, the model\'s top causes and the weighing features (table)', async () => {
    const r = await run(['classify', '--explain', '--stage', 'rcpt', '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname', '550 rejecting spoofed message']);
    expect(r.exitCode).toBeUndefined();
    expect(r.stdout).toMatch(/decided by: specific rule postfix-helo-non-fqdn; cause helo-not-fqdn, confidence 0\.\d+/);
    expect(r.stdout).toMatch(/first rule: postfix-helo-non-fqdn -> helo-not-fqdn \(specific, corpus precision/);
    expect(r.stdout).toMatch(/model: helo-not-fqdn 0\.\d+/);
    expect(r.stdout).toMatch(/code features for helo-not-fqdn: c:504 [+-][\d.]+, e:x\.5\.2/);
    // No rule matched: the no-rule threshold applies (0.3 since session 5), and the content-word lift is shown.
    expect(r.stdout).toMatch(/decided by: model \(p 0\.\d+ >= 0\.3\); cause policy/);
    expect(r.stdout).toMatch(/words lift policy by 0\.\d+ over the codes alone \(the model decides a reply no rule knows from 0\.1\)/);
    expect(r.stdout).toMatch(/words for policy: .*t:spoof/);
  });

  it('adds confidence and decidedBy to every JSON row, and the explanation with --explain', async () => {
    const plain = JSON.parse((await run(['classify', '--format', 'json', '550 5.7.1 Relay access denied'])).stdout) as Array<Record<string, unknown>>;
    expect(plain[0]).toMatchObject({ cause: 'relay-denied', decidedBy: 'rule' });
    expect(typeof plain[0]?.confidence).toBe('number');
    expect(plain[0]).not.toHaveProperty('explain');
    const ex = JSON.parse((await run(['classify', '--explain', '--format', 'json', '--stage', 'rcpt', '550 rejecting spoofed message'])).stdout) as Array<{ explain: { firstRule: unknown; modelTop: Array<{ cause: string }>; decision: { decidedBy: string } } }>;
    expect(ex[0]?.explain.decision.decidedBy).toBe('model');
    expect(ex[0]?.explain.modelTop[0]?.cause).toBe('policy');
  });
});

describe('renderClassifyTable', () => {
  it('says so when there is nothing, and shows "-" for an unknown stage and the raw input when there is no code', () => {
    expect(renderClassifyTable([])).toBe('No replies to classify.\n');
    const row: ClassifyRow = { reply: 'relay not permitted', stage: null, outcome: 'unknown', cause: 'relay-denied', remedy: null, code: null, enhanced: null, text: 'relay not permitted', stageSource: 'none', rule: 'relay-text', confidence: 0.9, decidedBy: 'rule' };
    expect(renderClassifyTable([row])).toBe('#  STAGE  OUTCOME  CAUSE         REPLY\n1  -      unknown  relay-denied  relay not permitted\n');
  });
});
