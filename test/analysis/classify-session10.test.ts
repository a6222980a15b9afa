/**
 * Issue 13, session 10 (cls13): the miss families every fresh blind set since session 7 showed, each decided from the
 * labelled data (the counts are in the rules' comments and /work/prompts/s10/cls13-report.md) and checked here on
 * texts that are NOT the rows that motivated them (MTA sources, documentation, DNSBL texts, logs quoted elsewhere; the
 * trainer reads the VECTORS of classify.test.ts, not this file), with the near misses each change must leave alone.
 *
 * - No reason given: a reply that says only that the service is unavailable (or that "a problem occurred", or RFC
 *   5321 §3.8's "closing transmission channel") and nothing but names, numbers and ids is `unknown`, whatever its
 *   stage and code; so is a bare "try again later" at connect (no envelope to greylist). A refusal that refuses
 *   ("Connection rejected", "does not accept mail") keeps the connect default, `policy`: that is what the labels say.
 * - A refusal whose cue is a link that takes the client's IP to a lookup or block-list page is `blocklist`; a help page
 *   about a policy, SPF or a mailbox with ip= in its query is not.
 * - Postfix's restriction prefix followed only by a retry request ("Client host rejected: Try again later") is the
 *   bare retry request (greylist-try-later), not a policy reason; Postfix's own greylisting example (greylist.pl,
 *   "Service is unavailable") is greylisting.
 * - A sender ADDRESS on a domain's or a user's own list is the receiver's policy, not a DNSBL.
 */
import { describe, expect, it } from 'vitest';
import { explainClassification } from '../../src/analysis/classify-explain.js';
import type { Cause, Stage } from '../../src/results.js';
import { classifyReply } from '../helpers/blind-tsv.js';

type Case = [stage: Stage, reply: string, cause: Cause, rule?: string];

const NO_REASON: Case[] = [
  // RFC 5321 §3.8 / §4.2.3: the 421 a server sends when it must shut the channel
  ['connect', '421 mail.example.net Service not available, closing transmission channel', 'unknown', 'no-reason-unavailable'],
  // MailRecv (C#) TEMPFAIL_MSG, and ASSP's reply when it takes no more sessions ("421 <$myName> service ...")
  ['connect', '421 Service temporarily unavailable, closing transmission channel.', 'unknown', 'no-reason-unavailable'],
  ['connect', '421 <mx.example.org> service temporarily unavailable, closing transmission', 'unknown', 'no-reason-unavailable'],
  // a test SMTP server's transient refusal of MAIL FROM (an SMTP client library's test suite)
  ['mail', '421 Service temporarily unavailable, closing channel', 'unknown', 'no-reason-unavailable'],
  // a bounce classifier's test snippet
  ['connect', '421 try again later, service temporarily unavailable', 'unknown', 'no-reason-unavailable'],
  // a 421 at EHLO that only says the service is going away: not a judgement of the HELO name (was helo-policy)
  ['ehlo', '421 Service not available, closing transmission channel', 'unknown', 'no-reason-unavailable'],
  // the generic transient refusal many SMTP client test suites use, here in place of the greeting
  ['connect', '421 Try again later', 'unknown', 'no-reason-retry-at-connect'],
  ['connect', '450 4.7.1 Please try again later', 'unknown', 'no-reason-retry-at-connect'],
];

/** Near misses: a reason is there (or a documented meaning), so the no-reason rules must not fire. */
const NO_REASON_NOT: Case[] = [
  ['rcpt', '450 4.3.2 Service currently unavailable', 'greylist', 'greylist-postscreen'],
  ['rcpt', '450 4.7.1 <b@example.org>: Recipient address rejected: Service is unavailable', 'greylist', 'greylist-policy-service-unavailable'],
  ['rcpt', '450 4.7.1 <b@example.org>: Recipient address rejected: Service is unavailable - please try again later!', 'greylist', 'greylist-policy-service-unavailable'],
  ['rcpt', '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', 'blocklist', 'blocklist-text'],
  ['rcpt', '550 Requested action not taken: mailbox unavailable', 'recipient'],
  ['connect', '554 vsmtp20.tin.it. Server not available - access denied', 'policy'],
  // Gmail's connection throttling says "try again later" too, with its own wording
  ['connect', '421-4.7.0 Try again later, closing connection.', 'rate-limit', 'rate-gmail-try-again-closing'],
  // at RCPT a bare retry request is what greylisting looks like (rspamd's default text)
  ['rcpt', '451 4.7.1 Try again later', 'greylist', 'greylist-try-later'],
  // an explicit refusal with no reason keeps the connect default (the labels of such replies: policy 10 of 12)
  ['connect', '554 mx.example.org Connection rejected', 'policy', 'default-connect-5xx'],
  ['connect', '554 host does not accept mail', 'policy'],
];

const LOOKUP_URL: Case[] = [
  // CBL's DNSBL TXT record, the reply text of an ACL that answers with the list's own text (Exim $dnslist_text)
  ['connect', '550 Blocked - see http://cbl.abuseat.org/lookup.cgi?ip=192.0.2.25', 'blocklist', 'blocklist-lookup-url'],
  // Road Runner's refusal as a Postfix client logged it on a forum, the IP stripped from the query
  ['connect', '554 5.7.1 - ERROR: Mail refused - <> - See http://security.rr.com/cgi-bin/block-lookup?', 'blocklist', 'blocklist-lookup-url'],
  [
    'connect',
    'Mar 19 11:42:46 server1 postfix/smtp[11224]: E5B903CC13C: host cdptpa-smtpin01.mail.rr.com[192.0.2.243] refused to talk to me: 554 5.7.1 - ERROR: Mail refused - <> - See http://security.rr.com/cgi-bin/block-lookup?',
    'blocklist',
    'blocklist-lookup-url',
  ],
];

