/**
 * Widened vectors beyond the shared corpus: real reply texts of Postfix, Exim, Sendmail, Haraka,
 * Gmail, Microsoft, Yahoo, appliances and greylisting daemons, each with its source, plus the
 * stage-dependent defaults and the rule-table invariants.
 */
import { describe, expect, it } from 'vitest';
import { CAUSES, classify, enhancedOf, normaliseText } from '../../src/analysis/classify.js';
import { RULES } from '../../src/analysis/classify-rules.js';
import { REMEDIES } from '../../src/analysis/remedies.js';
import { parseClassifyInput } from '../../src/analysis/log-line.js';
import { readBlindTsv } from '../helpers/blind-tsv.js';
import type { Cause, Outcome, Stage } from '../../src/results.js';

type V = [stage: Stage | null, reply: string, outcome: Outcome, cause: Cause, source: string];

const VECTORS: V[] = [
  // Session 5 (issue 13): a HELO claiming the receiver's own name or address ("You are not me", "bogus HELO
  // name used" with our name, "Fake HELO (you used our own hostname)") is helo-policy, the blind sets'
  // convention; these four were labelled helo-mismatch by earlier sessions.
  // ── Postfix smtpd restrictions (smtpd_check.c texts) ──
  ['rcpt', '504 5.5.2 <mail>: Helo command rejected: need fully-qualified hostname', 'rejected', 'helo-not-fqdn', 'Postfix reject_non_fqdn_helo_hostname, short name'],
  ['rcpt', '554 5.7.1 <mx.example.org>: Helo command rejected: You are not me', 'rejected', 'helo-policy', 'Postfix check_helo_access common "You are not me"'],
  ['rcpt', '550 5.7.1 <192.0.2.7>: Helo command rejected: Go away, you are not [192.0.2.9]', 'rejected', 'helo-policy', 'Postfix check_helo_access impersonation text'],
  ['rcpt', '550 5.7.1 <host.example.net>: Helo command rejected: Your HELO does not match your IP address', 'rejected', 'helo-mismatch', 'Postfix check_helo_access custom mismatch text (session 5: the postfix-helo-mismatch split)'],
  ['rcpt', '554 5.7.1 <helo.example>: Helo command rejected: Internal policy', 'rejected', 'helo-policy', 'Postfix check_helo_access custom text'],
  ['rcpt', '450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.7]', 'deferred', 'fcrdns-fail', 'Postfix < 3.6 reject_unknown_client_hostname (4.7.1)'],
  ['rcpt', '550 5.7.25 Client host rejected: cannot find your hostname, [192.0.2.7]', 'rejected', 'fcrdns-fail', 'Postfix reject_unknown_client_hostname, unknown_client_reject_code=550'],
  ['rcpt', '550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.7]', 'rejected', 'no-ptr', 'Postfix reject_unknown_reverse_client_hostname, 550'],
  ['rcpt', '554 5.7.1 <unknown[192.0.2.7]>: Client host rejected: Access denied', 'rejected', 'policy', 'Postfix check_client_access REJECT'],
  ['rcpt', '450 4.1.8 <a@nx.example>: Sender address rejected: Domain not found', 'deferred', 'policy', 'Postfix reject_unknown_sender_domain'],
  ['rcpt', '504 5.5.2 <a>: Sender address rejected: need fully-qualified address', 'rejected', 'policy', 'Postfix reject_non_fqdn_sender'],
  ['rcpt', '550 5.1.2 <b@nx.example>: Recipient address rejected: Domain not found', 'rejected', 'recipient', 'Postfix reject_unknown_recipient_domain'],
  ['rcpt', '550 5.1.1 <b@example.org>: Recipient address rejected: User unknown in virtual mailbox table', 'rejected', 'recipient', 'Postfix virtual_mailbox_maps'],
  ['rcpt', '550 5.1.1 <b@example.org>: Recipient address rejected: User unknown in relay recipient table', 'rejected', 'recipient', 'Postfix relay_recipient_maps'],
  ['rcpt', '450 4.1.1 <b@example.org>: Recipient address rejected: undeliverable address: host mx[192.0.2.2] said: 550 no such user', 'deferred', 'recipient', 'Postfix reject_unverified_recipient'],
  ['rcpt', '554 5.7.1 <b@example.org>: Recipient address rejected: Access denied', 'rejected', 'policy', 'Postfix check_recipient_access REJECT'],
  ['rcpt', '554 5.7.1 Service unavailable; Sender address [a@spam.example] blocked using dbl.spamhaus.org', 'rejected', 'blocklist', 'Postfix reject_rhsbl_sender'],
  ['rcpt', '554 5.7.1 Service unavailable; Helo command [spam.example] blocked using dbl.spamhaus.org', 'rejected', 'blocklist', 'Postfix reject_rhsbl_helo'],
  ['rcpt', '554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using b.barracudacentral.org', 'rejected', 'blocklist', 'Postfix reject_rbl_client with Barracuda BRBL'],
  ['rcpt', '454 4.7.1 <b@example.net>: Relay access denied', 'deferred', 'relay-denied', 'Postfix defer_unauth_destination'],
  ['mail', '530 5.7.0 Must issue a STARTTLS command first', 'rejected', 'tls-required', 'Postfix smtpd_tls_security_level=encrypt'],
  ['rcpt', '530 5.7.0 Session encryption is required', 'rejected', 'tls-required', 'Postfix reject_plaintext_session'],
  ['rcpt', '501 <postmaster@[127.0.0.26]>: domain literals not allowed', 'rejected', 'recipient', 'Exim allow_domain_literals = false: the default recipient of an IP target, not the HELO'],
  ['starttls', '454 4.7.0 TLS not available due to local problem', 'deferred', 'tls-unavailable', 'Postfix STARTTLS failure: the receiver\'s TLS is broken, not a TLS requirement'],
  ['connect', '421 4.7.0 mx.example.org Error: too many connections from 192.0.2.7', 'deferred', 'rate-limit', 'Postfix smtpd_client_connection_count_limit (anvil)'],
  ['mail', '450 4.7.1 Error: too much mail from 192.0.2.7', 'deferred', 'rate-limit', 'Postfix smtpd_client_message_rate_limit'],
  ['rcpt', '452 4.5.3 Error: too many recipients', 'deferred', 'rate-limit', 'Postfix smtpd_recipient_limit'],
  ['rcpt', '503 5.5.0 <b@example.org>: Recipient address rejected: Improper use of SMTP command pipelining', 'rejected', 'policy', 'Postfix reject_unauth_pipelining'],
  ['rcpt', '451 4.3.5 Server configuration problem', 'deferred', 'unknown', 'Postfix server configuration error'],
  ['rcpt', '451 4.3.0 <b@example.org>: Temporary lookup failure', 'deferred', 'unknown', 'Postfix table lookup failure'],
  ['ehlo', '502 5.5.2 Error: command not recognized', 'rejected', 'unknown', 'Postfix unknown command: not a HELO policy'],
  // ── postscreen ──
  ['connect', '521 5.7.1 Service unavailable; client [192.0.2.7] blocked using bl.spamcop.net', 'rejected', 'blocklist', 'postscreen dnsbl drop, SpamCop'],
  ['connect', '421 4.3.2 All server ports are busy', 'deferred', 'rate-limit', 'postscreen / smtpd overload'],
  ['rcpt', '450 4.3.2 Service currently unavailable', 'deferred', 'greylist', 'postscreen after-220 tests defer the first session'],
  ['rcpt', '550 5.3.2 Service currently unavailable', 'rejected', 'unknown', 'postscreen enforce: the reason is only in the server log'],
  ['connect', '521 5.5.1 Protocol error', 'rejected', 'policy', 'postscreen pregreet/bare newline drop'],
  // ── Exim ──
  ['rcpt', '550 relay not permitted', 'rejected', 'relay-denied', 'Exim default configure "relay not permitted"'],
  ['rcpt', '550 Unrouteable address', 'rejected', 'recipient', 'Exim verify = recipient'],
  ['rcpt', '550 rejected because 192.0.2.7 is in a black list at zen.spamhaus.org', 'rejected', 'blocklist', 'Exim dnslists example message'],
  ['rcpt', '550 192.0.2.7 is listed at bl.spamcop.net (127.0.0.2: Blocked)', 'rejected', 'blocklist', 'Exim dnslists "$sender_host_address is listed at $dnslist_domain"'],
  ['connect', '421 mx.example.org Too many concurrent SMTP connections; please try again later.', 'deferred', 'rate-limit', 'Exim smtp_accept_max'],
  ['connect', '421 mx.example.org Too many concurrent SMTP connections from this IP address; please try again later.', 'deferred', 'rate-limit', 'Exim smtp_accept_max_per_host'],
  ['helo', '501 Syntactically invalid HELO argument(s)', 'rejected', 'helo-syntax', 'Exim HELO syntax check'],
  ['rcpt', '550-Verification failed for <a@nx.example>\n550-Unrouteable address\n550 Sender verify failed', 'rejected', 'policy', 'Exim verify = sender'],
  ['mail', '451 Temporary local problem - please try later', 'deferred', 'unknown', 'Exim temporary local problem'],
  ['rcpt', '451 Sender rate overlimit - 120.5 / 1h', 'deferred', 'rate-limit', 'Exim ratelimit ACL'],
  ['rcpt', '451 192.0.2.7 is not yet authorized to deliver mail from <a@example.net> to <b@example.org>. Please try later.', 'deferred', 'greylist', 'Exim + greylistd example ACL'],
  ['ehlo', '550 Access denied - Invalid HELO name (See RFC2821 4.1.1.1)', 'rejected', 'helo-syntax', 'cPanel Exim ACL'],
  ['ehlo', '550 Your HELO name is not a FQDN', 'rejected', 'helo-not-fqdn', 'common Exim ACL text'],
  ['ehlo', '550 Fake HELO (you used our own hostname)', 'rejected', 'helo-policy', 'common Exim ACL against own-name HELO'],
  ['rcpt', '550 Reverse DNS lookup failed for host 192.0.2.7', 'rejected', 'fcrdns-fail', 'Exim verify = reverse_host_lookup'],
  ['connect', '554 SMTP synchronization error', 'rejected', 'policy', 'Exim early talker'],
  ['rcpt', '550 Restricted characters in address', 'rejected', 'recipient', 'Exim default configure local-part check'],
  // ── Sendmail ──
  ['rcpt', '550 5.7.1 <b@example.net>... Relaying denied', 'rejected', 'relay-denied', 'Sendmail'],
  ['rcpt', '550 5.7.1 <b@example.net>... Relaying denied. IP name lookup failed [192.0.2.7]', 'rejected', 'relay-denied', 'Sendmail relaying with no PTR: the relay refusal is what matters'],
  ['rcpt', '550 5.1.1 <b@example.org>... User unknown', 'rejected', 'recipient', 'Sendmail'],
  ['connect', '554 5.7.1 Rejecting connections from 192.0.2.7 (TLS required)', 'rejected', 'tls-required', 'Sendmail access db TLS requirement'],
  ['mail', '553 5.1.8 <a@nx.example>... Domain of sender address a@nx.example does not exist', 'rejected', 'policy', 'Sendmail sender domain check'],
  ['connect', '550 5.7.1 Mail from 192.0.2.7 refused by blackhole site zen.spamhaus.org', 'rejected', 'blocklist', 'Sendmail FEATURE(dnsbl)'],
  ['connect', '421 4.3.2 Connection rate limit exceeded.', 'deferred', 'rate-limit', 'Sendmail FEATURE(ratecontrol)'],
  ['connect', '421 4.3.2 Too many open connections.', 'deferred', 'rate-limit', 'Sendmail FEATURE(conncontrol)'],
  ['helo', '501 5.0.0 Invalid domain name', 'rejected', 'helo-syntax', 'Sendmail HELO check'],
  ['ehlo', '550 5.7.1 bogus HELO name used: mx.example.org', 'rejected', 'helo-policy', 'Sendmail FEATURE(block_bad_helo) with the receiver\'s own name'],
  // ── Haraka ──
  ['ehlo', '550 HELO host name invalid', 'rejected', 'helo-not-fqdn', 'Haraka helo.checks valid_hostname (bad TLD / public suffix)'],
  ['ehlo', '550 That HELO not allowed here', 'rejected', 'helo-policy', 'Haraka helo.checks match_re'],
  ['ehlo', '550 Big company w/o rDNS? Unlikely.', 'rejected', 'helo-mismatch', 'Haraka helo.checks big_company'],
  ['ehlo', '550 HELO IP literal not in the same /24 as your IP address', 'rejected', 'helo-mismatch', 'Haraka helo.checks literal_mismatch=2'],
  ['ehlo', '550 HELO host has no forward DNS match', 'rejected', 'helo-mismatch', 'Haraka helo.checks forward_dns'],
  ['ehlo', '451 DNS timeout resolving your HELO hostname', 'deferred', 'helo-not-resolving', 'Haraka helo.checks forward_dns DENYSOFT'],
  ['ehlo', '550 That HELO hostname fails FCrDNS', 'rejected', 'helo-mismatch', 'Haraka helo.checks (older text)'],
  ['ehlo', '550 HELO host mail-192-0-2-7.example.net looks dynamic', 'rejected', 'helo-policy', 'Haraka helo.checks dynamic (older text)'],
  ['ehlo', '550 Bad HELO: forward and reverse DNS don\'t match', 'rejected', 'helo-mismatch', 'Haraka helo.checks (older text)'],
  ['rcpt', '450 Greylisted, please try again', 'deferred', 'greylist', 'Haraka greylist plugin'],
  ['connect', '550 client [192.0.2.7] is listed on zen.spamhaus.org', 'rejected', 'blocklist', 'Haraka dnsbl'],
  // ── Gmail ──
  ['rcpt', '550-5.7.1 [192.0.2.7] Our system has detected that this message is likely unsolicited mail.\n550-5.7.1 To reduce the amount of spam sent to Gmail, this message has been\n550 5.7.1 blocked. https://support.google.com/mail/?p=UnsolicitedMessageError', 'rejected', 'blocklist', 'Gmail 5.7.1 unsolicited mail'],
  ['rcpt', '421-4.7.28 [192.0.2.7] Our system has detected an unusual rate of unsolicited mail\n421-4.7.28 originating from your IP address. To protect our users from spam, mail\n421 4.7.28 sent from your IP address has been temporarily rate limited.', 'deferred', 'rate-limit', 'Gmail 4.7.28'],
  ['rcpt', '550-5.7.26 This mail is unauthenticated, which poses a security risk to the\n550 5.7.26 sender and Gmail users, and has been blocked.', 'rejected', 'policy', 'Gmail 5.7.26 unauthenticated'],
  ['rcpt', '550-5.1.1 The email account that you tried to reach does not exist. Please try\n550 5.1.1 double-checking the recipient\'s email address for typos', 'rejected', 'recipient', 'Gmail 5.1.1'],
  ['rcpt', '452-4.2.2 The email account that you tried to reach is over quota.', 'deferred', 'recipient', 'Gmail 4.2.2 over quota'],
  ['rcpt', '421-4.7.0 [192.0.2.7] Our system has detected that this message is suspicious due\n421 4.7.0 to the very low reputation of the sending IP address.', 'deferred', 'blocklist', 'Gmail low IP reputation'],
  ['rcpt', '550-5.7.1 [192.0.2.7] The IP you\'re using to send mail is not authorized to\n550-5.7.1 send email directly to our servers. Please use the SMTP relay at your\n550 5.7.1 service provider instead.', 'rejected', 'blocklist', 'Gmail dynamic-range (PBL-like) block'],
  ['mail', '503 5.5.1 EHLO/HELO first.', 'rejected', 'helo-missing', 'Gmail'],
  ['rcpt', '421 4.7.0 TLS required for RCPT domain, closing connection.', 'deferred', 'tls-required', 'Gmail 4.7.0 TLS'],
  // ── Microsoft ──
  ['rcpt', '550 5.7.606 Access denied, banned sending IP [192.0.2.7]. To request removal from this list please visit https://sender.office.com/', 'rejected', 'blocklist', 'Microsoft 5.7.606'],
  ['rcpt', '550 5.7.642 Access denied, banned sending IP', 'rejected', 'blocklist', 'Microsoft 5.7.606-649 range, terse'],
  ['connect', '451 4.7.650 The mail server [192.0.2.7] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775)', 'deferred', 'rate-limit', 'Outlook.com 4.7.650'],
  ['rcpt', '550 5.7.1 Service unavailable, Client host [192.0.2.7] blocked using Spamhaus. To request removal from this list see https://www.spamhaus.org/query/ip/192.0.2.7 (AS3130)', 'rejected', 'blocklist', 'Exchange Online'],
  ['rcpt', '550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DM6NAM12FT001.eop-nam12.prod.protection.outlook.com]', 'rejected', 'recipient', 'Exchange Online DBEB'],
  ['rcpt', '550 5.4.1 Relay Access Denied ATTR36 [example.prod.protection.outlook.com]', 'rejected', 'relay-denied', 'Exchange Online non-accepted domain'],
  ['rcpt', '451 4.7.500 Server busy. Please try again later from [192.0.2.7]. (S77714) [example.prod.protection.outlook.com]', 'deferred', 'rate-limit', 'Exchange Online throttling'],
  ['rcpt', '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', 'rejected', 'recipient', 'Exchange Online'],
  ['rcpt', '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain', 'rejected', 'relay-denied', 'Exchange Online'],
  ['ehlo', '501 5.5.4 Invalid domain name', 'rejected', 'helo-syntax', 'Exchange on-premises EHLO check'],
  ['mail', '503 5.5.2 Send hello first', 'rejected', 'helo-missing', 'Exchange on-premises'],
  ['connect', '421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel', 'deferred', 'rate-limit', 'Exchange Online'],
  ['rcpt', '550 5.7.509 Access denied, sending domain example.net does not pass DMARC verification and has a DMARC policy of reject.', 'rejected', 'policy', 'Exchange Online DMARC'],
  // ── Yahoo / AOL ──
  ['connect', '421 4.7.1 [TSS09] All messages from 192.0.2.7 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes', 'deferred', 'blocklist', 'Yahoo TSS09'],
  ['connect', '554 Message not allowed - [PH01] Email not accepted for policy reasons. Please visit https://postmaster.yahooinc.com/error-codes', 'rejected', 'policy', 'Yahoo PH01'],
  ['connect', '553 5.7.1 [BL23] Connections not accepted from IP addresses on Spamhaus XBL; see https://postmaster.yahooinc.com/error-codes', 'rejected', 'blocklist', 'Yahoo BL23'],
  ['rcpt', '554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes', 'rejected', 'policy', 'Yahoo 5.7.9'],
  ['rcpt', '554 delivery error: dd This user doesn\'t have a yahoo.com account (b@yahoo.com) [0] - mta1.mail.example', 'rejected', 'recipient', 'Yahoo unknown user'],
  // ── Appliances ──
  ['rcpt', '550 5.7.1 Reject for policy reason', 'rejected', 'policy', 'Proofpoint'],
  ['connect', '554 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.7', 'rejected', 'blocklist', 'Proofpoint IP reputation'],
  ['connect', '554 Your access to this mail system has been rejected due to the sending MTA\'s poor reputation. If you believe that this failure is in error, please contact the intended recipient via alternate means.', 'rejected', 'blocklist', 'Cisco IronPort SenderBase'],
  ['rcpt', '550 #5.1.0 Address rejected.', 'rejected', 'recipient', 'Cisco IronPort LDAP accept'],
  ['rcpt', '451 Please try again later', 'deferred', 'greylist', 'Barracuda/Proofpoint greylisting'],
  ['rcpt', '451 Internal resource temporarily unavailable - https://community.mimecast.com/docs/DOC-1369#451', 'deferred', 'greylist', 'Mimecast greylisting'],
  ['connect', '554 Connection refused by mx.example.org. 192.0.2.7 is listed by zen.spamhaus.org', 'rejected', 'blocklist', 'generic appliance DNSBL'],
  ['connect', '554 Service unavailable; Client host [192.0.2.7] blocked using Barracuda Reputation; http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.7', 'rejected', 'blocklist', 'Barracuda BRBL'],
  ['connect', '550 5.7.1 Service unavailable; client [192.0.2.7] blocked using Trend Micro Email Reputation database.', 'rejected', 'blocklist', 'Trend Micro ERS'],
  ['connect', '421 Too many concurrent SMTP connections from your IP, try again later', 'deferred', 'rate-limit', 'Cisco IronPort HAT'],
  // ── Greylisting daemons ──
  ['rcpt', '451 4.7.1 Greylisting in action, please come back in 00:05:00', 'deferred', 'greylist', 'milter-greylist'],
  ['rcpt', '450 4.7.1 <b@example.org>: Recipient address rejected: Greylisted for 300 seconds (see http://isg.ee.ethz.ch/tools/postgrey/help/example.org.html)', 'deferred', 'greylist', 'postgrey newer text'],
  ['rcpt', '451 4.7.1 Try again later', 'deferred', 'greylist', 'rspamd greylist default message'],
  ['rcpt', '450 4.7.1 <b@example.org>: Recipient address rejected: Greylisted by SQLgrey-1.8.0', 'deferred', 'greylist', 'sqlgrey'],
  ['rcpt', '450 4.7.1 <b@example.org>: Recipient address rejected: Service is unavailable', 'deferred', 'greylist', 'Postfix SMTPD_POLICY_README greylist.pl "defer_if_permit Service is unavailable"'],
  // ── Log lines as input (parseClassifyInput gives the stage) ──
  [null, 'postfix/smtpd[9]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 550 5.7.1 <mx.example.org>: Helo command rejected: Host not found; from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<mx.example.org>', 'rejected', 'helo-not-resolving', 'Postfix smtpd log, unknown_hostname_reject_code=550'],
  [null, 'postfix/smtpd[9]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 501 5.5.2 <foo_bar>: Helo command rejected: Invalid name; from=<a@example.net> to=<b@example.org> proto=SMTP helo=<foo_bar>', 'rejected', 'helo-syntax', 'Postfix smtpd log, reject_invalid_helo_hostname'],
  [null, 'postfix/smtp[5]: 1A2B: to=<b@example.org>, relay=mx.example.org[192.0.2.1]:25, dsn=4.7.0, status=deferred (host mx.example.org[192.0.2.1] refused to talk to me: 421 4.7.0 [TS01] Messages from 192.0.2.7 temporarily deferred due to user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes)', 'deferred', 'rate-limit', 'Postfix smtp log of a Yahoo TS01 banner'],
  [null, 'postfix/smtp[5]: 1A2B: to=<b@gmail.com>, status=deferred (host gmail-smtp-in.l.google.com[192.0.2.26] said: 421-4.7.0 Try again later, closing connection. 421 4.7.0 (EHLO) (in reply to EHLO command))', 'deferred', 'rate-limit', 'Postfix smtp log of Gmail throttling (multi-line joined by Postfix)'],
  // ── qmail and odd corners ──
  ['rcpt', "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", 'rejected', 'relay-denied', 'qmail-smtpd rcpthosts'],
  ['rcpt', '550 sorry, no mailbox here by that name. (#5.1.1)', 'rejected', 'recipient', 'qmail / vpopmail'],
  ['ehlo', '550 Your HELO hostname does not resolve to your IP address', 'rejected', 'helo-mismatch', 'common Exim ACL text'],
  ['connect', '550 5.7.1 Your IP 192.0.2.7 has no reverse DNS (PTR) record', 'rejected', 'no-ptr', 'common ACL text'],
  ['rcpt', '554 5.7.1 rDNS missing for 192.0.2.7', 'rejected', 'no-ptr', 'common ACL text'],
  ['rcpt', '550 5.7.25 Reverse DNS validation failed', 'rejected', 'fcrdns-fail', 'RFC 7372 X.7.25 wording'],
  ['mail', '530 5.7.11 Encryption required for requested authentication mechanism', 'rejected', 'tls-required', 'RFC 5248 X.7.11'],
  ['mail', '550 Not now', 'rejected', 'policy', 'default: permanent refusal of MAIL FROM'],
  ['rcpt', '553 Requested action not taken', 'rejected', 'recipient', 'default: 553 mailbox name not allowed (RFC 5321 §4.2.3)'],
  ['mail', '501 5.1.7 Bad address', 'rejected', 'policy', 'RFC 3463 X.1.7 at MAIL'],
  ['rcpt', '451 4.7.1 Please come back later', 'deferred', 'greylist', 'Haraka greylist variant'],
  ['mail', '503 5.5.1 Bad sequence of commands: need HELO', 'rejected', 'helo-missing', '503 at MAIL mentioning HELO'],
  ['rcpt', '452 4.5.3 Recipient limit reached', 'deferred', 'rate-limit', 'RFC 3463 X.5.3 too many recipients'],
  ['rcpt', '504 5.5.2 <b>: Recipient address rejected: need fully-qualified address', 'rejected', 'recipient', 'Postfix reject_non_fqdn_recipient'],
  ['helo', '501 Bad argument', 'rejected', 'helo-syntax', 'default: 501 at HELO (RFC 5321 §4.2.2)'],
  ['rcpt', '554 Transaction failed', 'rejected', 'policy', 'default: 554 at RCPT'],
  ['ehlo', '501 5.0.0 HELO requires domain address', 'rejected', 'helo-syntax', 'Sendmail HELO without argument'],
  ['ehlo', '550 HELO name must not be an IP address', 'rejected', 'helo-syntax', 'common ACL against bare-IP HELO'],
  ['ehlo', '550 HELO argument invalid: address literal does not match connecting IP', 'rejected', 'helo-mismatch', 'common ACL literal check: the mismatch is the reason'],
  ['ehlo', '550 Invalid HELO hostname: must be FQDN', 'rejected', 'helo-not-fqdn', 'common ACL text'],
  ['ehlo', '550 5.7.1 HELO rejected: your hostname looks like a dynamic IP', 'rejected', 'helo-policy', 'common ACL dynamic-name text'],
  ['rcpt', '550 5.7.1 <b@example.org>: Recipient address rejected: Message rejected due to: SPF fail - not authorized', 'rejected', 'policy', 'postfix-policyd-spf-python'],
  ['rcpt', '550 Requested action not taken: mailbox unavailable', 'rejected', 'recipient', 'Exchange/IIS SMTP'],
  ['mail', '553 5.7.1 <a@example.net>: Sender address rejected: not logged in', 'rejected', 'policy', 'Postfix reject_sender_login_mismatch'],
  ['connect', '554 5.7.1 Rejected - see http://www.spamhaus.org/query/bl?ip=192.0.2.7', 'rejected', 'blocklist', 'appliance with a Spamhaus lookup URL'],
  ['rcpt', '550 5.7.1 Your server has no PTR record', 'rejected', 'no-ptr', 'common ACL text'],
  // ── Stage-dependent defaults ──
  ['ehlo', '550 5.7.1 Go away', 'rejected', 'helo-policy', 'default: an unexplained refusal at EHLO is about the HELO'],
  ['helo', '554 Sorry', 'rejected', 'helo-policy', 'default: an unexplained refusal at HELO is about the HELO'],
  ['rcpt', '550 5.7.1 Go away', 'rejected', 'policy', 'default: 5.7.x at RCPT is policy (RFC 3463 §3.8)'],
  ['rcpt', '550 Go away', 'rejected', 'unknown', 'default: a bare 550 at RCPT could be recipient or policy (RFC 5321 §4.2.3)'],
  ['rcpt', '550 5.1.1 Go away', 'rejected', 'recipient', 'default: X.1.1 at RCPT (RFC 3463)'],
  // Sixth round (session 5, short): a bare host name gives no reason (was policy): four real replies of this form (blind7,
  // blind8b) were labelled unknown by every labeller who saw them. The default still holds below.
  ['connect', '554 mx.example.org', 'rejected', 'unknown', 'RFC 5321 §3.1: 554 instead of 220, no reason given'],
  ['connect', '554 mx.example.org Connection rejected', 'rejected', 'policy', 'default: 554 instead of 220 (RFC 5321 §3.1)'],
  ['connect', '421 mx.example.org Service not available, closing transmission channel', 'deferred', 'unknown', 'default: unexplained 421'],
  ['ehlo', '421 4.4.2 mx.example.org Error: timeout exceeded', 'deferred', 'unknown', 'Postfix idle timeout at EHLO: not a HELO policy'],
  // ── Cue words: replies reworded past every phrase rule still name their subject ──
  ['rcpt', '554 5.7.1 This server does not accept relayed mail from your network', 'rejected', 'relay-denied', 'cue: relaying named'],
  ['rcpt', '550 5.7.1 Relaying from 192.0.2.7 via this host is not possible', 'rejected', 'relay-denied', 'cue: relaying named'],
  ['connect', '550 5.7.1 Forward lookup of your PTR name does not point back to 192.0.2.7', 'rejected', 'fcrdns-fail', 'cue: PTR plus forward confirmation'],
  ['connect', '554 Your IP has no usable reverse mapping; see our postmaster page', 'rejected', 'no-ptr', 'cue: reverse mapping named'],
  ['connect', '550 Sorry, we need a reverse DNS record for 192.0.2.7', 'rejected', 'no-ptr', 'cue: reverse DNS record named'],
  ['rcpt', '550 5.2.1 Mailbox temporarily deactivated by the owner', 'rejected', 'recipient', 'cue: mailbox with a state word'],
  ['rcpt', '552 5.2.2 The account user@example.org has exceeded its storage quota', 'rejected', 'recipient', 'cue: quota at RCPT'],
  ['rcpt', '530 5.7.0 SMTP authentication is required for this recipient', 'rejected', 'relay-denied', 'rule relay-auth-required-at-rcpt: SMTP AUTH demanded at RCPT TO (hMailServer/spamdyke wording)'],
  ['connect', '554 5.7.1 Connections from known spammers are not accepted', 'rejected', 'blocklist', 'cue: spam source'],
  ['rcpt', '451 4.7.1 Sorry', 'deferred', 'policy', 'default: 4.7.x at RCPT is policy'],
  // Session 7: Postfix address verification quotes the verified address's own server; a quoted greylisting is
  // about that server answering the verification probe, not about us (ADDRESS_VERIFICATION_README).
  ['rcpt', '450 4.1.1 <a@example.org>: Recipient address rejected: unverified address: host mx.example.org[192.0.2.5] said: 451 4.7.1 Greylisted, please try again later', 'deferred', 'recipient', 'Postfix reject_unverified_recipient quoting a greylisting next hop'],
  ['ehlo', '501 5.5.2 <bad..name>: invalid', 'rejected', 'helo-syntax', 'default: 501 / X.5.2 at EHLO'],
  [null, '550 5.7.1 Go away', 'rejected', 'policy', 'no stage: only the enhanced class'],
  ['rcpt', '250 2.1.5 Recipient OK', 'accepted', 'none', 'accepted'],
  ['connect', '220 mx.example.org ESMTP', 'accepted', 'none', 'accepted banner'],
  ['rcpt', '354 go ahead', 'accepted', 'none', '3xx is positive intermediate (RFC 5321 §4.2.1)'],
  // Session 3 rules, each with a row of the development set (test/fixtures/blind5.tsv) that needs it.
  ['helo', '421 blacklisted identity', 'deferred', 'helo-policy', 'ghsmtp verify_client: the HELO name is on its list (blind5)'],
  ['connect', '450 4.7.1 host mail.example.net [192.0.2.1] temporary failure #120', 'deferred', 'unknown', 'smtpf access-map TEMPFAIL (blind5)'],
  ['mail', '503 Issue a reset if you want to start over', 'rejected', 'unknown', 'hMailServer: a protocol complaint, not a refusal of the client (blind5)'],
  ['helo', '421 liar', 'deferred', 'helo-policy', 'ghsmtp: client claims the server\'s own name; an unexplained refusal at HELO is about the name (blind5)'],
];

