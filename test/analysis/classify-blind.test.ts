/**
 * Blind generalisation set for the refusal classifier: real reply texts (server source code, vendor
 * and provider error-code pages, quoted logs and bounces) that are in neither the shared corpus
 * (/work/shared/reference/reply-corpus.tsv) nor the earlier widened vectors (classify.test.ts);
 * near-duplicates of either were removed. Each expected cause was decided from the meaning of the
 * text before the classifier was run on it; a `//` line above a row justifies an ambiguous call.
 * Outcome follows the reply code class (RFC 5321 §4.2.1). Addresses are documentation addresses.
 *
 * Rows marked `holdout` (every 6th, chosen by position) were set aside before the rules were
 * changed and were not used to tune them: they measure generalisation. Run them alone with
 * `-t holdout`. Measured (cause and outcome both right): before the rule changes 95/148 tuned and
 * 17/30 holdout rows; after, 146/148 tuned and 20/30 holdout. The lead then widened the PTR,
 * empty/invalid-HELO and A-record-mismatch wording families after reading the holdout misses, so
 * the holdout (now 29/30) no longer measures generalisation: treat it as tuned. Rows the
 * classifier still gets wrong carry `miss` and run as expected failures. Since issue 13 these rows
 * also TRAIN the reply model (scripts/train-classifier.mjs): a row that passes now is no evidence
 * of generalisation (the one fixed since, #48, is a training row).
 */
import { runBlindSet, type BlindRow } from '../helpers/blind-set.js';

