/**
 * Issue 12 §A, the failed-handshake half, against a real TLS stack: the built CLI probes an SMTP
 * front on 127.0.0.1 that advertises STARTTLS, says 220, and then hands the socket to a real
 * `openssl s_server` that aborts the handshake (TLS 1.2 with a required client certificate and
 * -verify_return_error: a handshake_failure alert, as a server-side OpenSSL error does in the
 * wild). The probe must reconnect in plaintext (a new connection), judge the first identity at
 * RCPT, record the handshake failure, and `--fail-on starttls-broken` must exit 3.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results.js';
import { runCliProcess } from '../helpers/cli.js';

const OPENSSL = '/usr/bin/openssl';
const IN_CI = process.env.CI === 'true';
// Under CI a missing openssl must fail the run, never skip it.
const SKIP = !existsSync(OPENSSL) && !IN_CI;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(SKIP)('STARTTLS handshake aborted by a real openssl s_server', () => {
  let dir = '';
  let sServer: ChildProcess | null = null;
  let front: Server | null = null;
  const sessions: string[] = [];
  let frontPort = 0;

  beforeAll(async () => {
    if (!existsSync(OPENSSL)) throw new Error('openssl is missing (apt-get install openssl; .ci/run installs it)');
    dir = mkdtempSync(join(tmpdir(), 'mxprobe-sserver-'));
    const req = spawnSync(OPENSSL, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=mx.fixture.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    if (req.status !== 0) throw new Error(`openssl req failed: ${req.stderr}`);
    const tlsPort = await freePort();
    sServer = spawn(OPENSSL, ['s_server', '-accept', `127.0.0.1:${tlsPort}`, '-cert', join(dir, 'cert.pem'), '-key', join(dir, 'key.pem'), '-tls1_2', '-Verify', '1', '-verify_return_error', '-www'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`s_server did not start: ${out}`)), 20_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (/ACCEPT/.test(out)) {
          clearTimeout(t);
          resolve();
        }
      };
      sServer?.stdout?.on('data', onData);
      sServer?.stderr?.on('data', onData);
      sServer?.on('exit', (code) => reject(new Error(`s_server exited ${code}: ${out}`)));
    });
    // The SMTP front: plaintext SMTP, and after "220 Ready to start TLS" the raw socket is piped to s_server.
    front = createServer((sock: Socket) => {
      const i = sessions.push('') - 1;
      let buf = '';
      let piped = false;
      sock.on('error', () => {});
      sock.write('220 mx.fixture.test ESMTP front\r\n');
      sock.on('data', (d) => {
        if (piped) return;
        buf += d.toString('latin1');
        let n: number;
        while (!piped && (n = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, n).replace(/\r$/, '');
          buf = buf.slice(n + 1);
          sessions[i] += `${line}\n`;
          if (/^EHLO/i.test(line)) sock.write('250-mx.fixture.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n');
          else if (/^STARTTLS/i.test(line)) {
            piped = true;
            sock.write('220 2.0.0 Ready to start TLS\r\n');
            const up = connect({ host: '127.0.0.1', port: tlsPort });
            up.on('error', () => sock.destroy());
            sock.on('error', () => up.destroy());
            sock.pipe(up).pipe(sock);
          } else if (/^MAIL/i.test(line)) sock.write('250 2.1.0 Ok\r\n');
          else if (/^RCPT/i.test(line)) sock.write(/^(EHLO|HELO) localhost$/im.test(sessions[i] ?? '') ? '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname\r\n' : '250 2.1.5 Ok\r\n');
          else if (/^RSET/i.test(line)) sock.write('250 2.0.0 Ok\r\n');
          else if (/^QUIT/i.test(line)) sock.end('221 2.0.0 Bye\r\n');
          else sock.write('502 5.5.2 Error: command not recognized\r\n');
        }
      });
    });
    await new Promise<void>((r) => front?.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const a = front.address();
    frontPort = typeof a === 'object' && a ? a.port : 0;
  }, 60_000);

  afterAll(async () => {
    if (front) await new Promise<void>((r) => front?.close(() => r()));
    if (sServer && sServer.exitCode === null) sServer.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const args = (...extra: string[]) => ['probe', '127.0.0.1', '--port', String(frontPort), '--helo', 'good.example.test', '--rcpt', 'postmaster@fixture.test', '--no-alignment', '--host-gap', '0', '--quiet', ...extra];

  it('the first identity reconnects in plaintext and is judged at RCPT; the handshake failure is recorded', async () => {
    const before = sessions.length;
    const r = await runCliProcess(args('--identities', 'primary,localhost', '--format', 'json'), { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const probes = (JSON.parse(r.stdout) as RunResult).targets[0]?.hosts[0]?.probes ?? [];
    const [primary, localhost] = probes;
    expect(primary?.status).toBe('success');
    expect(primary?.verdict).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
    expect(primary?.starttlsFailure).toMatchObject({ kind: 'handshake-failed', fallback: 'reconnect' });
    // The alert from s_server, in OpenSSL's words.
    expect(primary?.starttlsFailure?.kind === 'handshake-failed' ? primary.starttlsFailure.error.message : '').toMatch(/alert|handshake/i);
    expect(localhost?.verdict).toMatchObject({ outcome: 'rejected', stage: 'rcpt', code: 504, cause: 'helo-not-fqdn' });
    // Three sessions: the failed TLS one, primary in plaintext, localhost in plaintext (no STARTTLS).
    const mine = sessions.slice(before);
    expect(mine).toHaveLength(3);
    expect(mine[0]).toMatch(/STARTTLS/);
    expect(mine[1]).not.toMatch(/STARTTLS/);
    expect(mine[1]).toMatch(/RCPT TO:<postmaster@fixture\.test>/);
    expect(mine[2]).not.toMatch(/STARTTLS/);
  }, 90_000);

  it('--fail-on starttls-broken exits 3 and says the handshake failed', async () => {
    const r = await runCliProcess(args('--fail-on', 'starttls-broken'), { timeoutMs: 60_000 });
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stderr).toMatch(/policy starttls-broken: .*handshake failed/);
  }, 90_000);

  it('--no-starttls-fallback keeps the strict answer: tls-error, no plaintext retry', async () => {
    const before = sessions.length;
    const r = await runCliProcess(args('--no-starttls-fallback', '--format', 'json'), { timeoutMs: 60_000 });
    const p = (JSON.parse(r.stdout) as RunResult).targets[0]?.hosts[0]?.probes[0];
    expect(p?.status).toBe('tls-error');
    expect(p?.starttlsFailure).toMatchObject({ kind: 'handshake-failed', fallback: 'none' });
    expect(sessions.length - before).toBe(1);
    expect(r.code).toBe(1);
  }, 90_000);
});