describe('widened vectors', () => {
  it('has at least 100 vectors with sources', () => {
    expect(VECTORS.length).toBeGreaterThanOrEqual(100);
    for (const v of VECTORS) expect(v[4].length).toBeGreaterThan(0);
  });

  describe.each(VECTORS)('%s %s', (stage, reply, outcome, cause, source) => {
    it(`-> ${outcome}/${cause} [${source}]`, () => {
      const p = parseClassifyInput(reply, stage ?? undefined);
      const c = classify({ stage: p.stage, code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text });
      expect({ outcome: c.outcome, cause: c.cause }).toEqual({ outcome, cause });
      expect(c.remedy).toBe(REMEDIES[cause]);
    });
  });
});

describe('classify semantics', () => {
  it('the same 5.7.1 at RCPT is a HELO cause or a recipient cause depending on the Postfix prefix', () => {
    const helo = classify({ stage: 'rcpt', code: 550, enhanced: '5.7.1', text: '5.7.1 <x>: Helo command rejected: Host not found' });
    const rcpt = classify({ stage: 'rcpt', code: 550, enhanced: '5.7.1', text: '5.7.1 <b@example.org>: Recipient address rejected: User unknown' });
    expect(helo.cause).toBe('helo-not-resolving');
    expect(rcpt.cause).toBe('recipient');
  });

  it('a 550 with opaque text depends on the stage', () => {
    expect(classify({ stage: 'ehlo', code: 550, text: 'No' }).cause).toBe('helo-policy');
    expect(classify({ stage: 'rcpt', code: 550, text: 'No' }).cause).toBe('unknown');
    expect(classify({ stage: 'mail', code: 550, text: 'No' }).cause).toBe('policy');
    expect(classify({ stage: null, code: 550, text: 'No' }).cause).toBe('unknown');
  });

  it('501 at EHLO is helo-syntax but 501 at RCPT is not', () => {
    expect(classify({ stage: 'ehlo', code: 501, text: 'nope' }).cause).toBe('helo-syntax');
    expect(classify({ stage: 'rcpt', code: 501, text: 'nope' }).cause).not.toBe('helo-syntax');
  });

  it('the outcome comes from the code class only', () => {
    expect(classify({ stage: 'rcpt', code: 450, text: 'Relay access denied' }).outcome).toBe('deferred');
    expect(classify({ stage: 'rcpt', code: 554, text: 'Relay access denied' }).outcome).toBe('rejected');
    expect(classify({ stage: 'rcpt', code: null, text: 'Relay access denied' })).toMatchObject({ outcome: 'unknown', cause: 'relay-denied' });
    expect(classify({ stage: 'rcpt', code: 600, text: 'x' })).toMatchObject({ outcome: 'unknown', cause: 'unknown', rule: 'no-rule' });
    expect(classify({ stage: 'rcpt', code: 199, text: 'x' }).outcome).toBe('unknown');
    expect(classify({ stage: 'rcpt', code: 250.5, text: 'x' }).outcome).toBe('unknown');
  });

  it('accepted replies have cause none and no remedy', () => {
    expect(classify({ stage: 'rcpt', code: 250, text: 'Relay access denied' })).toEqual({ outcome: 'accepted', cause: 'none', remedy: null, rule: 'accepted', confidence: 1, decidedBy: 'code' });
  });

  it('matches case-insensitively', () => {
    expect(classify({ stage: 'rcpt', code: 554, text: 'RELAY ACCESS DENIED' }).cause).toBe('relay-denied');
    expect(classify({ stage: 'rcpt', code: 450, text: 'greylisted' }).cause).toBe('greylist');
  });

  it('an explicit enhanced code wins over the text; a mismatched class in the text is ignored', () => {
    expect(classify({ stage: 'rcpt', code: 550, enhanced: '5.7.25', text: 'no' }).cause).toBe('fcrdns-fail');
    // RFC 2034 §4: a 4.x.x in a 5yz reply is not an enhanced code.
    expect(enhancedOf(550, null, '4.7.25 no')).toBeNull();
    expect(enhancedOf(550, undefined, '550 5.7.25 no')).toBe('5.7.25');
    expect(enhancedOf(550, null, '#5.1.0 Address rejected')).toBe('5.1.0');
  });

  it('normalises multi-line text into one sentence without codes', () => {
    expect(normaliseText(550, '550-5.7.25 a PTR\n550-5.7.25 record\r\n550 5.7.25 end')).toBe('a PTR record end');
    expect(normaliseText(null, '  x \n\n y ')).toBe('x y');
  });

  it('every cause has a remedy except none', () => {
    for (const c of CAUSES) {
      if (c === 'none') expect(REMEDIES[c]).toBeNull();
      else expect(REMEDIES[c]).toMatch(/\S/);
    }
  });
});

