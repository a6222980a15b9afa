import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintFleet } from '../../src/analysis/fleet.js';
import { createResolver } from '../../src/dns/resolver.js';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

let server: DnsServerHandle;
let resolver: ReturnType<typeof createResolver>;

beforeAll(async () => {
  let z = zone({
    'a.example.test': { A: ['127.0.0.10'], TXT: ['v=spf1 a -all'] },
    'b.example.test': { A: ['127.0.0.11'], TXT: ['v=spf1 a -all'] },
  });
  z = withPtr(z, '127.0.0.10', 'a.example.test');
  z = withPtr(z, '127.0.0.11', 'b.example.test');
  server = await startDnsServer(z, { host: '127.0.0.1', port: 0 });
  resolver = createResolver({ servers: [server.address], timeoutMs: 1000 });
});
afterAll(async () => server.close());

describe('lintFleet', () => {
  it('passes a consistent fleet', async () => {
    const r = await lintFleet(['# outbound', '127.0.0.10 a.example.test', '', '127.0.0.11 b.example.test  # second'], 'fleet.txt', resolver);
    expect(r.errors).toEqual([]);
    expect(r.issues).toEqual([]);
    expect(r.rows.map((x) => x.origin)).toEqual(['fleet.txt:2', 'fleet.txt:4']);
    expect(r.failed).toBe(false);
  });

  it('finds inconsistencies and parse errors with file:line', async () => {
    async function* lines(): AsyncIterable<string> {
      yield '127.0.0.10 a.example.test';
      yield '127.0.0.10 b.example.test';
      yield '127.0.0.11 [127.0.0.11]';
      yield 'not-an-ip a.example.test';
      yield 'only-one-field';
    }
    const r = await lintFleet(lines(), 'hosts.txt', resolver);
    expect(r.errors).toEqual([
      { origin: 'hosts.txt:4', line: 'not-an-ip a.example.test', reason: '"not-an-ip" is not an IP address' },
      { origin: 'hosts.txt:5', line: 'only-one-field', reason: 'expected "source-ip helo-name"' },
    ]);
    const kinds = r.issues.map((i) => i.kind);
    expect(kinds).toContain('same-ip-different-names');
    expect(kinds).toContain('name-not-ptr');
    expect(kinds).toContain('mixed-forms');
    const same = r.issues.find((i) => i.kind === 'same-ip-different-names');
    expect(same?.origins).toEqual(['hosts.txt:1', 'hosts.txt:2']);
    expect(r.issues.find((i) => i.kind === 'name-not-ptr')?.detail).toBe('PTR of 127.0.0.10 is a.example.test; HELO is b.example.test');
    expect(r.failed).toBe(true);
  });
});
