/**
 * Issue 12 B9: an IP target's default recipient is postmaster@[ip]; an Exim-like receiver refuses
 * domain literals at RCPT (501). That reply is about the recipient, not the HELO identity, and
 * the CLI says to give --rcpt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { lineScript, startRawServer, type RawServer } from '../helpers/raw-server.js';
import { classify } from '../../src/analysis/classify.js';
import type { RunResult } from '../../src/results.js';

let exim: RawServer;
beforeAll(async () => {
  exim = await startRawServer(
    lineScript('220 mx.exim.test ESMTP Exim 4.97\r\n', (line) => {
      if (/^EHLO/i.test(line)) return '250-mx.exim.test Hello\r\n250 HELP\r\n';
      if (/^MAIL/i.test(line)) return '250 OK\r\n';
      const rcpt = /^RCPT TO:<([^>]*)>/i.exec(line);
      if (rcpt) return rcpt[1]?.includes('@[') ? `501 <${rcpt[1]}>: domain literals not allowed\r\n` : '250 Accepted\r\n';
      if (/^RSET/i.test(line)) return '250 Reset OK\r\n';
      if (/^QUIT/i.test(line)) return '221 mx.exim.test closing connection\r\n';
      return '500 unrecognized command\r\n';
    }),
  );
});
afterAll(async () => {
  await exim.close();
});

const args = (...extra: string[]) => ['probe', `127.0.0.1:${exim.port}`, '--helo', 'good.example.test', '--identities', 'primary,localhost', '--format', 'json', '--no-alignment', '--host-gap', '0', ...extra];

describe('IP targets and the domain-literal recipient', () => {
  it('classifier: "domain literals not allowed" at RCPT is a recipient refusal', () => {
    expect(classify({ stage: 'rcpt', code: 501, text: '<postmaster@[127.0.0.26]>: domain literals not allowed' }).cause).toBe('recipient');
  });

  it('without --rcpt: a warning names --rcpt, and the 501 is blamed on the recipient, not the HELO', async () => {
    const r = await runCliProcess(args());
    expect(r.stderr).toMatch(/IP target\(s\) get RCPT TO:<postmaster@\[ip\]>.*--rcpt/);
    const probes = (JSON.parse(r.stdout) as RunResult).targets[0]?.hosts[0]?.probes ?? [];
    expect(probes).toHaveLength(2);
    for (const p of probes) expect(p.verdict).toMatchObject({ outcome: 'rejected', stage: 'rcpt', code: 501, cause: 'recipient' });
  });

  it('with --rcpt: no warning, the identities are judged', async () => {
    const r = await runCliProcess(args('--rcpt', 'postmaster@exim.test'));
    expect(r.stderr).not.toMatch(/domain literals/);
    const probes = (JSON.parse(r.stdout) as RunResult).targets[0]?.hosts[0]?.probes ?? [];
    for (const p of probes) expect(p.verdict.outcome).toBe('accepted');
  });
});
