import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbes, type RunOptions } from '../../src/probe/run.js';
import { createResolver } from '../../src/dns/resolver.js';
import { startResponder, type ResponderHandle } from '../../src/lab/smtp-responder.js';
import { startDnsServer, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import { parseTargetLine, type Target } from '../../src/targets/parse.js';
import type { HostResult, TargetResult } from '../../src/results.js';

let mx: ResponderHandle;
let dns: DnsServerHandle;
beforeAll(async () => {
  mx = await startResponder({ hostname: 'mx.shared.test', banner: () => ({ code: 220, lines: ['mx.shared.test ESMTP'] }) }, { host: '127.0.0.1' });
  dns = await startDnsServer(
    zone({
      'one.test': { MX: [{ exchange: 'mx.shared.test', priority: 10 }] },
      'two.test': { MX: [{ exchange: 'mx.shared.test', priority: 10 }] },
      'mx.shared.test': { A: ['127.0.0.1'] },
      'implicit.test': { A: ['127.0.0.1'] },
      'nullmx.test': { MX: [{ exchange: '.', priority: 0 }] },
    }),
  );
});
afterAll(async () => {
  await mx.close();
  await dns.close();
});

const options = (over: Partial<RunOptions> = {}): RunOptions => ({
  stopAfter: 'starttls',
  starttls: true,
  implicitTls: false,
  timeoutMs: 3000,
  deadlineMs: 10000,
  retries: 0,
  retryGreylistSec: null,
  transcript: true,
  port: mx.port,
  concurrency: 5,
  hostGapMs: 0,
  helo: 'probe.example.test',
  identityKinds: ['primary'],
  customIdentities: [],
  sources: [null],
  mailFrom: null,
  rcpt: null,
  mismatchName: null,
  family: 4,
  ...over,
});

async function* targets(...lines: string[]): AsyncGenerator<Target> {
  for (const [i, l] of lines.entries()) {
    const r = parseTargetLine(l, `argv:${i + 1}`);
    if (r.ok !== true) throw new Error(`bad target ${l}`);
    yield r.target;
  }
}

async function run(opts: RunOptions, ...lines: string[]): Promise<{ hosts: HostResult[]; targets: TargetResult[] }> {
  const hosts: HostResult[] = [];
  const done: TargetResult[] = [];
  await runProbes(targets(...lines), opts, { resolver: createResolver({ servers: [dns.address] }) }, {
    host: (h) => void hosts.push(h),
    target: (t) => void done.push(t),
  });
  return { hosts, targets: done };
}

describe('runProbes', () => {
  it('follows MX, implicit MX (RFC 5321 §5.1) and reports a null MX (RFC 7505) without probing it', async () => {
    const before = mx.connections();
    const { targets: t } = await run(options({ shareHosts: false }), 'one.test', 'implicit.test', 'nullmx.test');
    const by = (d: string) => t.find((x) => x.domain === d);
    expect(by('one.test')?.mx).toEqual([{ exchange: 'mx.shared.test', priority: 10, implicit: false }]);
    expect(by('implicit.test')?.mx).toEqual([{ exchange: 'implicit.test', priority: 0, implicit: true }]);
    expect(by('nullmx.test')?.dns.status).toBe('null-mx');
    expect(by('nullmx.test')?.hosts).toEqual([]);
    expect(mx.connections() - before).toBe(2);
  });

  it('probes a host shared by several domains once when the session cannot differ', async () => {
    const before = mx.connections();
    const { hosts } = await run(options(), 'one.test', 'two.test');
    expect(mx.connections() - before).toBe(1);
    expect(hosts).toHaveLength(2);
    expect(hosts.filter((h) => h.reusedFrom !== undefined)).toHaveLength(1);
    expect(hosts.map((h) => h.probes[0]?.banner?.text)).toEqual(['mx.shared.test ESMTP', 'mx.shared.test ESMTP']);
  });

  it('probes it again per domain when the envelope names the domain (stop-after rcpt) or when asked to', async () => {
    const before = mx.connections();
    const rcpt = await run(options({ stopAfter: 'rcpt' }), 'one.test', 'two.test');
    expect(mx.connections() - before).toBe(2);
    expect(rcpt.hosts.map((h) => h.probes[0]?.rcpt?.code)).toEqual([250, 250]);
    const mid = mx.connections();
    await run(options({ shareHosts: false }), 'one.test', 'two.test');
    expect(mx.connections() - mid).toBe(2);
  });
});
