import { describe, expect, it } from 'vitest';
import { ReplyParser } from '../../src/smtp/reply.js';
import { start, step, type SessionConfig, type SessionState } from '../../src/smtp/session.js';

/**
 * RFC 5321 §4.3.2 names the success reply of each command: 220 for the greeting, 250 for
 * EHLO/HELO and MAIL, 250/251 for RCPT; RFC 3207 §4 gives 220 for STARTTLS. Any other 2xx/3xx
 * (a 354 to RCPT, a 250 banner, a 251 to MAIL) is a broken or hostile server, not the receiver
 * accepting the identity: the verdict must be `unknown`, never `accepted` (a wrong "ok" is worse
 * than none). The EHLO case already holds (session.test.ts, ehlo-220.txt); these are the others.
 */
const cfg = (over: Partial<SessionConfig> = {}): SessionConfig => ({
  helo: 'relay.example.net',
  stopAfter: 'rcpt',
  starttls: true,
  implicitTls: false,
  mailFrom: 'postmaster@example.net',
  rcpt: 'postmaster@example.org',
  ...over,
});

/** Feed server lines; answer 'T' (TLS established) where the machine asks for an upgrade. */
function drive(server: string[], config: SessionConfig): { state: SessionState; sent: string[] } {
  let state = start(config).state;
  const parser = new ReplyParser();
  const sent: string[] = [];
  for (const l of server) {
    if (l === 'T') {
      state = step(state, { type: 'tls-established' }).state;
      continue;
    }
    for (const reply of parser.push(`${l}\r\n`)) {
      const r = step(state, { type: 'reply', reply });
      state = r.state;
      for (const a of r.actions) if (a.type === 'send') sent.push(a.line.replace(/\r\n$/, ''));
    }
  }
  return { state, sent };
}

const EHLO = '250 mx.example.org';
const EHLO_TLS = ['250-mx.example.org', '250 STARTTLS'];

describe('a 2xx/3xx that is not the command\'s success reply is never an acceptance', () => {
  const cases: Array<{ name: string; server: string[]; config?: Partial<SessionConfig>; stage: string }> = [
    { name: '354 to RCPT', server: ['220 mx ESMTP', EHLO, '250 ok', '354 go ahead'], config: { starttls: false }, stage: 'rcpt' },
    { name: '252 to RCPT', server: ['220 mx ESMTP', EHLO, '250 ok', '252 cannot verify'], config: { starttls: false }, stage: 'rcpt' },
    { name: '220 to RCPT', server: ['220 mx ESMTP', EHLO, '250 ok', '220 hello again'], config: { starttls: false }, stage: 'rcpt' },
    { name: '251 to MAIL', server: ['220 mx ESMTP', EHLO, '251 ok'], config: { starttls: false }, stage: 'mail' },
    { name: '354 to MAIL', server: ['220 mx ESMTP', EHLO, '354 go'], config: { starttls: false }, stage: 'mail' },
    { name: '250 as the banner', server: ['250 mx ESMTP'], stage: 'connect' },
    { name: '354 as the banner', server: ['354 mx ESMTP'], stage: 'connect' },
    { name: '251 to HELO after 502 to EHLO', server: ['220 mx ESMTP', '502 no EHLO', '251 hello'], stage: 'helo' },
    { name: '220 to EHLO after TLS', server: ['220 mx ESMTP', ...EHLO_TLS, '220 go', 'T', '220 hello'], stage: 'starttls' },
    { name: '250 to STARTTLS, strict', server: ['220 mx ESMTP', ...EHLO_TLS, '250 ok'], config: { starttlsFallback: false }, stage: 'starttls' },
  ];
  it.each(cases)('$name → unknown at $stage', ({ server, config, stage }) => {
    const { state } = drive(server, cfg(config));
    expect(state.facts.decision).toMatchObject({ outcome: 'unknown', stage });
  });

  it('the defined success replies still are acceptances (250/251 to RCPT)', () => {
    for (const code of [250, 251]) {
      const { state, sent } = drive(['220 mx ESMTP', EHLO, '250 ok', `${code} ok`], cfg({ starttls: false }));
      expect(state.facts.decision).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
      expect(sent).toEqual(['EHLO relay.example.net', 'MAIL FROM:<postmaster@example.net>', 'RCPT TO:<postmaster@example.org>', 'RSET']);
    }
  });

  it('a 251 to MAIL does not go on to RCPT as if MAIL had succeeded', () => {
    const { sent, state } = drive(['220 mx ESMTP', EHLO, '251 ok'], cfg({ starttls: false }));
    expect(sent.some((l) => l.startsWith('RCPT'))).toBe(false);
    expect(state.facts.reached).not.toBe('mail');
  });
});
