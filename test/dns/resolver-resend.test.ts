/**
 * Lost DNS exchanges (issue 13 part 3, session 10): one lost UDP datagram, or an answer c-ares gave
 * up on before our deadline, must not become a "temporary DNS failure" for the whole run. The
 * resolver asks again, on another lane (a fresh query id and socket), when the first query has had
 * no answer after a third of the deadline, or when c-ares ends it early; the first answer wins,
 * and two failures are still a failure. Real UDP servers on 127.0.0.1 (node:dgram + dns-packet).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { createResolver } from '../../src/dns/resolver.js';

type Reply = { rcode?: 'NOERROR' | 'SERVFAIL'; a?: string; delayMs?: number } | 'drop';

/**
 * A UDP DNS server whose behaviour for the n-th query (1-based) of a (type, name) is given by
 * `plan(n, name, type)`. Counts every query it receives.
 */
async function planServer(plan: (n: number, name: string, type: string) => Reply): Promise<{ address: string; seen: Map<string, number>; close(): Promise<void> }> {
  const seen = new Map<string, number>();
  const sock: Socket = createSocket('udp4');
  sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (question === undefined) return;
    const key = `${question.type} ${question.name.toLowerCase()}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const r = plan(n, question.name.toLowerCase(), question.type);
    if (r === 'drop') return;
    const reply = dnsPacket.encode({
      id: q.id,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (r.rcode === 'SERVFAIL' ? 2 : 0),
      questions: [question],
      answers: r.a !== undefined && question.type === 'A' ? [{ name: question.name, type: 'A', ttl: 60, data: r.a }] : [],
    });
    const send = (): void => sock.send(reply, rinfo.port, rinfo.address);
    if (r.delayMs) setTimeout(send, r.delayMs);
    else send();
  });
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  return {
    address: `127.0.0.1:${sock.address().port}`,
    seen,
    close: () => new Promise<void>((res) => sock.close(() => res())),
  };
}

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});
async function server(plan: (n: number, name: string, type: string) => Reply) {
  const s = await planServer(plan);
  servers.push(s);
  return s;
}

describe('resolver: a lost exchange is asked again within the deadline', () => {
  it('a server that drops the first query of each name: every name is answered, not a timeout', async () => {
    const s = await server((n) => (n === 1 ? 'drop' : { a: '192.0.2.1' }));
    const r = createResolver({ servers: [s.address], timeoutMs: 1_500, cnames: false });
    const names = ['a.drop.test', 'b.drop.test', 'c.drop.test'];
    const answers = await Promise.all(names.map((n) => r.a(n)));
    for (const a of answers) expect(a).toEqual({ status: 'ok', records: ['192.0.2.1'] });
    for (const n of names) expect(s.seen.get(`A ${n}`)).toBe(2);
    expect(r.stats().resent).toBe(3);
  });

  it('nothing answers: still a timeout (never an answer), after a bounded number of queries', async () => {
    const s = await server(() => 'drop');
    const r = createResolver({ servers: [s.address], timeoutMs: 900, cnames: false });
    const t0 = Date.now();
    expect(await r.a('gone.test')).toEqual({ status: 'timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(850);
    const asked = s.seen.get('A gone.test') ?? 0;
    expect(asked).toBeGreaterThanOrEqual(2);
    expect(asked).toBeLessThanOrEqual(3);
  });

  it('the first answer wins; a late answer to the first query changes nothing', async () => {
    // First query: answered 192.0.2.1 after 800 ms (past the resend at 500 ms); the second: at once, 192.0.2.2.
    const s = await server((n) => (n === 1 ? { a: '192.0.2.1', delayMs: 800 } : { a: '192.0.2.2' }));
    const r = createResolver({ servers: [s.address], timeoutMs: 1_500, cnames: false });
    expect(await r.a('late.test')).toEqual({ status: 'ok', records: ['192.0.2.2'] });
    await new Promise((res) => setTimeout(res, 500)); // the late answer arrives meanwhile
    expect(await r.a('late.test')).toEqual({ status: 'ok', records: ['192.0.2.2'] });
    expect(s.seen.get('A late.test')).toBe(2);
  });

  it('both queries fail: a failure, not an answer', async () => {
    // First: SERVFAIL after 700 ms (the second is in flight by then); second: dropped.
    const s = await server((n) => (n === 1 ? { rcode: 'SERVFAIL', delayMs: 700 } : 'drop'));
    const r = createResolver({ servers: [s.address], timeoutMs: 1_500, cnames: false });
    const a = await r.a('bad.test');
    expect(['servfail', 'timeout']).toContain(a.status);
  });

  it('a failure while the other query is still out waits for it: SERVFAIL then an answer is the answer', async () => {
    const s = await server((n) => (n === 1 ? { rcode: 'SERVFAIL', delayMs: 700 } : { a: '192.0.2.3', delayMs: 400 }));
    const r = createResolver({ servers: [s.address], timeoutMs: 1_500, cnames: false });
    expect(await r.a('mixed.test')).toEqual({ status: 'ok', records: ['192.0.2.3'] });
  });

  it('a quick SERVFAIL is final at once, as before (no second query)', async () => {
    const s = await server(() => ({ rcode: 'SERVFAIL' }));
    const r = createResolver({ servers: [s.address], timeoutMs: 1_500, cnames: false });
    expect(await r.a('sf.test')).toEqual({ status: 'servfail' });
    await new Promise((res) => setTimeout(res, 700));
    expect(s.seen.get('A sf.test')).toBe(1);
  });

  it('an answer c-ares gave up on early (event loop busy longer than its learned per-try timeout) is asked again', async () => {
    // c-ares 1.34 (ares_metrics.c) times a try out after 5 x the average latency it has seen on
    // the channel, at least 250 ms, whatever timeout it was given; Node checks those timeouts on a
    // 1 s timer before it reads the socket. A loaded machine that keeps the loop busy for over a
    // second turns an answer waiting in the socket buffer into ETIMEOUT.
    const s = await server(() => ({ a: '192.0.2.4' }));
    const r = createResolver({ servers: [s.address], timeoutMs: 4_000, cnames: false });
    for (let i = 0; i < 5; i++) expect((await r.a(`warm${i}.test`)).status).toBe('ok');
    const p = r.a('busy.test');
    const end = Date.now() + 1_500;
    while (Date.now() < end) {
      // the event loop is busy, as under valgrind or a load average of 20
    }
    expect(await p).toEqual({ status: 'ok', records: ['192.0.2.4'] });
    expect(s.seen.get('A busy.test')).toBe(2);
  });
});

describe('resolver: a lost send does not outlive its answer', () => {
  it('a process whose only lookup was answered by the resend exits at once, not when c-ares gives up on the lost send', async () => {
    // The BUILT resolver in a child process (as test/helpers/cli.ts runs the CLI): the question is
    // whether anything keeps its event loop alive. The first send is dropped; the resend at
    // +1000 ms is answered; c-ares would hold the lost send until its own timeout (the 3000 ms
    // deadline here) unless its lane is cancelled.
    const { existsSync } = await import('node:fs');
    const { spawn } = await import('node:child_process');
    const dist = new URL('../../dist/dns/resolver.js', import.meta.url);
    if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
    const s = await server((n) => (n === 1 ? 'drop' : { a: '192.0.2.9' }));
    const script = `
      const { createResolver } = await import(${JSON.stringify(dist.href)});
      const r = createResolver({ servers: [${JSON.stringify(s.address)}], timeoutMs: 3000, cnames: false });
      const t0 = Date.now();
      const a = await r.a('exit.test');
      const answeredAt = Date.now() - t0;
      process.on('exit', () => process.stdout.write(JSON.stringify({ a, answeredAt, exitAt: Date.now() - t0 })));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((res) => child.on('close', res));
    const r = JSON.parse(out) as { a: unknown; answeredAt: number; exitAt: number };
    expect(r.a).toEqual({ status: 'ok', records: ['192.0.2.9'] });
    // Answered by the resend (after a third of the deadline), and gone well before the deadline.
    expect(r.answeredAt).toBeGreaterThanOrEqual(950);
    expect(r.exitAt - r.answeredAt).toBeLessThan(1_000);
    expect(s.seen.get('A exit.test')).toBe(2);
  });
});
