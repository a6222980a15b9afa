import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { registerDeliver } from '../../src/cli/deliver.js';
import { startSmtp, header, type SmtpFixture } from '../deliver/smtp-fixture.js';
import { runSub } from '../deliver/cli-harness.js';

const open: SmtpFixture[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});
async function smtp(): Promise<SmtpFixture> {
  const s = await startSmtp();
  open.push(s);
  return s;
}

describe('mxprobe deliver', () => {
  it('delivers one message, prints the plan on stderr first and the JSON result on stdout', async () => {
    const s = await smtp();
    const r = await runSub(registerDeliver, ['deliver', '--to', 'seed@example.test', '--helo', 'cli.example.test', '--via', `127.0.0.1:${s.port}`, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(s.messages).toHaveLength(1);
    expect(r.stderr).toMatch(/^deliver: 1 message\(s\) from <postmaster@cli\.example\.test> to <seed@example\.test>, HELO cli\.example\.test/);
    const j = JSON.parse(r.stdout) as { messages: Array<{ token: string; outcome: string; queueId: { id: string } }> };
    expect(j.messages[0]?.outcome).toBe('delivered');
    expect(j.messages[0]?.queueId.id).toBe('4XyzQ1Hd7Gz9sWZ');
    expect(header(s.messages[0]!.raw, 'X-Mxprobe-Token')).toBe(j.messages[0]?.token);
  });

  it('table output shows the transcript and the final reply; --results verdicts reach the body', async () => {
    const s = await smtp();
    const dir = mkdtempSync(join(tmpdir(), 'mxprobe-cli-deliver-'));
    try {
      const host = { type: 'host', exchange: '127.0.0.1', ip: '127.0.0.1', port: s.port, family: 4, target: {}, probes: [
        { identity: { kind: 'primary', name: 'cli.example.test', source: null }, status: 'success', verdict: { outcome: 'accepted', stage: 'rcpt', code: 250, enhanced: '2.1.5', text: 'Ok', cause: 'none' } },
      ] };
      writeFileSync(join(dir, 'run.ndjson'), `${JSON.stringify({ type: 'run' })}\n${JSON.stringify(host)}\n`);
      const r = await runSub(registerDeliver, ['deliver', '--to', 'seed@example.test', '--helo', 'cli.example.test', '--via', `127.0.0.1:${s.port}`, '--results', 'run.ndjson'], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('C: EHLO cli.example.test');
      expect(r.stdout).toContain('outcome delivered: 250 Ok: queued as 4XyzQ1Hd7Gz9sWZ');
      expect(r.stdout).toContain('queue id 4XyzQ1Hd7Gz9sWZ (postfix)');
      expect(s.messages[0]?.raw).toContain('127.0.0.1 [127.0.0.1] primary HELO cli.example.test: accepted at rcpt 250 2.1.5');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['no --to', ['--helo', 'h.example.test']],
    ['--count 11', ['--to', 'seed@example.test', '--helo', 'h.example.test', '--count', '11']],
    ['--count 0', ['--to', 'seed@example.test', '--helo', 'h.example.test', '--count', '0']],
    ['CR/LF in --helo', ['--to', 'seed@example.test', '--helo', 'h.example.test\r\nRSET']],
    ['LF in --to', ['--to', 'seed@example.test\nRCPT TO:<x@y.test>', '--helo', 'h.example.test']],
    ['bad --tls', ['--to', 'seed@example.test', '--helo', 'h.example.test', '--tls', 'maybe']],
  ])('%s: exit 2, nothing reaches the server', async (_name, args) => {
    const s = await smtp();
    const r = await runSub(registerDeliver, ['deliver', ...args, '--via', `127.0.0.1:${s.port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mxprobe deliver: /);
    await new Promise((res) => setTimeout(res, 50));
    expect(s.connections).toHaveLength(0);
  });

  it('--dry-run prints the message and connects to nothing (exit 0)', async () => {
    const s = await smtp();
    const r = await runSub(registerDeliver, ['deliver', '--to', 'seed@example.test', '--helo', 'h.example.test', '--via', `127.0.0.1:${s.port}`, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('| Subject: mxprobe test ');
    expect(r.stdout).toContain('dry run: nothing was sent');
    // Each line once across stdout and stderr: the envelope line and "nothing sent" are not restated.
    const all = `${r.stdout}${r.stderr}`;
    expect(all.match(/dry run: nothing/g)).toHaveLength(1);
    expect(all.match(/from <postmaster@h\.example\.test> to <seed@example\.test>/g)).toHaveLength(1);
    await new Promise((res) => setTimeout(res, 100));
    expect(s.connections).toHaveLength(0);
  });

  it('--source must be a local IP address, as probe checks it, also on --dry-run (exit 2, nothing sent)', async () => {
    const s = await smtp();
    const base = ['deliver', '--to', 'seed@example.test', '--helo', 'h.example.test', '--via', `127.0.0.1:${s.port}`];
    // 192.0.2.99 (TEST-NET-1, RFC 5737) is an address of no interface here: binding it fails locally.
    const foreign = await runSub(registerDeliver, [...base, '--dry-run', '--source', '192.0.2.99']);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/^mxprobe deliver: --source: 192\.0\.2\.99 is not usable as a local address \(EADDRNOTAVAIL\)\n$/);
    expect(foreign.stdout).toBe('');
    const real = await runSub(registerDeliver, [...base, '--source', '192.0.2.99']);
    expect(real.code).toBe(2);
    const bad = await runSub(registerDeliver, [...base, '--dry-run', '--source', 'mx.example']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--source: "mx\.example" is not an IPv4 or IPv6 address/);
    const ok = await runSub(registerDeliver, [...base, '--dry-run', '--source', '[127.0.0.1]']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('source 127.0.0.1');
    await new Promise((res) => setTimeout(res, 100));
    expect(s.connections).toHaveLength(0);
  });

  it('exit 1 when the message was not delivered', async () => {
    const s = await smtp();
    await s.close();
    open.pop();
    const r = await runSub(registerDeliver, ['deliver', '--to', 'seed@example.test', '--helo', 'h.example.test', '--via', `127.0.0.1:${s.port}`, '--timeout', '5000']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('connection-failed');
  });
});
