/**
 * The DNS audit rules (no-ptr, fcrdns-fail, banner-mismatch) on a real run: the built CLI, a real
 * smtp-server receiver and real UDP resolvers on loopback.
 * - A resolver that answers REFUSED, or never answers, left those rules unjudged and the run ended
 *   with exit 0, as if the audit had passed. Now: exit 1 and "not judged" on stderr, never 0.
 * - banner-mismatch never fired on a real run: receiver alignment reports a banner that is not the
 *   PTR name as `warn`, and the rule only read `fail` (which only a hand-made fixture carried).
 * Controls: a working zone where every rule holds gives exit 0, so the cases above can fail.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import { startPolicyServer, type PolicyServer } from '../helpers/smtp-server.js';

let refusing: Socket;
let silent: Socket;
let good: DnsServerHandle;
let ptrNamed: PolicyServer;
let otherNamed: PolicyServer;
let dir: string;
const addr = (s: Socket) => `127.0.0.1:${s.address().port}`;
const PTR = 'ptr.zone.test';

function bind(onMessage: (s: Socket, msg: Buffer, rinfo: { address: string; port: number }) => void): Promise<Socket> {
  const s = createSocket('udp4');
  s.on('message', (m, r) => onMessage(s, m, r));
  return new Promise((res) => s.bind(0, '127.0.0.1', () => res(s)));
}

beforeAll(async () => {
  refusing = await bind((s, msg, r) => {
    const q = dnsPacket.decode(msg);
    // RCODE 5 REFUSED (RFC 1035 §4.1.1) for every question.
    s.send(dnsPacket.encode({ id: q.id, type: 'response', flags: dnsPacket.RECURSION_DESIRED | 5, questions: q.questions ?? [] } as dnsPacket.Packet), r.port, r.address);
  });
  silent = await bind(() => {});
  // 127.0.0.1 <-> ptr.zone.test, forward-confirmed; the HELO is the same name.
  good = await startDnsServer(withPtr(zone({ [PTR]: { A: ['127.0.0.1'], TXT: ['v=spf1 a -all'] } }), '127.0.0.1', PTR), { host: '127.0.0.1', port: 0 });
  ptrNamed = await startPolicyServer({ name: PTR, tls: false });
  otherNamed = await startPolicyServer({ name: 'mx.other-name.test', tls: false });
  dir = mkdtempSync(join(tmpdir(), 'mxprobe-policy-dns-'));
});
afterAll(async () => {
  refusing.close();
  silent.close();
  await good.close();
  await ptrNamed.close();
  await otherNamed.close();
  rmSync(dir, { recursive: true, force: true });
});

const probe = (server: PolicyServer, resolver: string, rules: string, extra: string[] = []) =>
  runCliProcess(['probe', `${server.host}:${server.port}`, '--helo', PTR, '--resolver', resolver, '--dns-timeout', '400', '--quiet', '--fail-on', rules, '--format', 'json', ...extra]);

describe('DNS audit rules with a dead resolver: inconclusive, never a pass', () => {
  for (const [name, resolver] of [['refused', () => addr(refusing)], ['silent', () => addr(silent)]] as const) {
    it(`${name} resolver: --fail-on no-ptr,fcrdns-fail,banner-mismatch exits 1 and says "not judged"`, async () => {
      const r = await probe(ptrNamed, resolver(), 'no-ptr,fcrdns-fail,banner-mismatch');
      expect(r.code, r.stderr).toBe(1);
      for (const rule of ['no-ptr', 'fcrdns-fail', 'banner-mismatch']) expect(r.stderr).toMatch(new RegExp(`^policy ${rule}: not judged: .*DNS lookup failed: `, 'm'));
      // The banner is not compared with a PTR nobody saw ("PTR ... is (none)" was printed before).
      const checks = (JSON.parse(r.stdout) as { targets: Array<{ hosts: Array<{ alignment: { checks: Array<{ id: string; status: string; detail: string }> } }> }> }).targets[0]!.hosts[0]!.alignment.checks;
      expect(checks.find((c) => c.id === 'banner-name')).toMatchObject({ status: 'skip' });
      expect(JSON.stringify(checks)).not.toMatch(/is \(none\)/);
    }, 30_000);
  }

  it('report --policy of such a results file: exit 1, "not judged"', async () => {
    const r = await probe(ptrNamed, addr(refusing), 'no-ptr');
    const file = join(dir, 'dead.json');
    writeFileSync(file, r.stdout);
    const policy = join(dir, 'policy');
    writeFileSync(policy, 'no-ptr\n');
    const rep = await runCliProcess(['report', file, '--policy', policy]);
    expect(rep.code, rep.stderr).toBe(1);
    expect(rep.stderr).toMatch(/^policy no-ptr: not judged: .*DNS lookup failed/m);
  }, 30_000);
});

describe('banner-mismatch on a real run', () => {
  it('a banner name that is not the PTR name violates it (exit 3)', async () => {
    const r = await probe(otherNamed, good.address, 'banner-mismatch');
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^policy banner-mismatch: .*receiver banner-name: banner name mx\.other-name\.test matches neither the PTR nor the MX name \(PTR of 127\.0\.0\.1 is ptr\.zone\.test\)/m);
  }, 30_000);

  it('control: the banner is the PTR name and the DNS works: every DNS rule holds, exit 0', async () => {
    const r = await probe(ptrNamed, good.address, 'no-ptr,fcrdns-fail,banner-mismatch');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/policy/);
  }, 30_000);
});

describe('identity rules that nothing judged', () => {
  it('every cell of the kind not-judged (--stop-after ehlo): exit 1, "not judged", never 0', async () => {
    for (const rule of ['identity-rejected:localhost', 'acceptance-below:localhost:50']) {
      const r = await probe(ptrNamed, good.address, rule, ['--identities', 'localhost', '--stop-after', 'ehlo']);
      expect(r.code, `${rule}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^policy ${rule.split(':')[0]}: not judged: .*localhost: 1 probe\\(s\\) stopped before the receiver judged the HELO`, 'm'));
    }
  }, 30_000);

  it('a rule over a kind the run does not probe is a usage error before any connection', async () => {
    const before = ptrNamed.sessions.length;
    for (const rule of ['identity-rejected:localhost', 'acceptance-below:short:50', 'identity-rejected:custom']) {
      const r = await probe(ptrNamed, good.address, rule);
      expect(r.code, `${rule}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/this run probes no \S+ identity .*could never fire/);
    }
    expect(ptrNamed.sessions.length).toBe(before);
  }, 30_000);

  it('control: the kind probed to RCPT and accepted: exit 0; rejected: exit 3', async () => {
    const ok = await probe(ptrNamed, good.address, 'identity-rejected:localhost,acceptance-below:localhost:50', ['--identities', 'localhost']);
    expect(ok.code, ok.stderr).toBe(0);
    const refusing = await startPolicyServer({ name: PTR, tls: false, onRcpt: (_a, s) => (s.hostNameAppearsAs === 'localhost' ? { code: 550, message: '5.7.1 Helo command rejected: need fully-qualified hostname' } : null) });
    try {
      const bad = await probe(refusing, good.address, 'identity-rejected:localhost', ['--identities', 'localhost']);
      expect(bad.code, bad.stderr).toBe(3);
    } finally {
      await refusing.close();
    }
  }, 30_000);
});

describe('host rules over facts the run never observes', () => {
  it('are usage errors before any connection (they passed every run with exit 0)', async () => {
    const before = ptrNamed.sessions.length;
    const cases: Array<[string, string[]]> = [
      ['cert-invalid', ['--no-starttls']],
      ['cert-expires-within:9999d', ['--stop-after', 'ehlo']],
      ['tls-below:1.3', ['--stop-after', 'banner']],
      ['cert-name-mismatch', ['--no-starttls']],
      ['starttls-broken', ['--no-starttls']],
      ['no-starttls', ['--stop-after', 'banner']],
      ['auth-before-tls', ['--stop-after', 'banner']],
      ['no-ptr', ['--no-alignment']],
      ['fcrdns-fail', ['--no-alignment']],
      ['banner-mismatch', ['--no-alignment']],
    ];
    for (const [rule, flags] of cases) {
      const r = await probe(ptrNamed, good.address, rule, flags);
      expect(r.code, `${rule} ${flags.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^mxprobe: ${rule.split(':')[0]} needs `, 'm'));
      expect(r.stderr).not.toMatch(/known rules:/);
    }
    expect(ptrNamed.sessions.length).toBe(before);
  }, 90_000);

  it('control: the same rules on a run that observes the facts still fire (self-signed certificate: exit 3)', async () => {
    const tls = await startPolicyServer({ name: PTR });
    try {
      const r = await probe(tls, good.address, 'cert-invalid,no-starttls');
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/^policy cert-invalid: .*certificate did not verify/m);
      // --stop-after ehlo still judges the EHLO rules (this server offers AUTH in plaintext).
      const ehloOnly = await probe(tls, good.address, 'no-starttls,auth-before-tls', ['--stop-after', 'ehlo']);
      expect(ehloOnly.code, ehloOnly.stderr).toBe(3);
      expect(ehloOnly.stderr).toMatch(/^policy auth-before-tls: .*offered before TLS/m);
      expect(ehloOnly.stderr).not.toMatch(/policy no-starttls/);
    } finally {
      await tls.close();
    }
  }, 30_000);
});

describe('report --policy over results recorded without what the rule needs', () => {
  it('is a usage error naming the file (it passed with exit 0); control: the rule still fires on a run that saw TLS', async () => {
    const tls = await startPolicyServer({ name: PTR });
    try {
      const policy = join(dir, 'cert.policy');
      writeFileSync(policy, 'cert-invalid\n');
      const plain = join(dir, 'plain.json');
      const withTls = join(dir, 'tls.json');
      const a = await runCliProcess(['probe', `${tls.host}:${tls.port}`, '--helo', PTR, '--resolver', good.address, '--quiet', '--no-starttls', '--format', 'json', '-o', plain]);
      expect(a.code, a.stderr).toBe(0);
      const b = await runCliProcess(['probe', `${tls.host}:${tls.port}`, '--helo', PTR, '--resolver', good.address, '--quiet', '--format', 'json', '-o', withTls]);
      expect(b.code, b.stderr).toBe(0);
      const refused = await runCliProcess(['report', plain, '--policy', policy]);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toMatch(/plain\.json was recorded without what the rule needs: cert-invalid needs a TLS session/);
      const fired = await runCliProcess(['report', withTls, '--policy', policy]);
      expect(fired.code, fired.stderr).toBe(3);
      expect(fired.stderr).toMatch(/^policy cert-invalid: /m);
    } finally {
      await tls.close();
    }
  }, 60_000);
});