describe('rule table', () => {
  it('ids are unique and every cause is a known one', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) expect(CAUSES).toContain(r.cause);
  });

  it('every text regex is case-insensitive and not global (a /g regex keeps state between calls)', () => {
    for (const r of RULES) {
      for (const rx of [r.text, r.unless]) {
        if (rx === undefined) continue;
        expect(rx.flags, r.id).toContain('i');
        expect(rx.flags, r.id).not.toContain('g');
      }
      if (r.enhanced) expect(r.enhanced.flags, r.id).not.toContain('g');
    }
  });

  it('every rule is reachable: each decides at least one widened vector or labelled TSV row, rightly', () => {
    const used = new Set<string>();
    for (const [stage, reply] of VECTORS) {
      const p = parseClassifyInput(reply, stage ?? undefined);
      used.add(classify({ stage: p.stage, code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text }).rule);
    }
    // Issue 13 session 4: the family rules were written from the misses of the spent blind sets, so
    // the real replies that need them live in those TSV files (and train7.tsv), not in VECTORS. A row
    // counts only when the rule that decided it gave an accepted cause.
    // Sixth round: blind8/8b (spent, training data) hold the quoted replies its rules came from.
    // Seventh round: blind9/9b (spent) and train10 (providers' documentation) hold the provider codes.
    // Session 7: blind10/10b (spent) hold the quoted replies of its families.
    // Session 8: blind12 (spent after its one blind run; a pin, not training data) holds the reply of greylist-postgrey
    // (docker-mailserver's "Delayed by postgrey"); its other texts are in classify-session8.test.ts.
    // Session 10: blind13/13c (spent after their one blind run in session 9) hold the replies of the no-reason and
    // lookup-URL families (blocklist-lookup-url, no-reason-unavailable); their other texts are in
    // classify-session10.test.ts.
    for (const file of ['blind4', 'blind5', 'blind6', 'train7', 'blind8', 'blind8b', 'blind9', 'blind9b', 'train10', 'blind10', 'blind10b', 'blind12', 'blind13', 'blind13c']) {
      for (const row of readBlindTsv(`test/fixtures/${file}.tsv`)) {
        const p = parseClassifyInput(row.reply, row.stage);
        const c = classify({ stage: p.stage ?? row.stage, code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text });
        if (row.causes.includes(c.cause)) used.add(c.rule);
      }
    }
    const unused = RULES.map((r) => r.id).filter((id) => !used.has(id));
    expect(unused).toEqual([]);
  });
});
