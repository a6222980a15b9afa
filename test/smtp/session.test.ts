import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ReplyParser } from '../../src/smtp/reply.js';
import { start, step, isSettled, type SessionConfig, type SessionState } from '../../src/smtp/session.js';
import type { StopAfter } from '../../src/results.js';

const dir = new URL('../fixtures/transcripts/', import.meta.url);

/**
 * Replays a canned S:/C: transcript through the pure state machine: server lines are fed as
 * bytes through the real reply parser; every client line the machine emits must equal the next
 * C: line, in order, and nothing else may be sent.
 */
function replay(file: string, config: Partial<SessionConfig>): { state: SessionState; sent: string[]; closed: boolean } {
  const lines = readFileSync(new URL(file, dir), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const cfg: SessionConfig = {
    helo: 'relay.example.net',
    stopAfter: 'starttls',
    starttls: true,
    implicitTls: false,
    mailFrom: 'postmaster@example.net',
    rcpt: 'postmaster@example.org',
    ...config,
  };
  let state = start(cfg).state;
  const parser = new ReplyParser();
  const sent: string[] = [];
  const expected = lines.filter((l) => l.startsWith('C: ')).map((l) => l.slice(3));
  let closed = false;
  const apply = (actions: ReturnType<typeof step>['actions']) => {
    for (const a of actions) {
      if (a.type === 'send') sent.push(a.line.replace(/\r\n$/, ''));
      if (a.type === 'close') closed = true;
    }
  };
  for (const l of lines) {
    if (l.startsWith('S: ')) {
      for (const reply of parser.push(`${l.slice(3)}\r\n`)) {
        const r = step(state, { type: 'reply', reply });
        state = r.state;
        apply(r.actions);
      }
    } else if (l === 'T: tls') {
      const r = step(state, { type: 'tls-established' });
      state = r.state;
      apply(r.actions);
    }
  }
  expect(sent).toEqual(expected);
  return { state, sent, closed };
}

describe('session state machine (canned transcripts)', () => {
  it('Postfix with STARTTLS: EHLO again after TLS, both capability sets kept', () => {
    const { state, closed } = replay('postfix-starttls.txt', {});
    const f = state.facts;
    expect(closed).toBe(true);
    expect(f.banner?.text).toBe('mx.example.org ESMTP Postfix (Debian/GNU)');
    expect(f.plainCapabilities?.starttls).toBe(true);
    expect(f.plainCapabilities?.auth).toEqual([]);
    expect(f.tlsCapabilities?.auth).toEqual(['PLAIN', 'LOGIN']);
    expect(f.tlsCapabilities?.starttls).toBe(false);
    expect(f.decision).toMatchObject({ outcome: 'accepted', stage: 'starttls' });
    expect(f.reached).toBe('starttls');
  });

  it('Exim refuses EHLO and HELO: both replies kept, the decision stays at ehlo', () => {
    const { state } = replay('exim-helo-mismatch.txt', { stopAfter: 'rcpt' });
    const f = state.facts;
    expect(f.ehloReply?.code).toBe(550);
    expect(f.heloReply?.text).toBe('HELO argument does not match calling host');
    expect(f.greetingCommand).toBe('HELO');
    expect(f.decision?.stage).toBe('ehlo');
    expect(f.decision?.reply?.text).toBe('EHLO argument does not match calling host');
    expect(f.decision?.outcome).toBe('rejected');
  });

  it('legacy server: 500 to EHLO, HELO accepted, envelope tested, RSET and QUIT', () => {
    const { state } = replay('legacy-helo.txt', { stopAfter: 'rcpt' });
    const f = state.facts;
    expect(f.greetingCommand).toBe('HELO');
    expect(f.plainCapabilities).toBeNull();
    expect(f.decision).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
    expect(f.reached).toBe('rcpt');
  });

  it('Postfix delays the HELO rejection to RCPT', () => {
    const { state } = replay('postfix-rcpt-reject.txt', { stopAfter: 'rcpt', helo: 'localhost' });
    expect(state.facts.decision).toMatchObject({ outcome: 'rejected', stage: 'rcpt' });
    expect(state.facts.rcptReply?.enhanced).toBe('5.5.2');
    expect(state.facts.reached).toBe('mail');
  });

  it('banner 554: QUIT at once, rejected at connect', () => {
    const { state } = replay('banner-554.txt', {});
    expect(state.facts.decision).toMatchObject({ outcome: 'rejected', stage: 'connect' });
    expect(state.facts.ehloReply).toBeNull();
  });

  it('421 ends the session where it falls, without QUIT', () => {
    const { state, closed } = replay('greeting-421.txt', { stopAfter: 'rcpt' });
    expect(closed).toBe(true);
    expect(state.facts.closedBy421).toBe(true);
    expect(state.facts.decision).toMatchObject({ outcome: 'deferred', stage: 'ehlo' });
    expect(state.phase).toBe('done');
  });

  it('STARTTLS refused with 454, strict (--no-starttls-fallback): the decision at starttls', () => {
    const { state } = replay('starttls-454.txt', { stopAfter: 'starttls', starttlsFallback: false });
    expect(state.facts.decision).toMatchObject({ outcome: 'deferred', stage: 'starttls' });
  });

  it('STARTTLS refused with 454, opportunistic (default): a TLS fact, the EHLO decision stands', () => {
    // Issue 12 §A: the 454 said nothing about the identity; it used to become deferred@starttls.
    const { state, sent } = replay('starttls-454.txt', { stopAfter: 'starttls' });
    expect(state.facts.starttlsReply?.code).toBe(454);
    expect(state.facts.decision).toMatchObject({ outcome: 'accepted', stage: 'ehlo' });
    expect(sent.at(-1)).toBe('QUIT');
  });

  it('STARTTLS refused with 454, strict, stop-after rcpt: no plaintext MAIL', () => {
    const { state, sent } = replay('starttls-454-strict-rcpt.txt', { stopAfter: 'rcpt', starttlsFallback: false });
    expect(sent.some((l) => l.startsWith('MAIL'))).toBe(false);
    expect(state.facts.decision).toMatchObject({ outcome: 'deferred', stage: 'starttls' });
  });

  it('STARTTLS refused with 454 mid-matrix: continue in plaintext, the HELO question is still asked', () => {
    const { state } = replay('starttls-454-continue.txt', { stopAfter: 'rcpt' });
    expect(state.facts.starttlsReply?.code).toBe(454);
    expect(state.facts.tlsActive).toBe(false);
    expect(state.facts.decision).toMatchObject({ outcome: 'accepted', stage: 'rcpt' });
  });

  it('554 5.3.2 "closing transmission channel" to EHLO ends the session like a 421', () => {
    const { state, closed } = replay('ehlo-554-closing.txt', { stopAfter: 'rcpt' });
    expect(closed).toBe(true);
    expect(state.facts.heloReply).toBeNull();
    expect(state.facts.closedBy421).toBe(true);
    expect(state.facts.decision).toMatchObject({ outcome: 'rejected', stage: 'ehlo' });
  });

  it('a 2xx other than 250 to EHLO is not an acceptance', () => {
    const { state } = replay('ehlo-220.txt', { stopAfter: 'rcpt' });
    expect(state.facts.decision).toMatchObject({ outcome: 'unknown', stage: 'ehlo' });
    expect(state.facts.reached).toBe('connect');
  });

  it('4xx to EHLO is not a reason to fall back to HELO', () => {
    const { state } = replay('ehlo-tempfail.txt', { stopAfter: 'rcpt' });
    expect(state.facts.heloReply).toBeNull();
    expect(state.facts.decision).toMatchObject({ outcome: 'deferred', stage: 'ehlo' });
  });

  it('--no-starttls: MAIL refused, RSET then QUIT, no RCPT', () => {
    const { state } = replay('mail-rejected.txt', { stopAfter: 'rcpt', starttls: false });
    expect(state.facts.decision).toMatchObject({ outcome: 'rejected', stage: 'mail' });
    expect(state.facts.rcptReply).toBeNull();
  });

  it('stop-after banner: multi-line banner kept, QUIT', () => {
    const { state } = replay('banner-only.txt', { stopAfter: 'banner' });
    expect(state.facts.banner?.lines).toEqual(['220-mx.example.org ESMTP', '220 second banner line']);
  });

  it.each<StopAfter>(['banner', 'ehlo', 'starttls', 'mail', 'rcpt'])('never emits DATA, BDAT or AUTH (stop-after %s)', (stopAfter) => {
    // Drive the machine with "yes" to everything; collect every verb it ever sends.
    let state = start({ helo: 'a.example', stopAfter, starttls: true, implicitTls: false, mailFrom: 'a@example', rcpt: 'b@example' }).state;
    const verbs: string[] = [];
    const ok = (text: string) => ({ code: 250, enhanced: null, lines: [`250 ${text}`], text, bareLf: false });
    let events = 0;
    let r = step(state, { type: 'reply', reply: { ...ok('hi'), code: 220, lines: ['220 hi'] } });
    while (events++ < 20) {
      state = r.state;
      const send = r.actions.find((a) => a.type === 'send');
      const upgrade = r.actions.some((a) => a.type === 'upgrade-tls');
      if (upgrade) {
        r = step(state, { type: 'tls-established' });
        continue;
      }
      if (!send || send.type !== 'send') break;
      verbs.push(send.line.split(/[ :\r]/)[0] ?? '');
      const reply = send.line.startsWith('EHLO') ? { ...ok('x'), lines: ['250-x', '250 STARTTLS'], text: 'x\nSTARTTLS' } : send.line.startsWith('STARTTLS') ? { ...ok('go'), code: 220 } : ok('ok');
      r = step(state, { type: 'reply', reply });
    }
    expect(verbs.length).toBeGreaterThan(0);
    for (const v of verbs) expect(['EHLO', 'HELO', 'STARTTLS', 'MAIL', 'RCPT', 'RSET', 'QUIT']).toContain(v);
    expect(isSettled(state)).toBe(true);
  });
});
