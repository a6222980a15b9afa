/**
 * Issue 12 B4: "accepted" for identities that were never judged. A Postfix-like receiver (HELO
 * restrictions only at RCPT) through the built CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { startResponder, type ResponderHandle } from '../../src/lab/smtp-responder.js';
import type { RunResult } from '../../src/results.js';

let mx: ResponderHandle;
beforeAll(async () => {
  mx = await startResponder(
    {
      hostname: 'mx.nj.test',
      banner: () => ({ code: 220, lines: ['mx.nj.test ESMTP'] }),
      // smtpd_delay_reject = yes: the HELO restriction speaks only at RCPT.
      rcpt: (sess) => (sess.helo === 'localhost' ? { code: 504, enhanced: '5.5.2', lines: ['<localhost>: Helo command rejected: need fully-qualified hostname'] } : null),
    },
    { host: '127.0.0.1' },
  );
});
afterAll(async () => {
  await mx.close();
});

const base = () => ['probe', `127.0.0.1:${mx.port}`, '--format', 'json', '--quiet', '--helo', 'probe.example.test', '--host-gap', '0', '--no-alignment', '--rcpt', 'postmaster@nj.test'];

describe('not-judged (built CLI)', () => {
  it('--identities localhost alone goes to RCPT and is rejected there, not "accepted" at starttls', async () => {
    const r = await runCliProcess([...base(), '--identities', 'localhost']);
    const run = JSON.parse(r.stdout) as RunResult;
    const p = run.targets[0]?.hosts[0]?.probes[0];
    expect(run.options['stopAfter']).toBe('rcpt');
    expect(p?.verdict).toMatchObject({ outcome: 'rejected', stage: 'rcpt', code: 504, cause: 'helo-not-fqdn' });
  });

  it('--stop-after banner: every identity is not-judged; the summary counts no acceptance', async () => {
    const r = await runCliProcess([...base(), '--identities', 'primary,localhost,short', '--stop-after', 'banner']);
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout) as RunResult;
    const probes = run.targets[0]?.hosts[0]?.probes ?? [];
    expect(probes).toHaveLength(3);
    for (const p of probes) expect(p.verdict.outcome).toBe('not-judged');
    expect(run.summary.outcomes['accepted'] ?? 0).toBe(0);
    expect(run.summary.outcomes['not-judged']).toBe(3);
    for (const k of ['primary', 'localhost', 'short']) {
      expect(run.summary.identities[k]).toMatchObject({ accepted: 0, notJudged: 1, acceptanceRate: null });
    }
  });

  it('--stop-after starttls with a test identity: not-judged, while the primary keeps its greeting verdict', async () => {
    const r = await runCliProcess([...base(), '--identities', 'primary,localhost', '--stop-after', 'starttls']);
    const run = JSON.parse(r.stdout) as RunResult;
    const [primary, localhost] = run.targets[0]?.hosts[0]?.probes ?? [];
    expect(primary?.verdict.outcome).toBe('accepted');
    expect(localhost?.verdict.outcome).toBe('not-judged');
  });

  it('the table shows not-judged, never ok, for a banner-only run', async () => {
    const r = await runCliProcess([...base().filter((a) => a !== 'json' && a !== '--format'), '--identities', 'primary,localhost', '--stop-after', 'banner']);
    const row = r.stdout.split('\n').find((l) => l.startsWith(`127.0.0.1:${mx.port}`)) ?? '';
    expect(row).toMatch(/not-judged.*not-judged/);
    expect(row).not.toMatch(/\bok\b/);
  });
});
