/** Issue 12 HTML polish: OpenSSL codes in words, SIZE in units, an EHLO host is not a HELO host. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results.js';
import { explainCertError, humanSize, renderHtml } from '../../src/report/html.js';
import { hostFacts } from '../../src/report/summary.js';

const load = (): RunResult => JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;

describe('HTML polish', () => {
  it('explains OpenSSL verification codes and keeps the code', () => {
    expect(explainCertError('DEPTH_ZERO_SELF_SIGNED_CERT')).toBe('self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');
    expect(explainCertError('UNABLE_TO_VERIFY_LEAF_SIGNATURE')).toMatch(/intermediate/);
    expect(explainCertError('SOMETHING_NEW')).toBe('SOMETHING_NEW');
    const html = renderHtml(load());
    expect(html).not.toMatch(/<span class="muted mono">DEPTH_ZERO_SELF_SIGNED_CERT<\/span>/);
  });

  it('SIZE in binary units', () => {
    expect(humanSize(10240000)).toBe('9.8 MiB');
    expect(humanSize(52428800)).toBe('50 MiB');
    expect(humanSize(2048)).toBe('2 KiB');
    expect(humanSize(0)).toBe('no limit');
  });

  it('a host that answered EHLO to one identity is not a HELO host because it refused another\'s EHLO (Haraka)', () => {
    const run = load();
    const h = run.targets[0]!.hosts[0]!;
    const [first, second] = h.probes;
    expect(first?.greeting?.command).toBe('EHLO');
    // The second identity: EHLO refused (Haraka helo.checks), HELO then accepted.
    const refused = { code: 550, enhanced: null, lines: ['550 HELO host name looks dynamic'], text: 'HELO host name looks dynamic', bareLf: false };
    const ok = { code: 250, enhanced: null, lines: ['250 mx1.example.com'], text: 'mx1.example.com', bareLf: false };
    second!.greeting = { command: 'HELO', reply: ok, ehloReply: refused };
    const f = hostFacts(h);
    expect(f.ehlo).toBe(true);
    expect(f.helo).toBe(false);
    expect(f.greeting).toBe('EHLO');
  });
});
