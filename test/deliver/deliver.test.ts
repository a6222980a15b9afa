import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deliver, parseVia } from '../../src/deliver/deliver.js';
import { createResolver } from '../../src/dns/resolver.js';
import { CommandUnsafeError, UsageError } from '../../src/errors.js';
import { inspectMessage } from '../../src/analysis/inspect.js';
import { startDnsServer, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import { header, startSmtp, type SmtpFixture } from './smtp-fixture.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function smtp(...args: Parameters<typeof startSmtp>): Promise<SmtpFixture> {
  const s = await startSmtp(...args);
  cleanup.push(() => s.close());
  return s;
}

async function dns(records: Parameters<typeof zone>[0]): Promise<DnsServerHandle> {
  const d = await startDnsServer(zone(records));
  cleanup.push(() => d.close());
  return d;
}

// --via with an IP never consults DNS; a resolver pointed at a closed loopback port proves it.
const noDns = createResolver({ servers: ['127.0.0.1:9'], timeoutMs: 500 });

describe('deliver --via', () => {
  it('sends exactly one message with the chosen HELO over STARTTLS and reports the queue id', async () => {
    const s = await smtp();
    const logged: string[] = [];
    const r = await deliver(
      { to: 'seed@example.test', helo: 'mail.sender.example.test', via: `127.0.0.1:${s.port}` },
      { resolver: noDns, log: (l) => logged.push(l) },
    );
    expect(s.messages).toHaveLength(1);
    expect(s.connections).toHaveLength(1);
    const got = s.messages[0]!;
    expect(got.heloSeen).toBe('mail.sender.example.test');
    expect(got.mailFrom).toBe('postmaster@mail.sender.example.test');
    expect(got.rcptTo).toEqual(['seed@example.test']);
    expect(got.secure).toBe(true);

    const m = r.messages[0]!;
    expect(r.messages).toHaveLength(1);
    expect(m.outcome).toBe('delivered');
    expect(m.finalReply).toBe('250 Ok: queued as 4XyzQ1Hd7Gz9sWZ');
    expect(m.queueId).toEqual({ id: '4XyzQ1Hd7Gz9sWZ', style: 'postfix' });
    expect(m.token).toMatch(/^[0-9a-f]{32}$/);
    expect(header(got.raw, 'Message-ID')).toBe(m.messageId);
    expect(header(got.raw, 'Date')).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(header(got.raw, 'Subject')).toContain(m.token);
    expect(header(got.raw, 'X-Mxprobe-Token')).toBe(m.token);
    expect(header(got.raw, 'X-Mxprobe-Helo')).toBe('mail.sender.example.test');

    // The transcript came through nodemailer's logger: our EHLO, STARTTLS, the DATA dialogue.
    const t = m.attempts[0]!.transcript;
    expect(t.some((l) => l.dir === 'C' && l.line === 'EHLO mail.sender.example.test')).toBe(true);
    expect(t.some((l) => l.dir === 'C' && l.line === 'STARTTLS')).toBe(true);
    expect(t.some((l) => l.dir === 'S' && l.line.startsWith('220'))).toBe(true);
    expect(t.some((l) => l.dir === 'C' && l.line === 'MAIL FROM:<postmaster@mail.sender.example.test>')).toBe(true);
    expect(m.attempts[0]!.local?.address).toBe('127.0.0.1');

    // The plan (with the message) was logged before the connection line.
    const planAt = logged.findIndex((l) => l.includes(`token ${m.token}`));
    const connectAt = logged.findIndex((l) => l.startsWith('connecting to'));
    expect(planAt).toBeGreaterThanOrEqual(0);
    expect(connectAt).toBeGreaterThan(planAt);

    // What inspect reads back from the message we sent (no Received: yet) is our own identity.
    const seen = inspectMessage(got.raw);
    expect(seen.token).toBe(m.token);
    expect(seen.heloSent).toBe('mail.sender.example.test');
  });

  it('binds --source and records it in the message', async () => {
    const s = await smtp();
    const r = await deliver(
      { to: 'seed@example.test', helo: 'src.example.test', via: `127.0.0.1:${s.port}`, source: '127.0.0.10', from: 'probe@sender.example.test' },
      { resolver: noDns },
    );
    expect(r.messages[0]?.outcome).toBe('delivered');
    expect(s.messages[0]?.remoteAddress).toBe('127.0.0.10');
    expect(s.messages[0]?.mailFrom).toBe('probe@sender.example.test');
    expect(header(s.messages[0]!.raw, 'X-Mxprobe-Source')).toBe('127.0.0.10');
  });

  it('--tls none stays in plaintext; --tls require fails without STARTTLS and sends nothing', async () => {
    const s = await smtp();
    await deliver({ to: 'seed@example.test', helo: 'h.example.test', via: `127.0.0.1:${s.port}`, tls: 'none' }, { resolver: noDns });
    expect(s.messages[0]?.secure).toBe(false);

    const plain = await smtp({ noTls: true });
    const r = await deliver({ to: 'seed@example.test', helo: 'h.example.test', via: `127.0.0.1:${plain.port}`, tls: 'require' }, { resolver: noDns });
    expect(plain.messages).toHaveLength(0);
    expect(r.messages[0]?.outcome).toBe('failed');
    expect(r.messages[0]?.attempts[0]?.status).toBe('tls-failed');
    expect(r.messages[0]?.attempts[0]?.transcript.some((l) => l.dir === 'C' && l.line.startsWith('MAIL FROM'))).toBe(false);
  });

  it('--count sends that many messages, each with its own token', async () => {
    const s = await smtp();
    const r = await deliver({ to: 'seed@example.test', helo: 'h.example.test', via: `127.0.0.1:${s.port}`, count: 3 }, { resolver: noDns });
    expect(s.messages).toHaveLength(3);
    const tokens = s.messages.map((m) => header(m.raw, 'X-Mxprobe-Token'));
    expect(new Set(tokens).size).toBe(3);
    expect(r.messages.map((m) => m.token)).toEqual(tokens);
  });

  it('refuses --count above 10, CR/LF in --helo, and a missing --to before any connection', async () => {
    const s = await smtp();
    const via = `127.0.0.1:${s.port}`;
    await expect(deliver({ to: 'seed@example.test', helo: 'h.example.test', via, count: 11 }, { resolver: noDns })).rejects.toThrow(UsageError);
    await expect(deliver({ to: 'seed@example.test', helo: 'h.example.test\r\nRCPT TO:<x@evil.test>', via }, { resolver: noDns })).rejects.toThrow(CommandUnsafeError);
    await expect(deliver({ to: 'seed@example.test\nx', helo: 'h.example.test', via }, { resolver: noDns })).rejects.toThrow(CommandUnsafeError);
    await expect(deliver({ to: 'seed@example.test', helo: 'h.example.test', from: 'a@b.test\0', via }, { resolver: noDns })).rejects.toThrow(CommandUnsafeError);
    await expect(deliver({ to: '', helo: 'h.example.test', via }, { resolver: noDns })).rejects.toThrow(UsageError);
    // A bare-IP HELO has no domain for the default sender.
    await expect(deliver({ to: 'seed@example.test', helo: '192.0.2.7', via }, { resolver: noDns })).rejects.toThrow(/--from/);
    expect(s.connections).toHaveLength(0);
  });

  it('--dry-run prints the plan and connects to nothing', async () => {
    const s = await smtp();
    const logged: string[] = [];
    const r = await deliver(
      { to: 'seed@example.test', helo: 'h.example.test', via: `127.0.0.1:${s.port}`, dryRun: true },
      { resolver: noDns, log: (l) => logged.push(l) },
    );
    expect(r.dryRun).toBe(true);
    expect(r.messages[0]?.attempts).toEqual([]);
    expect(logged.join('\n')).toContain(`127.0.0.1:${s.port} (--via)`);
    expect(logged.join('\n')).toContain('| X-Mxprobe-Helo: h.example.test');
    // Give a stray connection time to land before asserting there was none.
    await new Promise((res) => setTimeout(res, 100));
    expect(s.connections).toHaveLength(0);
  });
});