const ROWS: BlindRow[] = [
  { stage: 'ehlo', reply: '501 5.5.4 HELO/EHLO argument invalid - HELO hostname contains non-ASCII characters (RFC 5321 2.3.5), closing connection', outcome: 'rejected', cause: 'helo-syntax', source: 'Haraka helo.checks valid_hostname (not_ascii)' },
  // the check fires because the name is invalid, so the syntax is the cause
  { stage: 'ehlo', reply: '550 Invalid HELO host cannot achieve forward DNS match', outcome: 'rejected', cause: 'helo-syntax', source: 'Haraka helo.checks forward_dns after valid_hostname failed' },
  { stage: 'helo', reply: '550 HELO protocol mismatch', outcome: 'rejected', cause: 'helo-policy', source: 'Haraka helo.checks proto_mismatch', holdout: true },
  // client changed its HELO between commands: an admin rule, not an IP/PTR mismatch
  { stage: 'ehlo', reply: '550 HELO host host_mismatch(mail.example.org / mx.example.org)', outcome: 'rejected', cause: 'helo-policy', source: 'Haraka helo.checks host_mismatch' },
  // a PTR exists but cannot forward-confirm
  { stage: 'connect', reply: '554 client [192.0.2.7] rejected; invalid TLD in rDNS (host.example.invalid)', outcome: 'rejected', cause: 'fcrdns-fail', source: 'Haraka connect.fcrdns reject.invalid_tld' },
  { stage: 'connect', reply: '554 client [192.0.2.7] rejected; no rDNS', outcome: 'rejected', cause: 'no-ptr', source: 'Haraka connect.fcrdns reject.no_rdns' },
  { stage: 'connect', reply: '421 client [192.0.2.7] rDNS lookup error (Error: queryPtr ESERVFAIL 7.2.0.192.in-addr.arpa)', outcome: 'deferred', cause: 'no-ptr', source: 'Haraka connect.fcrdns reject.no_rdns' },
  { stage: 'connect', reply: '421 client [192.0.2.7] rDNS lookup timeout', outcome: 'deferred', cause: 'no-ptr', source: 'Haraka connect.fcrdns reject.no_rdns' },
  // PTR exists and may confirm; the refusal is an admin rule on its generic shape
  { stage: 'connect', reply: '554 client dsl-192-0-2-7.example.net [192.0.2.7] rejected; generic rDNS, please use your ISPs SMTP relay', outcome: 'rejected', cause: 'policy', source: 'Haraka connect.fcrdns reject.generic_rdns', holdout: true },
  { stage: 'connect', reply: '554 Sorry, no FCrDNS match found', outcome: 'rejected', cause: 'fcrdns-fail', source: 'Haraka connect.fcrdns reject.no_fcrdns' },
  { stage: 'connect', reply: '550 Sorry we could not find address for 192.0.2.7.', outcome: 'rejected', cause: 'no-ptr', source: 'Haraka lookup_rdns.strict reverse NXDOMAIN' },
  { stage: 'connect', reply: '550 Sorry we could not find address for mail.example.net.', outcome: 'rejected', cause: 'fcrdns-fail', source: 'Haraka lookup_rdns.strict forward NXDOMAIN of the PTR name' },
  { stage: 'connect', reply: '554 host [192.0.2.7] is listed on zen.spamhaus.org, b.barracudacentral.org', outcome: 'rejected', cause: 'blocklist', source: 'haraka-plugin-dns-list onConnect' },
  { stage: 'connect', reply: '421 Too many concurrent connections', outcome: 'deferred', cause: 'rate-limit', source: 'Haraka limit concurrency' },
  // a count limit that clears on retry
  { stage: 'rcpt', reply: '450 Too many recipients', outcome: 'deferred', cause: 'rate-limit', source: 'Haraka limit recipients', holdout: true },
  // an admin list of names refused as HELO
  { stage: 'ehlo', reply: '550 I do not believe you are yahoo.com.', outcome: 'rejected', cause: 'helo-policy', source: 'qpsmtpd helo is_in_badhelo' },
  { stage: 'ehlo', reply: '550 Your HELO hostname is not allowed', outcome: 'rejected', cause: 'helo-policy', source: 'qpsmtpd helo is_regex_match' },
  // HELO localhost from a non-loopback IP: the name does not match the client
  { stage: 'ehlo', reply: '550 You are not localhost', outcome: 'rejected', cause: 'helo-policy', source: 'qpsmtpd helo invalid_localhost' },
  { stage: 'ehlo', reply: '550 Plain IP is invalid HELO hostname (RFC 2821)', outcome: 'rejected', cause: 'helo-syntax', source: 'qpsmtpd helo is_plain_ip' },
  { stage: 'ehlo', reply: '550 RFC 2821 allows an address literal, but we do not', outcome: 'rejected', cause: 'helo-policy', source: 'qpsmtpd helo is_address_literal' },
  { stage: 'ehlo', reply: '550 Forged IPs not accepted here', outcome: 'rejected', cause: 'helo-mismatch', source: 'qpsmtpd helo is_forged_literal', holdout: true },
  { stage: 'ehlo', reply: '550 HELO name is not fully qualified. Read RFC 2821', outcome: 'rejected', cause: 'helo-not-fqdn', source: 'qpsmtpd helo is_not_fqdn' },
  { stage: 'ehlo', reply: '550 HELO name contains invalid FQDN characters. Read RFC 1035', outcome: 'rejected', cause: 'helo-syntax', source: 'qpsmtpd helo is_not_fqdn (chars)' },
  { stage: 'ehlo', reply: '550 HELO hostname does not exist', outcome: 'rejected', cause: 'helo-not-resolving', source: 'qpsmtpd helo no_forward_dns NXDOMAIN' },
  { stage: 'ehlo', reply: '550 HELO hostname did not resolve', outcome: 'rejected', cause: 'helo-not-resolving', source: 'qpsmtpd helo no_forward_dns' },
  { stage: 'ehlo', reply: '550 no rDNS for 192.0.2.7', outcome: 'rejected', cause: 'no-ptr', source: 'qpsmtpd helo no_reverse_dns' },
  { stage: 'ehlo', reply: '550 error getting reverse DNS for 192.0.2.7', outcome: 'rejected', cause: 'no-ptr', source: 'qpsmtpd helo no_reverse_dns lookup error', holdout: true },
  { stage: 'mail', reply: '550 5.7.25 No PTR record found', outcome: 'rejected', cause: 'no-ptr', source: 'maddy check.require_matching_rdns' },
  // "source hostname" is the EHLO name maddy compares with the PTR
  { stage: 'mail', reply: '550 5.7.25 rDNS name does not match source hostname', outcome: 'rejected', cause: 'helo-mismatch', source: 'maddy check.require_matching_rdns' },
  { stage: 'mail', reply: '501 5.7.27 Domain in MAIL FROM does not have any MX records', outcome: 'rejected', cause: 'policy', source: 'maddy check.require_mx_record' },
  { stage: 'mail', reply: '501 5.7.27 Domain in MAIL FROM has null MX record', outcome: 'rejected', cause: 'policy', source: 'maddy check.require_mx_record' },
  { stage: 'mail', reply: '550 5.7.0 IP in EHLO is not the same as the actual client IP', outcome: 'rejected', cause: 'helo-mismatch', source: 'maddy check.require_matching_ehlo' },
  { stage: 'mail', reply: '550 5.7.0 No matching A/AAA records found for the EHLO hostname', outcome: 'rejected', cause: 'helo-mismatch', source: 'maddy check.require_matching_ehlo', holdout: true },
  { stage: 'mail', reply: '550 5.7.0 Malformed IP in EHLO', outcome: 'rejected', cause: 'helo-syntax', source: 'maddy check.require_matching_ehlo' },
  { stage: 'mail', reply: '554 5.7.0 Client identity is listed in the used DNSBL', outcome: 'rejected', cause: 'blocklist', source: 'maddy check.dnsbl' },
  { stage: 'rcpt', reply: '554 5.7.1 <s@example.org>: Sender address rejected: Access denied', outcome: 'rejected', cause: 'policy', source: 'Postfix check_sender_access REJECT' },
  { stage: 'rcpt', reply: '450 4.1.1 <user@example.org>: Recipient address rejected: unverified address: host mx.example.org[203.0.113.5] said: 550 5.1.1 user unknown', outcome: 'deferred', cause: 'recipient', source: 'Postfix reject_unverified_recipient' },
  // the HELO name is on a DNS block list: blocklist, not a HELO rule
  { stage: 'rcpt', reply: '554 5.7.1 Service unavailable; Helo command [mail.example.org] blocked using dbl.spamhaus.org; https://www.spamhaus.org/query/dbl?domain=mail.example.org', outcome: 'rejected', cause: 'blocklist', source: 'Postfix reject_rhsbl_helo' },
  { stage: 'rcpt', reply: '554 5.7.1 Service unavailable; Sender address [s@example.org] blocked using dbl.spamhaus.org; https://www.spamhaus.org/query/dbl?domain=example.org', outcome: 'rejected', cause: 'blocklist', source: 'Postfix reject_rhsbl_sender', holdout: true },
  { stage: 'rcpt', reply: '554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.7', outcome: 'rejected', cause: 'blocklist', source: 'Postfix reject_rbl_client (SpamCop)' },
  { stage: 'rcpt', reply: '554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using dnsbl-1.uceprotect.net; IP 192.0.2.7 is UCEPROTECT-Level 1 listed. See http://www.uceprotect.net/rblcheck.php?ipr=192.0.2.7', outcome: 'rejected', cause: 'blocklist', source: 'Postfix reject_rbl_client (UCEPROTECT)' },
  { stage: 'rcpt', reply: '554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using dnsbl.sorbs.net; Currently Sending Spam See: http://www.sorbs.net/lookup.shtml?192.0.2.7', outcome: 'rejected', cause: 'blocklist', source: 'Postfix reject_rbl_client (SORBS)' },
  // "Unverified Client host" describes the PTR, but the refusal is the DNSBL hit
  { stage: 'rcpt', reply: '554 5.7.1 Service unavailable; Unverified Client host [unknown] blocked using zen.spamhaus.org', outcome: 'rejected', cause: 'blocklist', source: 'Postfix reject_rbl_client, client name not verified' },
  // the receiver's own fault
  { stage: 'rcpt', reply: '451 4.3.5 <user@example.org>: Recipient address rejected: Server configuration problem', outcome: 'deferred', cause: 'unknown', source: 'Postfix smtpd_check server error' },
  { stage: 'rcpt', reply: '451 4.7.1 Greylisting in progress, please try again later', outcome: 'deferred', cause: 'greylist', source: 'yermulnik/exim-greylist README (Exim ACL defer)', holdout: true },
  { stage: 'rcpt', reply: '422 4.2.2 Greylisted, please try again in a few moments.', outcome: 'deferred', cause: 'greylist', source: 'Stalwart spamfilter greylist.sieve' },
  { stage: 'rcpt', reply: '451 4.7.1 <user@example.org>: Recipient address rejected: Greylisting in effect, please try again later', outcome: 'deferred', cause: 'greylist', source: 'iRedAPD GREYLISTING_MESSAGE (older default) via Postfix policy' },
  // deliberately vague, but an intentional temporary refusal that asks for a retry is what greylisting is
  // known miss: iRedAPD hides greylisting behind a policy wording; no general rule tells it from a real 4xx policy deferral
  { stage: 'rcpt', reply: '451 4.7.1 <user@example.org>: Recipient address rejected: Intentional policy rejection, please try again later', outcome: 'deferred', cause: 'greylist', source: 'iRedAPD GREYLISTING_MESSAGE (newer default)' },
  { stage: 'rcpt', reply: '554 5.7.1 <user@example.org>: Recipient address rejected: Server IP address has bad reputation. FYI: https://www.senderscore.org/lookup.php?lookup=192.0.2.7', outcome: 'rejected', cause: 'blocklist', source: 'iRedAPD senderscore plugin via Postfix policy' },
  // the PTR name is on the receiver's block list
  { stage: 'rcpt', reply: '554 5.7.1 <user@example.org>: Recipient address rejected: Blacklisted reverse DNS name of server IP address', outcome: 'rejected', cause: 'blocklist', source: 'iRedAPD wblist_rdns' },
  { stage: 'rcpt', reply: '554 5.7.1 <user@example.org>: Recipient address rejected: Blacklisted', outcome: 'rejected', cause: 'blocklist', source: 'iRedAPD amavisd_wblist', holdout: true },
  { stage: 'rcpt', reply: '550-Rejected because 192.0.2.7 is in a black list at zen.spamhaus.org\n550 https://www.spamhaus.org/query/ip/192.0.2.7', outcome: 'rejected', cause: 'blocklist', source: 'Exim ACL (Debian exim4 / vexim config)' },
  { stage: 'rcpt', reply: '550-DNSBL listed at sbl.spamhaus.org\n550 https://www.spamhaus.org/sbl/query/SBL12345', outcome: 'rejected', cause: 'blocklist', source: 'Exim vexim-acl-check-rcpt' },
  { stage: 'rcpt', reply: '550 192.0.2.7 is listed in bl.spamcop.net (Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.7)', outcome: 'rejected', cause: 'blocklist', source: 'Exim ACL example' },
  // a receive-rate limit at the recipient: back off and retry
  { stage: 'rcpt', reply: '450-4.2.1 The user you are trying to contact is receiving email too quickly. Please resend your message at a later time. If the user is able to\n450-4.2.1 receive email at that time, your message will be delivered. For more information, go to Limits for sending & getting email.\n450 4.2.1 - gsmtp', outcome: 'deferred', cause: 'rate-limit', source: 'Gmail SMTP errors and codes (support.google.com/a/answer/3726730)' },
  { stage: 'mail', reply: '450 4.2.1 Peak SMTP relay limit exceeded for this customer. This is a temporary error. - gsmtp', outcome: 'deferred', cause: 'rate-limit', source: 'Gmail SMTP errors and codes' },
  { stage: 'rcpt', reply: '451 4.3.0 Multiple destination domains per transaction is unsupported. Please try again. - gsmtp', outcome: 'deferred', cause: 'policy', source: 'Gmail SMTP errors and codes', holdout: true },
  // the receiver's own trouble, no cause about us
  { stage: 'connect', reply: '421 4.3.0 Temporary System Problem. Try again later. - gsmtp', outcome: 'deferred', cause: 'unknown', source: 'Gmail SMTP errors and codes' },
  // a count limit; the rest go in a later transaction
  { stage: 'rcpt', reply: '452 4.5.3 Your message has too many recipients. For more information regarding Google\'s sending limits, go to Limits for sending & getting email. - gsmtp', outcome: 'deferred', cause: 'rate-limit', source: 'Gmail SMTP errors and codes' },
  // an allowlist-only domain: admin policy, not a block list
  { stage: 'rcpt', reply: '421 4.7.0 IP not in whitelist for RCPT domain, closing connection. - gsmtp', outcome: 'deferred', cause: 'policy', source: 'Gmail SMTP errors and codes' },
  // the why is PTR/forward DNS (as the corpus 5.7.25 row); "rate limited" is only the action
  { stage: 'rcpt', reply: '421-4.7.0 The IP address sending this message does not have a PTR record, or the corresponding forward DNS entry does not point to the sending\n421-4.7.0 IP. To protect our users from spam, email sent from your IP address has been temporarily rate limited.\n421 4.7.0 - gsmtp', outcome: 'deferred', cause: 'fcrdns-fail', source: 'Gmail SMTP errors and codes' },
  // the why is IP reputation; "rate limited" is only the action
  { stage: 'rcpt', reply: '421-4.7.0 This message is suspicious due to the very low reputation of the sending IP address. To protect our users from spam, email sent\n421 4.7.0 from your IP address has been temporarily rate limited. - gsmtp', outcome: 'deferred', cause: 'blocklist', source: 'Gmail SMTP errors and codes' },
  { stage: 'rcpt', reply: '451-4.7.23 [192.0.2.7] The sending IP address for this message doesn\'t have a PTR record, or the PTR record\'s forward DNS entry doesn\'t match\n451 4.7.23 the sending IP address. To protect users from spam, your email has been temporarily rate limited. - gsmtp', outcome: 'deferred', cause: 'fcrdns-fail', source: 'Gmail SMTP errors and codes', holdout: true },
  { stage: 'rcpt', reply: '421-4.7.28 Gmail has detected an unusual rate of email originating from your IP address 192.0.2.7. To protect our users from spam, email sent\n421 4.7.28 from your IP address has been temporarily rate limited. - gsmtp', outcome: 'deferred', cause: 'rate-limit', source: 'Gmail SMTP errors and codes' },
  // a (temporary) block for spam from the IP is a reputation block, not a pace limit
  { stage: 'rcpt', reply: '421-4.7.28 Gmail has detected an unusual amount of unsolicited email originating from your IP address. To protect our users from spam, email\n421 4.7.28 sent from your IP address has been temporarily blocked. - gsmtp', outcome: 'deferred', cause: 'blocklist', source: 'Gmail SMTP errors and codes' },
  { stage: 'rcpt', reply: '550 5.2.1 The user you are trying to contact is receiving email at a rate that prevents additional messages from being delivered. - gsmtp', outcome: 'rejected', cause: 'rate-limit', source: 'Gmail SMTP errors and codes' },
  { stage: 'mail', reply: '550 5.4.5 Daily user sending limit exceeded. - gsmtp', outcome: 'rejected', cause: 'rate-limit', source: 'Gmail SMTP errors and codes' },
  { stage: 'rcpt', reply: '550 5.5.3 Too many recipients for this sender. - gsmtp', outcome: 'rejected', cause: 'rate-limit', source: 'Gmail SMTP errors and codes' },
  // EHLO was sent, with no name: a malformed argument, not a missing command
  { stage: 'ehlo', reply: '501 5.5.4 Empty HELO/EHLO argument not allowed, closing connection. - gsmtp', outcome: 'rejected', cause: 'helo-syntax', source: 'Gmail SMTP errors and codes', holdout: true },
  { stage: 'mail', reply: '503 5.5.1 EHLO/HELO first. An email transaction protocol command was issued out of sequence. - gsmtp', outcome: 'rejected', cause: 'helo-missing', source: 'Gmail SMTP errors and codes' },
  // names HELO only as where the domain was read from
  { stage: 'mail', reply: '550-5.7.0 Email relay denied 192.0.2.7. Invalid credentials for relay for one of the domains in: example.org (as obtained from HELO and\n550-5.7.0 MAIL FROM). Email is being sent from a domain or IP address which isn\'t registered in your Workspace account.\n550 5.7.0 - gsmtp', outcome: 'rejected', cause: 'relay-denied', source: 'Gmail SMTP errors and codes (smtp-relay)' },
  { stage: 'mail', reply: '550 5.7.0 Email sending denied. - gsmtp', outcome: 'rejected', cause: 'policy', source: 'Gmail SMTP errors and codes' },
  { stage: 'mail', reply: '530 5.7.0 Authentication required. - gsmtp', outcome: 'rejected', cause: 'policy', source: 'Gmail SMTP errors and codes' },
  { stage: 'rcpt', reply: '550 5.7.1 The user or domain that you are sending to (or from) has a policy that prohibits the email that you sent. - gsmtp', outcome: 'rejected', cause: 'policy', source: 'Gmail SMTP errors and codes' },
  // names PTR first; IPv6 senders most often lack one. Could also be policy (auth)
  { stage: 'rcpt', reply: '550-5.7.1 [2001:db8::7] This message does not meet IPv6 sending guidelines regarding PTR records and authentication.\n550 5.7.1 - gsmtp', outcome: 'rejected', cause: 'no-ptr', source: 'Gmail SMTP errors and codes', holdout: true },
  { stage: 'rcpt', reply: '550-5.7.1 This message is likely suspicious due to the very low reputation of the sending IP address. To best protect our users from spam,\n550 5.7.1 the message has been blocked. - gsmtp', outcome: 'rejected', cause: 'blocklist', source: 'Gmail SMTP errors and codes' },
  { stage: 'rcpt', reply: '550 5.7.1 This email has been rate limited. - gsmtp', outcome: 'rejected', cause: 'rate-limit', source: 'Gmail SMTP errors and codes' },
  // same meaning as the corpus 5.7.25 row
  { stage: 'rcpt', reply: '550-5.7.25 [192.0.2.7] This message was blocked because the sending IP address doesn\'t have a PTR record, or the forwarding DNS entry doesn\'t\n550 5.7.25 reference the sending IP address. Gmail requires that sending IP addresses have a PTR record. - gsmtp', outcome: 'rejected', cause: 'fcrdns-fail', source: 'Gmail SMTP errors and codes' },
  { stage: 'rcpt', reply: '550-5.7.28 There is an unusual rate of unsolicited email originating from your IP address. To protect our users from spam, email sent from\n550 5.7.28 your IP address has been blocked. - gsmtp', outcome: 'rejected', cause: 'blocklist', source: 'Gmail SMTP errors and codes' },
  // the why is TLS; "rate limited" is only the action
  { stage: 'rcpt', reply: '421-4.7.29 Your email has been rate limited because you\'re not using a TLS connection. Gmail requires all bulk email senders to use TLS/SSL\n421 4.7.29 for SMTP connections. - gsmtp', outcome: 'deferred', cause: 'tls-required', source: 'Gmail SMTP errors and codes' },
  { stage: 'rcpt', reply: '550-5.7.29 This message was blocked because it wasn\'t sent over a TLS connection. Gmail requires all bulk email senders to use TLS/SSL for SMTP\n550 5.7.29 connections. - gsmtp', outcome: 'rejected', cause: 'tls-required', source: 'Gmail SMTP errors and codes', holdout: true },
  { stage: 'rcpt', reply: '553 5.1.2 We weren\'t able to find the recipient domain. Please check for any spelling errors. - gsmtp', outcome: 'rejected', cause: 'recipient', source: 'Gmail SMTP errors and codes' },
  { stage: 'rcpt', reply: '550 5.2.1 The email account that you tried to reach is inactive. - gsmtp', outcome: 'rejected', cause: 'recipient', source: 'Gmail SMTP errors and codes' },
  { stage: 'rcpt', reply: '452 4.2.2 The recipient\'s inbox is out of storage space. - gsmtp', outcome: 'deferred', cause: 'recipient', source: 'Gmail SMTP errors and codes' },
  // sender-address syntax is not one of our causes: policy
  { stage: 'mail', reply: '553 5.1.7 The sender address <s@example..org> is not a valid RFC 5321 address. - gsmtp', outcome: 'rejected', cause: 'policy', source: 'Gmail SMTP errors and codes' },
  { stage: 'connect', reply: '554 resimta-ch2-18v.sys.comcast.net comcast 192.0.2.7 Comcast requires that all mail servers must have a PTR record with a valid Reverse DNS entry. Currently your mail server does not fill that requirement. For more information, refer to: http://postmaster.comcast.net/smtp-error-codes.php#554', outcome: 'rejected', cause: 'no-ptr', source: 'Comcast (postfix log quoted at avolio.com / pastebin)' },
  { stage: 'connect', reply: '421 resimta-po-23v.sys.comcast.net comcast 192.0.2.7 Too many sessions opened', outcome: 'deferred', cause: 'rate-limit', source: 'Comcast postmaster non-specific error codes', holdout: true },
  // the PTR lookup failed (SERVFAIL); a temporary missing PTR
  { stage: 'connect', reply: '421 resimta-po-23v.sys.comcast.net comcast 192.0.2.7 Reverse DNS failure : Try again later', outcome: 'deferred', cause: 'no-ptr', source: 'Comcast postmaster non-specific error codes' },
  { stage: 'connect', reply: '554 resimta-ch2-18v.sys.comcast.net comcast 192.0.2.7 found on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000001', outcome: 'rejected', cause: 'blocklist', source: 'Comcast postmaster BL000001' },
  { stage: 'connect', reply: '554 resimta-ch2-18v.sys.comcast.net comcast 192.0.2.7 Comcast block for spam. Please see http://postmaster.comcast.net/smtp-error-codes.php#BL000000', outcome: 'rejected', cause: 'blocklist', source: 'Comcast postmaster BL000000' },
  // "bad" PTR: present but not valid (forward-confirmed); could be no-ptr when absent
  { stage: 'connect', reply: '554-gmx.net (mxgmx116) Nemesis ESMTP Service not available\n554-No SMTP service\n554-Bad DNS PTR resource record.\n554 For explanation visit http://postmaster.gmx.com/en/error-messages?ip=192.0.2.7&c=rdns', outcome: 'rejected', cause: 'fcrdns-fail', source: 'GMX (postfix logs quoted in modoboa docs)' },
  // "invalid" PTR, as above
  { stage: 'connect', reply: '554-web.de (mxweb005) Nemesis ESMTP Service not available\n554-No SMTP service\n554 invalid DNS PTR resource record, IP=192.0.2.7', outcome: 'rejected', cause: 'fcrdns-fail', source: 'web.de (postfix log)' },
  { stage: 'connect', reply: '554-gmx.net (mxgmx008) Nemesis ESMTP Service not available\n554-No SMTP service\n554-IP address is block listed.\n554 For explanation visit https://postmaster.gmx.net/de/case?c=r0301&i=ip&v=192.0.2.7', outcome: 'rejected', cause: 'blocklist', source: 'GMX postmaster error-messages example', holdout: true },
  { stage: 'connect', reply: '554-kundenserver.de (mxeue111) Nemesis ESMTP Service not available\n554-No SMTP service\n554 IP address is black listed.', outcome: 'rejected', cause: 'blocklist', source: 'IONOS/1&1 (postfix mailq quoted on a forum)' },
  { stage: 'connect', reply: '554 gmx.net (mxgmx016) Nemesis ESMTP Service not available No SMTP service Reject due to policy restrictions', outcome: 'rejected', cause: 'policy', source: 'GMX (LKML bounce quote)' },
  { stage: 'connect', reply: '554-esa10.dsv.c3s2.iphmx.com\n554 Your access to this mail system has been rejected due to the sending MTA\'s poor reputation. If you believe that this failure is in error, please contact the intended recipient via alternate means.', outcome: 'rejected', cause: 'blocklist', source: 'Cisco IronPort/Secure Email (iphmx.com) HAT reject' },
  // decided blocklist (complaints / unverified reputation, no volume named); the corpus TSS04 row classes the Yahoo "temporarily deferred due to ... user complaints" family as rate-limit, and the corpus wins
  { stage: 'connect', reply: '421 4.7.0 [TSS02] Messages from 192.0.2.7 temporarily deferred due to user complaints or because the IP/domain is in the unverified category. Please make sure that your email is RFC-5321 compliant. ec=ax9 [16]', outcome: 'deferred', cause: 'rate-limit', source: 'Yahoo TSS02 (tamingdns.com Yahoo directory)' },
  // the MAIL FROM domain does not resolve: not one of the HELO/PTR causes
  { stage: 'mail', reply: '451 Message temporarily deferred due to unresolvable RFC.5321 from domain; see https://postmaster.yahooinc.com/error-codes', outcome: 'deferred', cause: 'policy', source: 'Yahoo "Unresolvable RFC.5321 from domain"' },
  // IP reputation
  { stage: 'rcpt', reply: '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7171)', outcome: 'rejected', cause: 'blocklist', source: 'Exchange Online NDR 5.7.708', holdout: true },
  { stage: 'rcpt', reply: '550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains.', outcome: 'rejected', cause: 'policy', source: 'Exchange Online NDR 5.7.750' },
  // the EHLO/MAIL FROM domain is banned for spam: a reputation block
  { stage: 'rcpt', reply: '550 5.7.800 Access denied, banned sender', outcome: 'rejected', cause: 'blocklist', source: 'Exchange Online NDR 5.7.800' },
  { stage: 'rcpt', reply: '550 5.7.64 TenantAttribution; Relay Access Denied', outcome: 'rejected', cause: 'relay-denied', source: 'Exchange Online 5.7.64' },
  { stage: 'mail', reply: '530 5.7.57 Client was not authenticated to send anonymous mail during MAIL FROM [AM6PR0732CA0065.eurprd07.prod.outlook.com]', outcome: 'rejected', cause: 'policy', source: 'Exchange Online 5.7.57' },
  // TLS of an acceptable version is required
  { stage: 'mail', reply: '421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls.', outcome: 'deferred', cause: 'tls-required', source: 'Exchange Online 4.7.66' },
  // a block list, even if the tenant's own
  { stage: 'rcpt', reply: '550 5.7.1 Service unavailable, Client host [192.0.2.7] blocked using Customer Block list (AS16012607)', outcome: 'rejected', cause: 'blocklist', source: 'Exchange Online Protection tenant IP block list', holdout: true },
  { stage: 'mail', reply: '451 5.7.3 STARTTLS is required to send mail', outcome: 'deferred', cause: 'tls-required', source: 'Exchange SmtpResponse RequireTLSToSendMail' },
  { stage: 'rcpt', reply: '550 5.7.1 Unable to relay', outcome: 'rejected', cause: 'relay-denied', source: 'Exchange SmtpResponse RcptRelayNotPermitted' },
  { stage: 'mail', reply: '421 4.4.2 Message submission rate for this client has exceeded the configured limit', outcome: 'deferred', cause: 'rate-limit', source: 'Exchange SmtpResponse MessageRateLimitExceeded' },
  // no cause stated
  { stage: 'connect', reply: '421 4.3.2 Service not available', outcome: 'deferred', cause: 'unknown', source: 'Exchange SmtpResponse ServiceUnavailable' },
  { stage: 'rcpt', reply: '550 5.7.1 Not authorized', outcome: 'rejected', cause: 'policy', source: 'Exchange SmtpResponse NotAuthorized' },
  { stage: 'rcpt', reply: '550 5.2.1 Mailbox disabled, not accepting messages', outcome: 'rejected', cause: 'recipient', source: 'Exchange SmtpResponse MailboxDisabled', holdout: true },
  { stage: 'rcpt', reply: '550 5.7.1 <user@example.net>... Relaying denied. IP name possibly forged [192.0.2.7]', outcome: 'rejected', cause: 'relay-denied', source: 'Sendmail cf/m4/proto.m4 check_rcpt' },
  { stage: 'rcpt', reply: '450 4.4.0 <user@example.net>... Relaying temporarily denied. Cannot resolve PTR record for 192.0.2.7', outcome: 'deferred', cause: 'relay-denied', source: 'Sendmail cf/m4/proto.m4 check_rcpt' },
  { stage: 'connect', reply: '550 Sender IP reverse lookup rejected', outcome: 'rejected', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  // the 5.1.1 code says "bad mailbox" but the text is about the client's PTR
  { stage: 'rcpt', reply: '550 5.1.1 <user@example.org> Your IP has no Reverse DNS', outcome: 'rejected', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  // "invalid" rDNS record: present but not valid
  { stage: 'connect', reply: '551 Server access 192.0.2.7 forbidden by invalid RDNS record of your mail server', outcome: 'rejected', cause: 'fcrdns-fail', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  // "inconsistent" names the forward-confirm failure; absence is the other half
  { stage: 'connect', reply: '550 inconsistent or no DNS PTR record for 192.0.2.7', outcome: 'rejected', cause: 'fcrdns-fail', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)', holdout: true },
  { stage: 'connect', reply: '554 Client address rejected: No reverse DNS for 192.0.2.7', outcome: 'rejected', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  // about the client's reverse DNS; HELO/EHLO only names the stage
  { stage: 'connect', reply: '501 - Connection Refused: IP Address <192.0.2.7> - HELO/EHLO Invalid or Non-Existent Reverse DNS', outcome: 'rejected', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'connect', reply: '421 mx1.example.net Your host 192.0.2.7 has no valid Reverse DNS', outcome: 'deferred', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'connect', reply: '554 This server requires PTR for unauthenticated connections', outcome: 'rejected', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  // unspecific HELO refusal
  { stage: 'ehlo', reply: '550 5.7.1 [192.0.2.7] Sorry, your helo has been denied', outcome: 'rejected', cause: 'helo-policy', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'rcpt', reply: '554 5.7.1 Helo invalid', outcome: 'rejected', cause: 'helo-syntax', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)', holdout: true },
  { stage: 'connect', reply: '554 5.7.1 - Connection refused. IP name lookup failed for 192.0.2.7', outcome: 'rejected', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'connect', reply: '554 5.7.1 [C14] Missing reverse DNS for 192.0.2.7', outcome: 'rejected', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'connect', reply: '550 No RDNS entry for 192.0.2.7', outcome: 'rejected', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'rcpt', reply: '501 5.7.1 <user@example.org> Sender IP must resolve', outcome: 'rejected', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  // Postfix "Recipient address rejected" prefix but the reason is the client PTR
  { stage: 'rcpt', reply: '421 4.1.2 <user@example.org>: Recipient address rejected: No reverse name for your IP address', outcome: 'deferred', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  // "Blocked" is the action; the why is the PTR lookup
  { stage: 'connect', reply: '451 Blocked - Reverse DNS queries for your IP fail. You cannot send me mail', outcome: 'deferred', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)', holdout: true },
  { stage: 'rcpt', reply: '452 4.1.0 Policy violation. Your host 192.0.2.7 has no valid Reverse DNS', outcome: 'deferred', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'connect', reply: '521 mx.example.net Service not available - no PTR record for 192.0.2.7', outcome: 'rejected', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'ehlo', reply: '550-Bad HELO: mail.example.invalid does not exist\n550 Please see RFC 2821 section 4.1.1.1', outcome: 'rejected', cause: 'helo-not-resolving', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  // about the sender address
  { stage: 'mail', reply: '501 <s@example.invalid> is invalid or DNS says does not exist', outcome: 'rejected', cause: 'policy', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'mail', reply: '550 5.1.0 <s@example.org> sender rejected: domain does not have neither a valid MX or A record', outcome: 'rejected', cause: 'policy', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'connect', reply: '451 Missing reverse PTR - please fix it and try again', outcome: 'deferred', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)', holdout: true },
  // Postfix wording of reject_unknown_client_hostname, as the corpus row
  { stage: 'connect', reply: '554 mx.example.net cmsmtp Client host rejected: cannot find your hostname', outcome: 'rejected', cause: 'fcrdns-fail', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'ehlo', reply: '550 5.7.0 HELO argument [mail.example.org] is missing a DNS entry', outcome: 'rejected', cause: 'helo-not-resolving', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'connect', reply: '550 5.7.0 Server 192.0.2.7 has an invalid PTR record', outcome: 'rejected', cause: 'fcrdns-fail', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'connect', reply: '550 5.7.0 Your server IP address 192.0.2.7 does not have a valid reverse DNS entry', outcome: 'rejected', cause: 'no-ptr', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  // "Mailbox unavailable" is boilerplate; the why is the DNSBL
  { stage: 'rcpt', reply: '550 5.7.1 Mailbox unavailable. Your IP address 192.0.2.7 is blacklisted using zen.spamhaus.org', outcome: 'rejected', cause: 'blocklist', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'rcpt', reply: '553 5.3.0 flph829 DNSBL:ATTRBL 521< 192.0.2.7 >_is_blocked.For assistance forward this email to abuse_rbl@abuse-att.net', outcome: 'rejected', cause: 'blocklist', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier) (AT&T)', holdout: true },
  { stage: 'rcpt', reply: '550 Mail Refused - IP Address 192.0.2.7 Blacklisted', outcome: 'rejected', cause: 'blocklist', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'rcpt', reply: '554 5.7.1 ACL dns_rbl; Client host [192.0.2.7] blocked using bl.score.senderscore.com; Senderscore', outcome: 'rejected', cause: 'blocklist', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  // a temporary per-IP throttle after too many bad RCPTs
  { stage: 'connect', reply: '421 smtp.example.it ESMTP - Too many invalid recipients from this IP', outcome: 'deferred', cause: 'rate-limit', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier) (tiscali.it)' },
  { stage: 'connect', reply: '554 smtp.example.it ESMTP - Too much Spam from this IP', outcome: 'rejected', cause: 'blocklist', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier) (tiscali.it)' },
  { stage: 'connect', reply: '550 mail not accepted from blacklisted IP address [192.0.2.7]', outcome: 'rejected', cause: 'blocklist', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier) (alice.it)' },
  { stage: 'rcpt', reply: '550 sender IP-address 192.0.2.7 locally blacklisted because of too much spam', outcome: 'rejected', cause: 'blocklist', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)', holdout: true },
  { stage: 'rcpt', reply: '553 5.7.1 <user@example.org>: Client host rejected: AUTO_CLIENT You have been identified as a spammer. Go Away', outcome: 'rejected', cause: 'blocklist', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  // "mailbox unavailable" is the RFC 5321 boilerplate for 550
  { stage: 'rcpt', reply: '550-Requested action not taken: mailbox unavailable\n550 Reject due to policy restrictions', outcome: 'rejected', cause: 'policy', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'rcpt', reply: '571 smtp.example.net prohibited. We do not relay', outcome: 'rejected', cause: 'relay-denied', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'rcpt', reply: '554 Refused. Sending to remote addresses (relaying) is not allowed.', outcome: 'rejected', cause: 'relay-denied', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'rcpt', reply: '503 This mail server requires authentication when attempting to send to a non-local e-mail address. Please check your mail client settings or contact your administrator to verify that the domain or address is defined for this server.', outcome: 'rejected', cause: 'relay-denied', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier) (MDaemon)' },
  { stage: 'rcpt', reply: '530 Relaying not allowed', outcome: 'rejected', cause: 'relay-denied', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)', holdout: true },
  { stage: 'rcpt', reply: '550 RCPT TO:<user@example.net> Relaying not allowed - please use SMTP AUTH', outcome: 'rejected', cause: 'relay-denied', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'rcpt', reply: '501 This system is not configured to relay mail to <user@example.net> from <s@example.org> for 192.0.2.7', outcome: 'rejected', cause: 'relay-denied', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier)' },
  { stage: 'rcpt', reply: '553 sorry, that domain isn\'t in my list of allowed rcpthosts (#5.7.1)', outcome: 'rejected', cause: 'relay-denied', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier) (qmail)' },
  { stage: 'rcpt', reply: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found', outcome: 'rejected', cause: 'recipient', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier) (Exchange)' },
  { stage: 'rcpt', reply: '550 Message was not accepted -- invalid mailbox. Local mailbox user@mail.ru is unavailable: user not found', outcome: 'rejected', cause: 'recipient', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier) (Mail.ru)' },
  { stage: 'rcpt', reply: '550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]', outcome: 'rejected', cause: 'recipient', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier) (Orange)', holdout: true },
  { stage: 'rcpt', reply: '550 5.1.1 Not our Customer', outcome: 'rejected', cause: 'recipient', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier) (Comcast)' },
  { stage: 'connect', reply: '421 smtp-in.libero.it bizsmtp Too many connections, slow down. OUT105', outcome: 'deferred', cause: 'rate-limit', source: 'bounce-pattern list of real replies (Vda\\\\BounceProcessing\\\\BounceClassifier) (libero.it)' },
  { stage: 'rcpt', reply: '421 4.7.1 Messages to user@icloud.com deferred due to excessive volume. Try again later - https://support.apple.com/en-us/HT204137', outcome: 'deferred', cause: 'rate-limit', source: 'iCloud Mail (smtp.codes/icloud)' },
  // unspecific "local policy"
  { stage: 'rcpt', reply: '550 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137', outcome: 'rejected', cause: 'policy', source: 'iCloud Mail CS01' },
  { stage: 'rcpt', reply: '550 5.1.1 <user@icloud.com>: user does not exist', outcome: 'rejected', cause: 'recipient', source: 'iCloud Mail' },
  { stage: 'rcpt', reply: '550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550', outcome: 'rejected', cause: 'recipient', source: 'Mimecast SMTP error codes', holdout: true },
  { stage: 'rcpt', reply: '554 Email rejected due to security policies - https://community.mimecast.com/docs/DOC-1369#554', outcome: 'rejected', cause: 'policy', source: 'Mimecast SMTP error codes' },
  { stage: 'rcpt', reply: '451 Open relay not allowed - https://community.mimecast.com/docs/DOC-1369#451', outcome: 'deferred', cause: 'relay-denied', source: 'Mimecast SMTP error codes' },
  // a blocked-senders policy entry for the envelope, not an IP list
  { stage: 'rcpt', reply: '550 Envelope blocked - User Entry - https://community.mimecast.com/docs/DOC-1369#550', outcome: 'rejected', cause: 'policy', source: 'Mimecast SMTP error codes' },
  // the boilerplate names HELO, DNS and DNSBLs; the appended diagnosis is "helo/hostname mismatch"
  // known miss: policyd-weight boilerplate always names DNSBLs; its diagnosis is appended after ";" and no rule reads it
  { stage: 'rcpt', reply: '550 5.7.1 <user@example.org>: Recipient address rejected: Mail appeared to be SPAM or forged. Ask your Mail/DNS-Administrator to correct HELO and DNS MX settings or to get removed from DNSBLs; MTA helo: [192.0.2.7], MTA hostname: unknown[192.0.2.7] (helo/hostname mismatch)', outcome: 'rejected', cause: 'helo-mismatch', source: 'policyd-weight via Postfix (log quoted on nopcode.org)', miss: 'blocklist' },
  { stage: 'rcpt', reply: '550 5.7.1 <user@example.org>: Recipient address rejected: temporarily blocked because of previous errors - retrying too fast. penalty: 30 seconds x 0 retries.', outcome: 'rejected', cause: 'rate-limit', source: 'policyd-weight via Postfix (postfix log)' },
  // an admin rule refusing one HELO string
  { stage: 'ehlo', reply: '550 Gave HELO/EHLO as "friend"', outcome: 'rejected', cause: 'helo-policy', source: 'Exim acl_smtp_helo example (sysadmin notes)', holdout: true },
  // the client claimed the receiver's own address: the name does not match the client
  { stage: 'ehlo', reply: '550 Gave HELO/EHLO as our IP address', outcome: 'rejected', cause: 'helo-policy', source: 'Exim acl_smtp_helo example (sysadmin notes)' },
  // an unbracketed IP is not a valid HELO argument (RFC 5321 4.1.3)
  { stage: 'rcpt', reply: '550 Helo name contains a bare IP address (HELO was 192.0.2.7)', outcome: 'rejected', cause: 'helo-syntax', source: 'Exim acl_check_rcpt (Viswall exim4 template)' },
  // dynamic-looking HELO: admin rule
  { stage: 'rcpt', reply: '550 Helo name contains an IP address (HELO was host-192-0-2-7.dsl.example.net)', outcome: 'rejected', cause: 'helo-policy', source: 'Exim acl_check_rcpt (Viswall exim4 template)' },
  // the HELO claims the receiver's own hostname
  { stage: 'mail', reply: '550 REJECTED - Bad HELO - Host impersonating [mx.example.org]', outcome: 'rejected', cause: 'helo-policy', source: 'Exim acl_check_mail (mitchjacksontech mail-server notes)' },
  // dynamic-looking HELO not confirmed by the PTR: admin rule on HELO shape
  { stage: 'mail', reply: '550 Helo name contains a ip address (HELO was 192-0-2-7.dsl.example.net) and not is valid', outcome: 'rejected', cause: 'helo-policy', source: 'Exim acl_check_mail (mitchjacksontech notes)' },
  { stage: 'rcpt', reply: '550-Access denied - 192.0.2.7 listed by dnsbl.sorbs.net\n550 Currently Sending Spam See: http://www.sorbs.net/lookup.shtml?192.0.2.7', outcome: 'rejected', cause: 'blocklist', source: 'Exim acl_check_rcpt (mitchjacksontech notes)', holdout: true },
  { stage: 'connect', reply: '550 5.7.1 Access denied', outcome: 'rejected', cause: 'policy', source: 'Sendmail access db REJECT at connect' },
];

runBlindSet('blind reply set', ROWS, { rows: 150, holdout: 25 });
