/**
 * Proof of the lab itself, with independent tools (swaks, dig): if these fail, the mxprobe
 * assertions in the other test/mta files mean nothing.
 */
import { describe, expect, it } from 'vitest';
import { LAB_ADDRESSES as A, LAB_NAMES as N } from './lab.js';
import { parseRcptEvents, parseSessionEnds } from './postfix-log.js';
import { ehloKeywords, parseSwaks } from './swaks.js';
import { SKIP_LAB, useLab } from './suite.js';

describe.skipIf(SKIP_LAB)('real-MTA lab (Postfix + nsd in a network namespace)', () => {
  const ctx = useLab('lab');

  async function dig(...args: string[]): Promise<string[]> {
    const r = await ctx.lab.exec('dig', [`@${A.dns}`, '+short', '+time=2', '+tries=1', ...args], { timeoutMs: 10_000 });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  }

  it('nsd answers for the forward and reverse zones', async () => {
    expect(await dig('MX', N.domain)).toEqual([`10 ${N.mx}.`]);
    expect(await dig('A', N.mx)).toEqual([A.mx]);
    expect(await dig('MX', N.strictDomain)).toEqual([`10 ${N.strictDomain}.`]);
    expect(await dig('A', N.strictDomain)).toEqual([A.strict]);
    expect(await dig('-x', A.good)).toEqual([`${N.good}.`]);
    expect(await dig('A', N.good)).toEqual([A.good]);
    expect(await dig('-x', A.other)).toEqual([`${N.other}.`]);
    expect(await dig('A', N.other)).toEqual(['127.0.0.99']);
    expect(await dig('-x', A.noPtr)).toEqual([]);
    expect(await dig('TXT', N.good)).toEqual(['"v=spf1 ip4:127.0.0.10 -all"']);
    expect(await dig('TXT', N.domain)).toEqual(['"v=spf1 ip4:127.0.0.10 -all"']);
  });

  it('the namespace resolver is the lab DNS (no @server needed)', async () => {
    const r = await ctx.lab.exec('dig', ['+short', '+time=2', '+tries=1', 'A', N.mx], { timeoutMs: 10_000 });
    expect(r.stdout.trim()).toBe(A.mx);
    // The 127.0.0.12 PTR lookup is a real NXDOMAIN, not a timeout.
    const nx = await ctx.lab.exec('dig', ['+time=2', '+tries=1', '-x', A.noPtr], { timeoutMs: 10_000 });
    expect(nx.stdout).toMatch(/status: NXDOMAIN/);
  });

  it('swaks sees Postfix banner, EHLO keywords and STARTTLS', async () => {
    const r = await ctx.lab.exec('swaks', ['--server', A.mx, '--local-interface', A.good, '--quit-after', 'EHLO', '--helo', N.good, '--tls'], {
      timeoutMs: 20_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const t = parseSwaks(r.stdout);
    expect(t.banner).toEqual([`220 ${N.mx} ESMTP lab`]);
    expect(t.ehlo[0]).toBe(`250-${N.mx}`);
    const plain = ehloKeywords(t.ehlo);
    expect(plain).toHaveProperty('STARTTLS', '');
    expect(plain).toHaveProperty('SIZE', '10240000');
    expect(t.tlsCipher).toMatch(/^TLSv1\.[23]:/);
    // RFC 3207 §4.2: STARTTLS is not offered again inside TLS.
    const tls = ehloKeywords(t.ehloTls);
    expect(tls).not.toHaveProperty('STARTTLS');
    expect(Object.keys(tls).length).toBeGreaterThan(3);
  });

  it('Postfix sees each source address with the DNS identity the zones give it', async () => {
    const mark = ctx.lab.logMark();
    for (const src of [A.good, A.other, A.noPtr]) {
      const r = await ctx.lab.exec('swaks', ['--server', A.mx, '--local-interface', src, '--quit-after', 'EHLO', '--helo', N.good], { timeoutMs: 20_000 });
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    await ctx.lab.waitForLog(/disconnect from \S+\[127\.0\.0\.12\]/, mark);
    const ends = parseSessionEnds(ctx.lab.logSince(mark));
    const byIp = Object.fromEntries(ends.map((e) => [e.clientIp, e.clientName]));
    // Postfix names a client only when PTR and A agree (FCrDNS); otherwise "unknown".
    expect(byIp).toEqual({ [A.good]: N.good, [A.other]: 'unknown', [A.noPtr]: 'unknown' });
    expect(ctx.lab.logSince(mark)).toContain(`hostname ${N.other} does not resolve to address ${A.other}`);
  });

  it('Postfix restrictions answer at RCPT as configured (helo on .25, client hostname on .26)', async () => {
    const mark = ctx.lab.logMark();
    const cases: Array<[server: string, source: string, helo: string, reply: RegExp]> = [
      [A.mx, A.good, N.good, /^250 2\.1\.5 /],
      [A.mx, A.good, 'localhost', /^504 5\.5\.2 <localhost>: Helo command rejected: need fully-qualified hostname$/],
      [A.mx, A.good, 'nope.example.test', /^450 4\.7\.1 <nope\.example\.test>: Helo command rejected: Host not found$/],
      [A.strict, A.good, N.good, /^250 2\.1\.5 /],
      [A.strict, A.noPtr, N.good, /^450 4\.7\.25 Client host rejected: cannot find your hostname, \[127\.0\.0\.12\]$/],
      [A.strict, A.other, N.good, /^450 4\.7\.25 Client host rejected: cannot find your hostname, \[127\.0\.0\.11\]$/],
    ];
    for (const [server, source, helo, reply] of cases) {
      const r = await ctx.lab.exec(
        'swaks',
        ['--server', server, '--local-interface', source, '--helo', helo, '--from', '', '--to', 'postmaster@example.test', '--quit-after', 'RCPT'],
        { timeoutMs: 20_000 },
      );
      const server_ = parseSwaks(r.stdout).server;
      expect(server_.at(-2) ?? '', `${server} ${source} ${helo}\n${r.stdout}`).toMatch(reply);
    }
    await ctx.lab.waitForLog(/disconnect from \S+\[127\.0\.0\.11\]/, mark);
    const log = ctx.lab.logSince(mark);
    // Every session reached RCPT (INFO record), none sent DATA.
    expect(parseRcptEvents(log).filter((e) => e.kind === 'info')).toHaveLength(cases.length);
    for (const end of parseSessionEnds(log)) expect(end.counters).not.toHaveProperty('data');
  });
});