describe('deliver by MX (DNS fixture)', () => {
  it('tries MX hosts in preference order: moves on after 4xx, delivers at the next', async () => {
    const bad = await smtp({ rcptCode: 451 }, '127.0.0.2');
    const good = await smtp({ queuedText: 'OK id=1rAbCd-000123-4x' }, '127.0.0.3', bad.port);
    const d = await dns({
      'example.test': { MX: [{ exchange: 'mx2.example.test', priority: 20 }, { exchange: 'mx1.example.test', priority: 10 }] },
      'mx1.example.test': { A: ['127.0.0.2'] },
      'mx2.example.test': { A: ['127.0.0.3'] },
    });
    const resolver = createResolver({ servers: [d.address], timeoutMs: 2000 });
    const r = await deliver({ to: 'seed@example.test', helo: 'h.example.test', port: bad.port }, { resolver });
    expect(r.route.candidates.map((c) => c.exchange)).toEqual(['mx1.example.test', 'mx2.example.test']);
    const m = r.messages[0]!;
    expect(m.attempts.map((a) => [a.exchange, a.status])).toEqual([['mx1.example.test', 'deferred'], ['mx2.example.test', 'delivered']]);
    expect(m.attempts[0]?.code).toBe(451);
    expect(m.outcome).toBe('delivered');
    expect(m.queueId).toEqual({ id: '1rAbCd-000123-4x', style: 'exim' });
    expect(bad.messages).toHaveLength(0);
    expect(good.messages).toHaveLength(1);
    // SNI carried the MX name, not the IP.
    expect(good.messages[0]?.servername).toBe('mx2.example.test');
  });

  it('stops at a 5xx: the next MX is never contacted', async () => {
    const bad = await smtp({ rcptCode: 550 }, '127.0.0.4');
    const other = await smtp({}, '127.0.0.5', bad.port);
    const d = await dns({
      'example.test': { MX: [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] },
      'mx1.example.test': { A: ['127.0.0.4'] },
      'mx2.example.test': { A: ['127.0.0.5'] },
    });
    const resolver = createResolver({ servers: [d.address], timeoutMs: 2000 });
    const r = await deliver({ to: 'seed@example.test', helo: 'h.example.test', port: bad.port }, { resolver });
    expect(r.messages[0]?.outcome).toBe('rejected');
    expect(r.messages[0]?.finalReply).toMatch(/^550 /);
    expect(r.messages[0]?.attempts).toHaveLength(1);
    expect(other.connections).toHaveLength(0);
  });

  it('moves on after a refused connection', async () => {
    const good = await smtp({}, '127.0.0.7');
    const d = await dns({
      // Nothing listens on 127.0.0.6 at that port.
      'example.test': { MX: [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] },
      'mx1.example.test': { A: ['127.0.0.6'] },
      'mx2.example.test': { A: ['127.0.0.7'] },
    });
    const resolver = createResolver({ servers: [d.address], timeoutMs: 2000 });
    const r = await deliver({ to: 'seed@example.test', helo: 'h.example.test', port: good.port }, { resolver });
    expect(r.messages[0]?.attempts.map((a) => a.status)).toEqual(['connection-failed', 'delivered']);
    expect(good.messages).toHaveLength(1);
  });

  it('skips a host that greets with 5xx (as Postfix smtp_skip_5xx_greeting) and delivers at the next', async () => {
    // A raw server: banner 554, then closes. Bound first so the smtp-server reuses its port.
    let greeted = 0;
    const raw = createServer((sock) => {
      greeted++;
      sock.end('554 5.7.1 mx1.example.test no SMTP service for you\r\n');
    });
    await new Promise<void>((res) => raw.listen(0, '127.0.0.8', () => res()));
    cleanup.push(() => new Promise<void>((res) => raw.close(() => res())));
    const port = (raw.address() as AddressInfo).port;
    const good = await smtp({}, '127.0.0.9', port);
    const d = await dns({
      'example.test': { MX: [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] },
      'mx1.example.test': { A: ['127.0.0.8'] },
      'mx2.example.test': { A: ['127.0.0.9'] },
    });
    const resolver = createResolver({ servers: [d.address], timeoutMs: 2000 });
    const r = await deliver({ to: 'seed@example.test', helo: 'h.example.test', port }, { resolver });
    expect(greeted).toBe(1);
    expect(r.messages[0]?.attempts.map((a) => [a.status, a.code])).toEqual([['greeting-rejected', 554], ['delivered', 250]]);
    expect(good.messages).toHaveLength(1);
  });

  it('a null MX (RFC 7505) gives no route and sends nothing', async () => {
    const d = await dns({ 'example.test': { MX: [{ exchange: '.', priority: 0 }] } });
    const resolver = createResolver({ servers: [d.address], timeoutMs: 2000 });
    const r = await deliver({ to: 'seed@example.test', helo: 'h.example.test' }, { resolver });
    expect(r.route.candidates).toEqual([]);
    expect(r.route.notes.join()).toMatch(/null MX/);
    expect(r.messages[0]?.outcome).toBe('failed');
  });
});

describe('parseVia', () => {
  it.each([
    ['127.0.0.25', { host: '127.0.0.25', port: 25 }],
    ['127.0.0.25:2525', { host: '127.0.0.25', port: 2525 }],
    ['mx.example.test:587', { host: 'mx.example.test', port: 587 }],
    ['[::1]:2525', { host: '::1', port: 2525 }],
    ['::1', { host: '::1', port: 25 }],
  ])('%s', (input, want) => expect(parseVia(input)).toEqual(want));
  it('rejects a bad port', () => expect(() => parseVia('h:99999')).toThrow(UsageError));
});