/** Near misses: ip= in a help page's query, but the page is about a policy, SPF, a mailbox or a provider code. */
const LOOKUP_URL_NOT: Case[] = [
  // policyd-spf's default reject text
  ['rcpt', '550 5.7.1 <b@example.org>: Recipient address rejected: Please see http://www.openspf.net/Why?s=mfrom;id=a%40example.net;ip=192.0.2.1;r=mx.example.org', 'policy'],
  // 1&1's policy refusal with its explanation page
  ['mail', '550-Requested action not taken: mailbox unavailable\n550-Reject due to policy restrictions.\n550 For explanation visit http://postmaster.1and1.com/en/error-messages?ip=192.0.2.54&c=poli', 'policy'],
  // Facebook's RCP-T4: the recipient account
  ['rcpt', '421 4.7.1 RCP-T4 http://postmaster.facebook.com/response_codes?ip=192.0.2.213#unavailable Recipient account is unavailable', 'recipient'],
];

const PREFIX_AND_LISTS: Case[] = [
  // Postfix check_*_access with a bare "450 Try again later" action: the prefix names the restriction, not a reason
  ['rcpt', '450 4.7.1 <mx.example.net[192.0.2.7]>: Client host rejected: Try again later', 'greylist', 'greylist-try-later'],
  // Sisimai's index of sender refusals ("sender is in my black list"): the receiver's own list of senders
  ['mail', '550 Sender is in my black list', 'policy'],
  // a named policy that fired (constructed: no real text other than blind13's row was found)
  ['rcpt', '554 5.7.1 Policy triggered', 'policy', 'policy-text'],
];

/** Near misses: a client host or sender rejected with a reason; an IP or a sender on a DNSBL. */
const PREFIX_AND_LISTS_NOT: Case[] = [
  ['rcpt', '451 4.7.1 <mx.example.jp[192.0.2.2]>: Client host rejected: Please try again slower', 'rate-limit'],
  ['rcpt', '554 5.7.1 <unknown[192.0.2.11]>: Client host rejected: Access denied', 'policy', 'policy-text'],
  // Baruwa's DNSBL refusal (blind4, spent): a list named by its DNS zone is a DNSBL even when "the sender" is on it
  ['rcpt', '550 The sender is in a black list rbl.baruwa.net', 'blocklist', 'blocklist-text'],
  // constructed: the client's IP on a list, said the way the sender-list texts say it
  ['rcpt', '550 5.7.1 Sender IP is on our blacklist', 'blocklist'],
  ['rcpt', '554 5.7.1 Service unavailable; Sender address [a@spam.example] blocked using dbl.spamhaus.org', 'blocklist', 'blocklist-text'],
];

describe('session-10 rule changes (issue 13: no reason given, lookup pages, Postfix prefixes)', () => {
  it.each([...NO_REASON, ...NO_REASON_NOT, ...LOOKUP_URL, ...LOOKUP_URL_NOT, ...PREFIX_AND_LISTS, ...PREFIX_AND_LISTS_NOT])(
    '%s %s -> %s',
    (stage, reply, cause, rule) => {
      const c = classifyReply(stage, reply);
      expect(c.cause).toBe(cause);
      if (rule !== undefined) expect(c.rule).toBe(rule);
    },
  );

  it.each([...NO_REASON_NOT, ...LOOKUP_URL_NOT, ...PREFIX_AND_LISTS_NOT])('%s %s is not decided by a session-10 no-reason or URL rule', (stage, reply) => {
    expect(['no-reason-unavailable', 'no-reason-retry-at-connect', 'blocklist-lookup-url']).not.toContain(classifyReply(stage, reply).rule);
  });

  it('a URL is not a token "with no reason": the link may explain, so the reply keeps its other rules', () => {
    expect(classifyReply('connect', '421 Service not available, see https://status.example.net/1').rule).not.toBe('no-reason-unavailable');
  });

  it('--explain says that no reason was given', () => {
    const e = explainClassification({ stage: 'connect', code: 554, text: 'mx.example.net ESMTP server not available' });
    expect(e.decision.cause).toBe('unknown');
    expect(e.firstRule?.source).toMatch(/^no reason given/);
    // and the connect default, when it decides, says the same of itself
    const d = explainClassification({ stage: 'connect', code: 554, text: 'mx.example.org Connection rejected' });
    expect(d.firstRule?.id).toBe('default-connect-5xx');
    expect(d.firstRule?.source).toMatch(/^no reason given/);
  });

  it('a long reply made of allowed tokens and one stray word is read in linear time and is not "no reason"', () => {
    // each token matches one alternative in one way, so a failing match does not backtrack exponentially
    const tokens = Array.from({ length: 4000 }, (_, i) => (i % 3 === 0 ? 'service' : i % 3 === 1 ? `id-${i}.7` : '[EAB]')).join(' ');
    expect(classifyReply('connect', `421 ${tokens} unavailable spam`).rule).not.toBe('no-reason-unavailable');
    expect(classifyReply('connect', `421 ${tokens} unavailable`).rule).toBe('no-reason-unavailable');
  });

  it('hostile replies made of URLs are read (the URL parts are bounded), and decided by the other rules', () => {
    for (const text of ['http://'.repeat(9000), `http://a/lookup${'a'.repeat(60000)}`, `http://x/?${'a=b&'.repeat(15000)}`]) {
      expect(classifyReply('connect', `550 ${text}`).rule).not.toBe('blocklist-lookup-url');
    }
    expect(classifyReply('connect', `550 Blocked - see http://x.example/?${'a=b&'.repeat(5)}ip=192.0.2.1`).rule).toBe('blocklist-lookup-url');
  });
});
