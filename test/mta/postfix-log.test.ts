import { describe, expect, it } from 'vitest';
import { causesForPostfixReply, outcomeForCode, parseRcptEvents, parseSessionEnds, parseTlsEvents } from './postfix-log.js';

// Lines as the lab's Postfix 3.7 wrote them (captured from a real run of test/mta/lab.ts).
const LOG = `Nov 29 08:23:48 mx postfix/master[21168]: daemon started -- version 3.7.11, configuration /tmp/x/postfix/etc
Nov 29 08:23:49 mx postfix/smtpd[21190]: connect from good.example.test[127.0.0.10]
Nov 29 08:23:49 mx postfix/smtpd[21190]: Anonymous TLS connection established from good.example.test[127.0.0.10]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256
Nov 29 08:23:49 mx postfix/smtpd[21190]: NOQUEUE: info: RCPT from good.example.test[127.0.0.10]: ; from=<probe@good.example.test> to=<postmaster@example.test> proto=ESMTP helo=<localhost>
Nov 29 08:23:49 mx postfix/smtpd[21190]: NOQUEUE: reject: RCPT from good.example.test[127.0.0.10]: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname; from=<probe@good.example.test> to=<postmaster@example.test> proto=ESMTP helo=<localhost>
Nov 29 08:23:49 mx postfix/smtpd[21190]: disconnect from good.example.test[127.0.0.10] ehlo=2 starttls=1 mail=1 rcpt=0/1 quit=1 commands=5/6
Nov 29 08:23:49 mx postfix/strict/smtpd[21200]: NOQUEUE: reject: RCPT from unknown[127.0.0.12]: 450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.12]; from=<> to=<postmaster@example.test> proto=ESMTP helo=<[127.0.0.12]>
`;

describe('postfix log parsing', () => {
  it('reads RCPT info and reject records with service, client, reply and helo', () => {
    const ev = parseRcptEvents(LOG);
    expect(ev).toHaveLength(3);
    expect(ev[0]).toMatchObject({ service: 'postfix/smtpd', kind: 'info', clientIp: '127.0.0.10', helo: 'localhost', reply: null });
    expect(ev[1]).toMatchObject({
      kind: 'reject',
      clientName: 'good.example.test',
      reply: '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname',
      code: 504,
      enhanced: '5.5.2',
      to: 'postmaster@example.test',
    });
    expect(ev[2]).toMatchObject({ service: 'postfix/strict/smtpd', clientName: 'unknown', clientIp: '127.0.0.12', code: 450, enhanced: '4.7.25', from: '', helo: '[127.0.0.12]' });
  });

  it('reads session counters and TLS records', () => {
    const ends = parseSessionEnds(LOG);
    expect(ends).toHaveLength(1);
    expect(ends[0]?.counters).toEqual({ ehlo: '2', starttls: '1', mail: '1', rcpt: '0/1', quit: '1', commands: '5/6' });
    expect(parseTlsEvents(LOG)).toMatchObject([{ clientIp: '127.0.0.10', protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' }]);
  });

  it('maps Postfix reject texts to causes and refuses to guess on unknown ones', () => {
    expect(causesForPostfixReply('504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname')).toEqual(['helo-not-fqdn']);
    expect(causesForPostfixReply('450 4.7.1 <nx.example.test>: Helo command rejected: Host not found')).toEqual(['helo-not-resolving']);
    expect(causesForPostfixReply('450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.12]')).toEqual(['no-ptr', 'fcrdns-fail']);
    expect(causesForPostfixReply('450 4.7.1 Client host rejected: cannot find your reverse hostname, [127.0.0.12]')).toEqual(['no-ptr']);
    expect(causesForPostfixReply('554 5.7.1 Service unavailable; something new')).toBeNull();
    expect([outcomeForCode(250), outcomeForCode(450), outcomeForCode(504), outcomeForCode(999)]).toEqual(['accepted', 'deferred', 'rejected', 'unknown']);
  });
});
