/**
 * parseClassifyInput: raw replies (through the real reply parser) and Postfix / Exim log lines.
 */
import { describe, expect, it } from 'vitest';
import { parseClassifyInput, type ParsedInput } from '../../src/analysis/log-line.js';

type Case = [name: string, input: string, flag: Parameters<typeof parseClassifyInput>[1], expected: ParsedInput];

const CASES: Case[] = [
  [
    'Postfix smtp "said:" with in reply to RCPT TO',
    'Nov 29 08:00:00 relay postfix/smtp[123]: 4A1B2C3D: to=<u@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1.2, delays=0/0/0.5/0.7, dsn=5.7.1, status=bounced (host mx.example.org[192.0.2.1] said: 550 5.7.1 <x.example>: Helo command rejected: Access denied (in reply to RCPT TO command))',
    undefined,
    { reply: { code: 550, enhanced: '5.7.1', text: '5.7.1 <x.example>: Helo command rejected: Access denied' }, stage: 'rcpt', stageSource: 'log' },
  ],
  [
    'Postfix smtp "said:" in reply to MAIL FROM beats the flag',
    'status=deferred (host mx.example.org[192.0.2.1] said: 451 4.1.8 Domain of sender address a@nx.example does not resolve (in reply to MAIL FROM command))',
    'rcpt',
    { reply: { code: 451, enhanced: '4.1.8', text: '4.1.8 Domain of sender address a@nx.example does not resolve' }, stage: 'mail', stageSource: 'log' },
  ],
  [
    'Postfix smtp in reply to EHLO',
    '(host mx.example.org[192.0.2.1] said: 550 EHLO argument does not match calling host (in reply to EHLO command))',
    undefined,
    { reply: { code: 550, enhanced: null, text: 'EHLO argument does not match calling host' }, stage: 'ehlo', stageSource: 'log' },
  ],
  [
    'Postfix smtp in reply to HELO',
    '(host mx.example.org[192.0.2.1] said: 501 Syntactically invalid HELO argument(s) (in reply to HELO command))',
    undefined,
    { reply: { code: 501, enhanced: null, text: 'Syntactically invalid HELO argument(s)' }, stage: 'helo', stageSource: 'log' },
  ],
  [
    'Postfix joins a multi-line reply with spaces; it is split back into lines',
    'status=bounced (host aspmx.l.google.com[192.0.2.26] said: 550-5.7.25 [192.0.2.7] The IP address sending this message does not have a PTR 550-5.7.25 record setup. 550 5.7.25 the sending IP. (in reply to RCPT TO command))',
    undefined,
    { reply: { code: 550, enhanced: '5.7.25', text: '5.7.25 [192.0.2.7] The IP address sending this message does not have a PTR\n5.7.25 record setup.\n5.7.25 the sending IP.' }, stage: 'rcpt', stageSource: 'log' },
  ],
  [
    'end of DATA has no Stage: falls back to the flag',
    '(host mx.example.org[192.0.2.1] said: 554 5.7.1 Message rejected (in reply to end of DATA command))',
    'rcpt',
    { reply: { code: 554, enhanced: '5.7.1', text: '5.7.1 Message rejected' }, stage: 'rcpt', stageSource: 'flag' },
  ],
  [
    'end of DATA with no flag: no stage',
    '(host mx.example.org[192.0.2.1] said: 554 5.7.1 Message rejected (in reply to end of DATA command))',
    undefined,
    { reply: { code: 554, enhanced: '5.7.1', text: '5.7.1 Message rejected' }, stage: null, stageSource: 'none' },
  ],
  [
    'Postfix "refused to talk to me" is the banner',
    'status=deferred (host mx.example.org[192.0.2.1] refused to talk to me: 554 5.7.1 Service unavailable; client [192.0.2.7] blocked using zen.spamhaus.org)',
    'rcpt',
    { reply: { code: 554, enhanced: '5.7.1', text: '5.7.1 Service unavailable; client [192.0.2.7] blocked using zen.spamhaus.org' }, stage: 'connect', stageSource: 'log' },
  ],
  [
    'Postfix "while receiving the initial server greeting" has no reply but is the connect stage',
    'status=deferred (lost connection with mx.example.org[192.0.2.1] while receiving the initial server greeting)',
    undefined,
    { reply: { code: null, enhanced: null, text: 'status=deferred (lost connection with mx.example.org[192.0.2.1] while receiving the initial server greeting)' }, stage: 'connect', stageSource: 'log' },
  ],
  [
    'Postfix smtpd NOQUEUE: reply ends before "; from=<"',
    'Nov 29 08:00:00 mx postfix/smtpd[9]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 450 4.7.1 <nx.example>: Helo command rejected: Host not found; from=<> to=<postmaster@example.org> proto=ESMTP helo=<nx.example>',
    undefined,
    { reply: { code: 450, enhanced: '4.7.1', text: '4.7.1 <nx.example>: Helo command rejected: Host not found' }, stage: 'rcpt', stageSource: 'log' },
  ],
  [
    'Postfix smtpd NOQUEUE keeps a ";" inside the reply (the LAST "; from=<" ends it)',
    'postfix/smtpd[9]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.7; from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<x.example.net>',
    undefined,
    { reply: { code: 554, enhanced: '5.7.1', text: '5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.7' }, stage: 'rcpt', stageSource: 'log' },
  ],
  [
    'postscreen NOQUEUE with ", from=<" and a client port',
    'postfix/postscreen[7]: NOQUEUE: reject: RCPT from [192.0.2.7]:45678: 550 5.7.1 Service unavailable; client [192.0.2.7] blocked using zen.spamhaus.org; from=<a@example.net>, to=<b@example.org>, proto=ESMTP, helo=<x.example.net>',
    undefined,
    { reply: { code: 550, enhanced: '5.7.1', text: '5.7.1 Service unavailable; client [192.0.2.7] blocked using zen.spamhaus.org' }, stage: 'rcpt', stageSource: 'log' },
  ],
  [
    'Postfix smtpd reject at CONNECT with an IPv6 client',
    'postfix/smtpd[9]: NOQUEUE: reject: CONNECT from unknown[2001:db8::7]: 554 5.7.1 <unknown[2001:db8::7]>: Client host rejected: Access denied; proto=SMTP',
    undefined,
    { reply: { code: 554, enhanced: '5.7.1', text: '5.7.1 <unknown[2001:db8::7]>: Client host rejected: Access denied' }, stage: 'connect', stageSource: 'log' },
  ],
  [
    'Postfix smtpd reject at MAIL with a queue id',
    'postfix/smtpd[9]: 4A1B2C3D: reject: MAIL from unknown[192.0.2.7]: 530 5.7.0 Must issue a STARTTLS command first; proto=ESMTP helo=<x>',
    undefined,
    { reply: { code: 530, enhanced: '5.7.0', text: '5.7.0 Must issue a STARTTLS command first' }, stage: 'mail', stageSource: 'log' },
  ],
  [
    'Postfix milter-reject logs an enhanced code without a reply code',
    'postfix/cleanup[38982]: D8C136A3A: milter-reject: END-OF-MESSAGE from unknown[192.0.2.7]: 4.7.1 Greylisting in action, try again later; from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<x>',
    undefined,
    { reply: { code: null, enhanced: '4.7.1', text: '4.7.1 Greylisting in action, try again later' }, stage: null, stageSource: 'none' },
  ],
  [
    'Exim client "SMTP error ... after RCPT TO"',
    '2026-11-29 08:00:00 1abcDE-000123-XY ** b@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.1]: SMTP error from remote mail server after RCPT TO:<b@example.org>: 550 5.1.1 <b@example.org>: Recipient address rejected: User unknown',
    undefined,
    { reply: { code: 550, enhanced: '5.1.1', text: '5.1.1 <b@example.org>: Recipient address rejected: User unknown' }, stage: 'rcpt', stageSource: 'log' },
  ],
  [
    'Exim client after MAIL FROM with SIZE',
    'H=mx.example.org [192.0.2.1]: SMTP error from remote mail server after MAIL FROM:<a@example.net> SIZE=1234: 553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.7',
    undefined,
    { reply: { code: 553, enhanced: '5.7.1', text: '5.7.1 [BL21] Connections will not be accepted from 192.0.2.7' }, stage: 'mail', stageSource: 'log' },
  ],
  [
    'Exim client after pipelined RCPT TO',
    'SMTP error from remote mail server after pipelined RCPT TO:<b@example.org>: 450 4.2.0 <b@example.org>: Recipient address rejected: Greylisted',
    undefined,
    { reply: { code: 450, enhanced: '4.2.0', text: '4.2.0 <b@example.org>: Recipient address rejected: Greylisted' }, stage: 'rcpt', stageSource: 'log' },
  ],
  [
    'Exim client after initial connection',
    'SMTP error from remote mail server after initial connection: 554 mx.example.org ESMTP not accepting messages',
    undefined,
    { reply: { code: 554, enhanced: null, text: 'mx.example.org ESMTP not accepting messages' }, stage: 'connect', stageSource: 'log' },
  ],
  [
    'Exim client after EHLO',
    'SMTP error from remote mail server after EHLO client.example.net: 550 HELO host does not match rDNS',
    undefined,
    { reply: { code: 550, enhanced: null, text: 'HELO host does not match rDNS' }, stage: 'ehlo', stageSource: 'log' },
  ],
  [
    'Exim server "rejected EHLO or HELO" (no code in Exim logs)',
    '2026-11-29 08:00:00 H=(nx.example) [192.0.2.7] rejected EHLO or HELO nx.example: HELO name does not resolve',
    'rcpt',
    { reply: { code: null, enhanced: null, text: 'HELO name does not resolve' }, stage: 'ehlo', stageSource: 'log' },
  ],
  [
    'Exim server "rejected EHLO from [IPv6]" syntax error',
    'H=(bad_name) [2001:db8::7] rejected EHLO from [2001:db8::7]: syntactically invalid argument(s): bad_name',
    undefined,
    { reply: { code: null, enhanced: null, text: 'syntactically invalid argument(s): bad_name' }, stage: 'ehlo', stageSource: 'log' },
  ],
  [
    'Exim server "rejected RCPT"',
    'H=(x.example.net) [192.0.2.7] F=<a@example.net> rejected RCPT <b@example.com>: relay not permitted',
    undefined,
    { reply: { code: null, enhanced: null, text: 'relay not permitted' }, stage: 'rcpt', stageSource: 'log' },
  ],
  [
    'Exim server "temporarily rejected MAIL"',
    'H=(x.example.net) [192.0.2.7] temporarily rejected MAIL <a@example.net>: Could not complete sender verify',
    undefined,
    { reply: { code: null, enhanced: null, text: 'Could not complete sender verify' }, stage: 'mail', stageSource: 'log' },
  ],
  [
    'Exim server connect ACL',
    'H=[192.0.2.7] rejected connection in "connect" ACL: 192.0.2.7 is listed at zen.spamhaus.org',
    undefined,
    { reply: { code: null, enhanced: null, text: '192.0.2.7 is listed at zen.spamhaus.org' }, stage: 'connect', stageSource: 'log' },
  ],
  [
    'raw single-line reply with a flag stage',
    '550 5.7.1 <x>: Relay access denied',
    'rcpt',
    { reply: { code: 550, enhanced: '5.7.1', text: '5.7.1 <x>: Relay access denied' }, stage: 'rcpt', stageSource: 'flag' },
  ],
  [
    'raw multi-line reply with CRLF',
    '250-mx.example.org Hello\r\n250-PIPELINING\r\n250 STARTTLS\r\n',
    'ehlo',
    { reply: { code: 250, enhanced: null, text: 'mx.example.org Hello\nPIPELINING\nSTARTTLS' }, stage: 'ehlo', stageSource: 'flag' },
  ],
  [
    'raw multi-line reply pasted with literal \\n',
    '550-5.7.1 first line\\n550 5.7.1 second line',
    undefined,
    { reply: { code: 550, enhanced: '5.7.1', text: '5.7.1 first line\n5.7.1 second line' }, stage: null, stageSource: 'none' },
  ],
  [
    'raw reply with a transcript prefix',
    'S: 421 4.7.0 Try again later, closing connection.',
    'connect',
    { reply: { code: 421, enhanced: '4.7.0', text: '4.7.0 Try again later, closing connection.' }, stage: 'connect', stageSource: 'flag' },
  ],
  [
    'a raw reply that quotes another server\'s "said:" stays a raw reply',
    '450 4.1.1 <b@example.org>: Recipient address rejected: undeliverable address: host mx[192.0.2.2] said: 550 no such user',
    undefined,
    { reply: { code: 450, enhanced: '4.1.1', text: '4.1.1 <b@example.org>: Recipient address rejected: undeliverable address: host mx[192.0.2.2] said: 550 no such user' }, stage: null, stageSource: 'none' },
  ],
  [
    'a dangling multi-line reply is kept (parser refuses it, we fall back)',
    '550-5.7.1 only a first line',
    undefined,
    { reply: { code: 550, enhanced: '5.7.1', text: '5.7.1 only a first line' }, stage: null, stageSource: 'none' },
  ],
  [
    'code only',
    '554',
    undefined,
    { reply: { code: 554, enhanced: null, text: '' }, stage: null, stageSource: 'none' },
  ],
  [
    'not a reply at all',
    'hello world',
    'mail',
    { reply: { code: null, enhanced: null, text: 'hello world' }, stage: 'mail', stageSource: 'flag' },
  ],
  [
    'an out-of-range code is not a code',
    '999 strange',
    undefined,
    { reply: { code: null, enhanced: null, text: '999 strange' }, stage: null, stageSource: 'none' },
  ],
];

describe('parseClassifyInput', () => {
  it.each(CASES)('%s', (_name, input, flag, expected) => {
    expect(parseClassifyInput(input, flag)).toEqual(expected);
  });

  it('gives the empty string an empty, codeless reply', () => {
    expect(parseClassifyInput('')).toEqual({ reply: { code: null, enhanced: null, text: '' }, stage: null, stageSource: 'none' });
  });
});
