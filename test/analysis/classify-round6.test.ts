/**
 * Issue 13, sixth round (session 5, short): the rule changes made from blind8's misses (replies as operators
 * quote them), each checked on wordings that are NOT in any labelled set (written for this test; the
 * trainer does not read this file) and on near misses the change must leave alone.
 *
 * - Exim's sender verification ("Verification failed for <a> ... Sender verify failed", "Callback setup
 *   failed while verifying <a>") is the sender check (policy), whatever remote text it quotes in between
 *   ("blacklisted", "a HELO or MAIL FROM:<> command was rejected").
 * - Exim's recipient callout ("Callout verification failed:" + the next hop's answer) judges the recipient.
 * - At MAIL, a complaint about DNS records is about the sender's domain (policy), even after the RFC 5321
 *   boilerplate "mailbox unavailable".
 * - A sending quota ("Organization queue quota exceeded") is not the recipient's mailbox quota.
 * - "Authentication is required for relay" refuses relaying, it is not an SPF/DKIM check.
 * - A 5xx greeting that is only the server's host name gives no reason: unknown.
 * - At STARTTLS, a refusal that names a block list is a block-list refusal, not "TLS unavailable"
 *   (after blind9 was scored: "554 host [ip] is blacklisted by zen.spamhaus.org" at STARTTLS).
 */
import { describe, expect, it } from 'vitest';
import type { Cause, Stage } from '../../src/results.js';
import { classifyReply } from '../helpers/blind-tsv.js';

const run = classifyReply;

type Case = [stage: Stage, reply: string, cause: Cause, rule?: string];

const CASES: Case[] = [
  // Exim sender verification: policy, whatever it quotes
  ['rcpt', '550-Verification failed for <bounce@example.net>\n550-Host is on a black list here\n550 Sender verify failed', 'policy', 'exim-sender-verify'],
  ['rcpt', '550-Callback setup failed while verifying <a@example.net>\n550-The initial connection, or a HELO or MAIL FROM:<> command was\n550-rejected.', 'policy', 'exim-sender-verify'],
  // near miss: a block list without the verification stays a block list
  ['rcpt', '550 Host 192.0.2.9 is on a black list here', 'blocklist', 'blocklist-text'],
  // Exim recipient callout: the recipient
  ['rcpt', '550-Callout verification failed:\n550 550 5.1.1 <x@example.org>: mailbox unknown', 'recipient', 'exim-recipient-callout'],
  // near miss: a SENDER callout named as such stays the sender check
  ['rcpt', '550 Callout verification failed for sender <a@example.net>', 'policy', 'sender-text'],
  // at MAIL, the sender domain's DNS
  ['mail', '550-Requested action not taken: mailbox unavailable\n550 no DNS MX record for sender domain', 'policy', 'mail-sender-domain-dns'],
  // near miss: the same boilerplate at RCPT, alone, is the recipient
  ['rcpt', '550 Requested action not taken: mailbox unavailable', 'recipient', 'recipient-text'],
  // a sending quota is not a mailbox quota; a mailbox quota still is
  ['rcpt', '550 5.2.2 Mailbox quota exceeded for this recipient', 'recipient'],
  // relaying behind authentication
  ['mail', '550 5.7.1 Authentication is required for relaying', 'relay-denied'],
  // near miss: authentication of the message (SPF/DKIM) stays policy
  ['mail', '550 5.7.26 Authentication is required: SPF and DKIM both failed', 'policy', 'policy-authentication'],
  // a bare host name at connect: no reason given
  ['connect', '554 smtp-in07.example.net', 'unknown', 'connect-bare-hostname'],
  ['connect', '554 mx2.example.org ESMTP not accepting messages', 'unknown', 'connect-bare-hostname'],
  // near misses: a host name followed by a reason is judged on that reason
  ['connect', '554 mx.example.org Your IP 192.0.2.9 is blacklisted', 'blocklist'],
  ['connect', '554 mx.example.org Access denied', 'policy'],
  // at STARTTLS, a reply naming a block list refuses the client; the TLS wording stays tls-unavailable
  ['starttls', '454 4.7.1 Client [192.0.2.9] listed at bl.spamcop.net', 'blocklist', 'blocklist-text'],
  ['starttls', '554 5.7.1 Your address is blacklisted, no TLS for you', 'blocklist', 'blocklist-text'],
  ['starttls', '454 4.7.0 TLS not available due to local problem', 'tls-unavailable', 'starttls-unavailable'],
  ['starttls', '502 5.5.1 Command not recognized', 'tls-unavailable', 'starttls-unavailable'],
];

describe('sixth-round rule changes (issue 13, blind8 studied)', () => {
  it.each(CASES)('%s %s -> %s', (stage, reply, cause, rule) => {
    const c = run(stage, reply);
    expect(c.cause).toBe(cause);
    if (rule !== undefined) expect(c.rule).toBe(rule);
  });

  it('a sending quota is not read as the recipient mailbox quota', () => {
    const c = run('rcpt', '450 4.7.3 Organization queue quota exceeded');
    expect(c.rule).not.toBe('recipient-text');
    expect(c.cause).not.toBe('recipient');
  });
});
