/**
 * Second blind generalisation set for the refusal classifier: real reply texts collected from
 * public sources (provider error-code pages, vendor KBs, quoted bounces and logs in issues and
 * pastes, server source code, sisimai's reason phrase lists) that are in neither the shared corpus,
 * classify.test.ts nor classify-blind.test.ts; near-duplicates of those were dropped by grepping
 * their distinctive words. Each expected cause was decided from the meaning of the text before the
 * classifier was run on it; a `//` line above a row gives the reason for an ambiguous call. Outcome
 * follows the reply code class only. Where a source gave only a phrase (sisimai lists), the reply
 * code is assumed and the source says so. Addresses and IPs are documentation values.
 *
 * Rows marked `holdout` (every 3rd, by position) were set aside before the rules were changed and
 * never used to tune them. Run them alone with `-t holdout`.
 * Measured (cause and outcome both right), 132 rows = 88 tuned + 44 holdout:
 *   before any rule change: 52/88 tuned, 24/44 holdout as first written; 54/88 and 25/44 after three
 *     labels were aligned with the corpus ("server busy" is rate-limit in classify.test.ts, twice;
 *     Sendmail's "Fix reverse DNS for <ip>" is no-ptr in the shared corpus, for the AT&T row).
 *   after the rule changes (tuned on the 88 non-holdout rows only): 87/88 tuned, 26/44 holdout.
 *   after the lead added the cue-word layer (classify-rules.ts "Cue words"): 87/88 tuned, 36/44
 *     holdout. The cue families were written after reading the list of holdout misses, so this
 *     holdout is partly spent: read 36/44 as an optimistic figure, 26/44 as the honest one.
 * Since issue 13 these rows also TRAIN the reply model (scripts/train-classifier.mjs), so a row
 * that passes now is no evidence of generalisation: the figures above are for the rules alone.
 * Rows still wrong carry `miss` (the cause the classifier gives) and run as expected failures.
 */
import { runBlindSet, type BlindRow } from '../helpers/blind-set.js';

const ROWS: BlindRow[] = [
  { stage: 'mail', reply: '503 Error: send HELO first', outcome: 'rejected', cause: 'helo-missing', source: 'github aio-libs/aiosmtpd#406' },
  { stage: 'rcpt', reply: '554 5.7.1 <mail.example.org>: Helo command rejected: Domain MX in RFC 1918 private network', outcome: 'rejected', cause: 'helo-policy', source: 'github debops/debops#1139' },
  // VPOP3 SMTP rule
  { stage: 'rcpt', reply: '550 5.7.1 Recipient Prohibited (3)', outcome: 'rejected', cause: 'policy', source: 'wiki.pscs.co.uk (VPOP3 SMTP rule)', holdout: true },
  { stage: 'mail', reply: '550 IP 74.220.202.212 is blocked by EarthLink. Go to earthlink.net/block for details.', outcome: 'rejected', cause: 'blocklist', source: 'pastebin mt8MbFRM (EarthLink)' },
  { stage: 'rcpt', reply: '554 5.7.1 Service unavailable; Client host [37.1.2.3] blocked using zen.spamhaus.org; Error: open resolver; https://www.spamhaus.org/returnc/pub/44.192.176.0', outcome: 'rejected', cause: 'blocklist', source: 'github MailScanner/v5#634' },
  // no PTR or PTR not matching: can't tell which
  { stage: 'rcpt', reply: '550 IP address does not properly resolve for reverse DNS lookup', outcome: 'rejected', cause: 'fcrdns-fail', source: 'veraciti.com reverse-dns page (no PTR or PTR not matching: can\'t tell which)', holdout: true, miss: 'unknown' },
  { stage: 'connect', reply: '550-Connection from 192.0.2.9 rejected\n550 Sending server has no reverse DNS (PTR record)', outcome: 'rejected', cause: 'no-ptr', source: 'blog.zensoftware.co.uk MDaemon rDNS KB' },
  { stage: 'rcpt', reply: '450 4.2.1 Sender ip address rejected: You sent to many mails from different domains in the last 10 minutes', outcome: 'deferred', cause: 'rate-limit', source: 'spam-mail-blocker.de greylisted.html' },
  { stage: 'rcpt', reply: '550 5.6.2 Sender ip adress rejected: Your IPv6 address do not have a reverse look name', outcome: 'rejected', cause: 'no-ptr', source: 'spam-mail-blocker.de greylisted.html', holdout: true },
  { stage: 'rcpt', reply: '550 5.6.3 Sender ip adress rejected: Your IPv6 address must be send with an encryption', outcome: 'rejected', cause: 'tls-required', source: 'spam-mail-blocker.de greylisted.html' },
  // access-map REJECT worded as black listed
  { stage: 'connect', reply: '550 5.7.1 host mail.example.net [192.0.2.10] black listed #120', outcome: 'rejected', cause: 'blocklist', source: 'snertsoft smtpf reply list (access-map REJECT worded as black listed)' },
  { stage: 'connect', reply: '550 5.7.1 host mail.example.zz [192.0.2.10] from unknown TLD #122', outcome: 'rejected', cause: 'policy', source: 'snertsoft smtpf reply list (reject-unknown-tld)', holdout: true },
  { stage: 'rcpt', reply: '550 5.7.1 routed address relaying denied #131', outcome: 'rejected', cause: 'relay-denied', source: 'snertsoft smtpf reply list' },
  { stage: 'mail', reply: '550 Ip frequency limited. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000725', outcome: 'rejected', cause: 'rate-limit', source: 'computersolutions.cn (QQ Mail)' },
  { stage: 'mail', reply: '550 Sender frequency limited. http://service.exmail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000723', outcome: 'rejected', cause: 'rate-limit', source: 'smtp.codes/qq', holdout: true },
  { stage: 'mail', reply: '550 Domain frequency limited', outcome: 'rejected', cause: 'rate-limit', source: 'yimirj.com QQ bounce list' },
  { stage: 'connect', reply: '550 Connection frequency limited', outcome: 'rejected', cause: 'rate-limit', source: 'yimirj.com QQ bounce list' },
  { stage: 'mail', reply: '550 Suspected spam sender.', outcome: 'rejected', cause: 'blocklist', source: 'smtp.codes/qq (sender reputation)', holdout: true },
  { stage: 'rcpt', reply: '550 Mailbox not found. http://service.exmail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000728', outcome: 'rejected', cause: 'recipient', source: 'smtp.codes/qq' },
  // recipient's personal blacklist/filter
  { stage: 'rcpt', reply: '550 Mail is rejected by recipients', outcome: 'rejected', cause: 'policy', source: 'smtp.codes/qq (recipient\'s personal blacklist/filter)' },
  { stage: 'rcpt', reply: '550-"JunkMail rejected - ec2-54-74-157-229.eu-west-1.compute.amazonaws.com\n550-(allid.com.sg) [54.74.157.229]:34032 is in an RBL, see\n550 https://www.spamhaus.org/query/ip/54.74.157.229"', outcome: 'rejected', cause: 'blocklist', source: 'github getconversio/email-deep-validator#9', holdout: true },
  { stage: 'rcpt', reply: '550 #5.1.0 Address rejected.', outcome: 'rejected', cause: 'recipient', source: 'github customeros/mailsherpa#19' },
  { stage: 'rcpt', reply: '550 5.1.6 recipient no longer on server', outcome: 'rejected', cause: 'recipient', source: 'github customeros/mailsherpa#19' },
  // Mimecast anti-spoofing; stage not stated
  { stage: 'rcpt', reply: '550 Rejected by header based Anti-Spoofing policy: accreditation@example.com - https://community.mimecast.com/docs/DOC-1369#550 [VUJUo2t1Pr-x_8v9fCw5Og.uk90]', outcome: 'rejected', cause: 'policy', source: 'accredit-solutions zendesk (Mimecast anti-spoofing; stage not stated)', holdout: true },
  // SPF reject text
  { stage: 'mail', reply: '550 #5.7.1 SPF unauthorized mail is prohibited.', outcome: 'rejected', cause: 'policy', source: 'Cisco AsyncOS 7.1 config guide (SPF reject text)' },
  // SPF defer text; SPF-related -> policy
  { stage: 'mail', reply: '451 #4.4.3 Temporary error occurred during SPF verification.', outcome: 'deferred', cause: 'policy', source: 'Cisco AsyncOS 7.1 config guide (SPF defer text; SPF-related -> policy)' },
  { stage: 'rcpt', reply: '550 Mail from 192.0.2.1 refused by rbl-plus.mail-abuse.org. Please refer to http://mail-abuse.org/rbl+ for an explanation', outcome: 'rejected', cause: 'blocklist', source: 'success.trendmicro.com ERS FAQ', holdout: true },
  { stage: 'rcpt', reply: '550 Service unavailable; Client host [192.0.2.1] blocked using Trend Micro RBL+. Please see http://www.mail-abuse.com/cgi-bin/lookup?ip_address=192.0.2.1', outcome: 'rejected', cause: 'blocklist', source: 'success.trendmicro.com ERS FAQ' },
  { stage: 'connect', reply: '554 IP address 198.51.100.5 rejected [IP reputation fail]', outcome: 'rejected', cause: 'blocklist', source: 'github sisimai/p5-sisimai#469' },
  // corpus labels "server busy" rate-limit
  { stage: 'connect', reply: '421 4.4.5 Server busy, try again later. (mx.google.com) g4sm55605691obe.5 - gsmtp', outcome: 'deferred', cause: 'rate-limit', source: 'gist chrisjimallen/8972272 (corpus labels "server busy" rate-limit)', holdout: true },
  // AOL DYN = dynamic/residential IP list
  { stage: 'rcpt', reply: '421 4.7.1 : (DYN:T1) http://postmaster.info.aol.com/errors/421dynt1.html', outcome: 'deferred', cause: 'blocklist', source: 'inmotionhosting 421 list (AOL DYN = dynamic/residential IP list)' },
  { stage: 'connect', reply: '421 #4.4.5 Too many connections from your host.', outcome: 'deferred', cause: 'rate-limit', source: 'inmotionhosting 421 list' },
  { stage: 'rcpt', reply: '421 Greylisting enabled, please try later.', outcome: 'deferred', cause: 'greylist', source: 'inmotionhosting 421 list', holdout: true },
  { stage: 'mail', reply: '550 <192.0.2.1> blocked by ldap:ou=rblmx,dc=bellsouth,dc=net', outcome: 'rejected', cause: 'blocklist', source: 'rbl.att.net block_enduser (BellSouth RBL)' },
  { stage: 'mail', reply: '550 [permfail] requires valid sender domain', outcome: 'rejected', cause: 'policy', source: 'rbl.att.net block_enduser (sender domain check)' },
  { stage: 'rcpt', reply: '550 [suspend] Mailbox currently suspended--Please contact correspondent directly.', outcome: 'rejected', cause: 'recipient', source: 'rbl.att.net block_enduser', holdout: true },
  { stage: 'ehlo', reply: '501-5.5.4 HELO/EHLO argument “...” invalid, closing connection.\n501 5.5.4 https://support.google.com/mail/?p=helo', outcome: 'rejected', cause: 'helo-syntax', source: 'github ietf-tools/datatracker#10244 (Gmail)' },
  { stage: 'rcpt', reply: '550 5.7.1 HELO hostname mail.example.com does not match PTR record mail.hosting-provider.com', outcome: 'rejected', cause: 'helo-mismatch', source: 'fixwikihub.com PTR-not-matching-HELO article' },
  // HELO A record != client IP
  { stage: 'helo', reply: '550 Resolved IP of HELO argument didn\'t matched. Kindly clear this DNS IP', outcome: 'rejected', cause: 'helo-mismatch', source: 'xeams.com resolvedipnomatch user comment (HELO A record != client IP)', holdout: true, miss: 'helo-policy' },
  // T-Online; BL = reputation block
  { stage: 'connect', reply: '554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)', outcome: 'rejected', cause: 'blocklist', source: 'spamresource.com 2020/06 + serverdevworker (T-Online; BL = reputation block)' },
  // T-Online; IP classed as dial-up by a list, like a PBL hit
  { stage: 'connect', reply: '554 Dialup/transient IP not allowed. Use a mailgateway or contact toda@rx.t-online.de if obsolete. (DIAL)', outcome: 'rejected', cause: 'blocklist', source: 'help.creoline.com (T-Online; IP classed as dial-up by a list, like a PBL hit)' },
  // SPF
  { stage: 'rcpt', reply: '550 5.7.1 SPF check failed: 192.0.2.1 is not authorized to send in the name of example.com', outcome: 'rejected', cause: 'policy', source: 'yandex.com support bounces/other (SPF)', holdout: true },
  { stage: 'mail', reply: '501 please say HELO/EHLO first', outcome: 'rejected', cause: 'helo-missing', source: 'blog.sina.com.cn Coremail/163 reply list' },
  { stage: 'connect', reply: '550 black ip.', outcome: 'rejected', cause: 'blocklist', source: 'blog.sina.com.cn Coremail/163 reply list' },
  { stage: 'rcpt', reply: '554 rbl deny.', outcome: 'rejected', cause: 'blocklist', source: 'blog.sina.com.cn Coremail/163 reply list', holdout: true },
  // HELO host check failed, unspecific
  { stage: 'mail', reply: '555 helohost error.', outcome: 'rejected', cause: 'helo-policy', source: 'blog.sina.com.cn Coremail/163 reply list (HELO host check failed, unspecific)' },
  // sending IP inconsistent with MAIL FROM domain: SPF-like
  { stage: 'mail', reply: '556 remote ip check error.', outcome: 'rejected', cause: 'policy', source: 'blog.sina.com.cn Coremail/163 reply list (sending IP inconsistent with MAIL FROM domain: SPF-like)' },
  { stage: 'rcpt', reply: '553 host denies relay.', outcome: 'rejected', cause: 'relay-denied', source: 'blog.sina.com.cn Coremail/163 reply list', holdout: true },
  { stage: 'rcpt', reply: '550 user is locked.', outcome: 'rejected', cause: 'recipient', source: 'blog.sina.com.cn Coremail/163 reply list' },
  { stage: 'connect', reply: '421 OFR004_104 Trop de connexions, veuillez verifier votre configuration / Too many connections, slow down', outcome: 'deferred', cause: 'rate-limit', source: 'bentonow.com/smtp-errors/orange' },
  // unspecific refusal of service; not a named limit
  { stage: 'connect', reply: '421 OFR004_105 Service refuse. Veuillez essayer plus tard / Service refused, please try later', outcome: 'deferred', cause: 'policy', source: 'bentonow.com/smtp-errors/orange (unspecific refusal of service; not a named limit)', holdout: true },
  { stage: 'rcpt', reply: '550 Relay prohibited', outcome: 'rejected', cause: 'relay-denied', source: 'viws.ru (Outlook error quoting server response)' },
  { stage: 'rcpt', reply: '553 Sorry, this domain is not in my list of allowed hosts (#5.7.1)', outcome: 'rejected', cause: 'relay-denied', source: 'viws.ru (Outlook error quoting server response)' },
  { stage: 'rcpt', reply: '422 4.2.2 Quota limit exceeded (Speicherplatz des Kontos ueberschritten)', outcome: 'deferred', cause: 'recipient', source: 'bytecamp.net FAQ', holdout: true, miss: 'rate-limit' },
  { stage: 'rcpt', reply: '541 5.4.1 Mail rejected by destination domain', outcome: 'rejected', cause: 'policy', source: 'smtp.codes/zoho (recipient domain filter)' },
  { stage: 'rcpt', reply: '452 <example@zoho.com> Mailbox delivery restricted by policy error', outcome: 'deferred', cause: 'policy', source: 'smtp.codes/zoho' },
  // DMARC -> policy
  { stage: 'rcpt', reply: '550 5.7.1 Email rejected per DMARC policy for example.com', outcome: 'rejected', cause: 'policy', source: 'smtp.codes/zoho (DMARC -> policy)', holdout: true },
  // AT&T; the corpus reads Sendmail "Fix reverse DNS for <ip>" as the no-PTR text, so no-ptr
  { stage: 'mail', reply: '550 5.7.1 Connections not accepted from servers without a valid sender domain. ## Fix reverse DNS for 192.0.2.1', outcome: 'rejected', cause: 'no-ptr', source: 'smtp.codes/550 (AT&T; the corpus reads Sendmail "Fix reverse DNS for <ip>" as the no-PTR text, so no-ptr)' },
  { stage: 'rcpt', reply: '550 cuda_nsu 5.1.1 <email@example.com> Recipient address rejected: User unknown', outcome: 'rejected', cause: 'recipient', source: 'smtp.codes/550 (Barracuda)' },
  { stage: 'rcpt', reply: '550 rejecting spoofed message', outcome: 'rejected', cause: 'policy', source: 'smtp.codes/550 (Barracuda brand-impersonation)', holdout: true },
  // GMS banned-hosts IP list
  { stage: 'connect', reply: '550 Your server has been banned from this server', outcome: 'rejected', cause: 'blocklist', source: 'gordano.com KB alert 8002 (GMS banned-hosts IP list)' },
  // IP Blacklist Cache
  { stage: 'connect', reply: '421 Your IP is temporarily blocked, please try again later', outcome: 'deferred', cause: 'blocklist', source: 'logsat.com SpamFilter forum (IP Blacklist Cache)' },
  { stage: 'connect', reply: '421 Too many concurrent connections from this client (G2)', outcome: 'deferred', cause: 'rate-limit', source: 'smtp.codes/rackspace', holdout: true },
  { stage: 'rcpt', reply: '450 4.2.1 <email@example.com>: Mailbox received too much email in a short period of time (G30)', outcome: 'deferred', cause: 'rate-limit', source: 'smtp.codes/rackspace' },
  { stage: 'mail', reply: '451 4.7.1 Received too many messages from a new or untrusted IP (G28)', outcome: 'deferred', cause: 'rate-limit', source: 'smtp.codes/rackspace' },
  // DMARC-related -> policy
  { stage: 'mail', reply: '450 4.4.0 <email@example.com> Temporary DMARC DNS lookup failure (G1E)', outcome: 'deferred', cause: 'policy', source: 'smtp.codes/rackspace (DMARC-related -> policy)', holdout: true },
  // HELO HSP-AV01 is a bare name, not an FQDN
  { stage: 'rcpt', reply: '550 Please use your real hostname when saying HELO (not HSP-AV01)', outcome: 'rejected', cause: 'helo-not-fqdn', source: 'under-score.org.uk list 2007-04 (HELO HSP-AV01 is a bare name, not an FQDN)' },
  { stage: 'rcpt', reply: '450 4.1.1 <recipient@example.com>: Recipient address rejected: unverified address: Address verification in progress', outcome: 'deferred', cause: 'recipient', source: 'inmotionhosting email-error-450 (Postfix reject_unverified_recipient probe pending)' },
  { stage: 'rcpt', reply: '450 4.1.1 <recipient@example.com>: Recipient address rejected: unverified address: unknown user: "recipient@example.com"', outcome: 'deferred', cause: 'recipient', source: 'inmotionhosting email-error-450', holdout: true },
  { stage: 'rcpt', reply: '450 4.7.1 <recipient@example.com>: Client host rejected: Greylisted for 5 minutes', outcome: 'deferred', cause: 'greylist', source: 'inmotionhosting email-error-450' },
  { stage: 'rcpt', reply: '451 4.7.1 <recipient@example.com>: Recipient address rejected: Greylisted, try again in 300 seconds', outcome: 'deferred', cause: 'greylist', source: 'simplefastwebsites.com 451-4-7-1 greylisting page' },
  // provider RBL block
  { stage: 'mail', reply: '451 4.2.0 192.0.2.1 blocked AUP#CDRBL.', outcome: 'deferred', cause: 'blocklist', source: 'cloudmailin.com smtp-troubleshooter 451 (provider RBL block)', holdout: true },
  // the action is a greylist deferral, triggered by reputation
  { stage: 'rcpt', reply: '451 4.7.1 IP Reputation Greylisted.', outcome: 'deferred', cause: 'greylist', source: 'cloudmailin.com smtp-troubleshooter 451 (the action is a greylist deferral, triggered by reputation)' },
  { stage: 'rcpt', reply: '550 Authentication is required', outcome: 'rejected', cause: 'relay-denied', source: 'support.rackteam.com KB a155 (sent to a non-local address without authenticating)' },
  // site's list of known spam IPs
  { stage: 'mail', reply: '550 Sorry, no access for this ip', outcome: 'rejected', cause: 'blocklist', source: 'icglink.net helpdesk kb 73 (site\'s list of known spam IPs)', holdout: true },
  // sender-domain access rule
  { stage: 'mail', reply: '550 Sorry, no access for this domain', outcome: 'rejected', cause: 'policy', source: 'icglink.net helpdesk kb 73 (sender-domain access rule)' },
  // sender domain check, not HELO
  { stage: 'mail', reply: '451 From:domain must resolve', outcome: 'deferred', cause: 'policy', source: 'icglink.net helpdesk kb 73 (sender domain check, not HELO)' },
  { stage: 'rcpt', reply: '553 <recipient@example.edu>... unauthorized relay traffic prohibited', outcome: 'rejected', cause: 'relay-denied', source: 'icglink.net helpdesk kb 73', holdout: true },
  { stage: 'mail', reply: '553 host denies the sender.', outcome: 'rejected', cause: 'policy', source: 'blog.sina.com.cn Coremail/163 reply list' },
  // CodeID::TlsRequired reply
  { stage: 'mail', reply: '451 5.7.3 STARTTLS is required to send mail', outcome: 'deferred', cause: 'tls-required', source: 'github viridIT/vSMTP test (CodeID::TlsRequired reply)' },
  // IP filtered as a spam source
  { stage: 'connect', reply: '421 4.3.2 Your IP(211.1.2.3) is filtered and this connection will be closed. You must register your IP to spammaster at domain.com By SpaceLee, the Lord of mail server.', outcome: 'deferred', cause: 'blocklist', source: 'kbit.tistory.com reply list (IP filtered as a spam source)', holdout: true },
  // corpus labels "server busy" / "server ports are busy" rate-limit
  { stage: 'connect', reply: '421 Server too busy.', outcome: 'deferred', cause: 'rate-limit', source: 'kbit.tistory.com reply list (corpus labels "server busy" / "server ports are busy" rate-limit)' },
  { stage: 'mail', reply: '462 Daily send limit reached. Please try again tomorrow', outcome: 'deferred', cause: 'rate-limit', source: 'wiki.polarismail.com Common Problems' },
  { stage: 'rcpt', reply: '550 5.7.1 <user@example.com>: Recipient address rejected: User email address is marked as invalid', outcome: 'rejected', cause: 'recipient', source: 'spambrella.com delivery error codes', holdout: true },
  { stage: 'rcpt', reply: '550 Relay not permitted!', outcome: 'rejected', cause: 'relay-denied', source: 'clients.paymonthlyhosting.co.uk KB 120' },
  // sender address refused
  { stage: 'mail', reply: '550 Invalid sender', outcome: 'rejected', cause: 'policy', source: 'clients.paymonthlyhosting.co.uk KB 120 (sender address refused)' },
  // SPF -> policy
  { stage: 'mail', reply: '550 5.1.0 192.0.2.1 is not allowed to send from <example.jp> per it\'s SPF Record. Please inspect your SPF settings, and try again.', outcome: 'rejected', cause: 'policy', source: 'github sisimai/p5-sisimai#467 (SPF -> policy)', holdout: true },
  // Symantec.cloud SPF
  { stage: 'mail', reply: '553-SPF (Sender Policy Framework) domain authentication fail. Refer to the Troubleshooting page at http://www.symanteccloud.com/troubleshooting for more information. (#5.7.1)', outcome: 'rejected', cause: 'policy', source: 'github sisimai/p5-sisimai#467 (Symantec.cloud SPF)' },
  // SPF-related temp failure
  { stage: 'mail', reply: '451 SPF lookup failure (#4.3.0)', outcome: 'deferred', cause: 'policy', source: 'support.dshost.com.au KB 70 (SPF-related temp failure)' },
  // LinkedIn MX, IPv6 without PTR
  { stage: 'rcpt', reply: '554 5.7.1 The sending mail server at 2a00:db8:1:0:21e:67ff:fe12:3456 does not have a reverse (address-to-name) DNS entry cf http://en.wikipedia.org/wiki/Reverse_DNS_lookup', outcome: 'rejected', cause: 'no-ptr', source: 'github Exim/exim wiki (LinkedIn MX, IPv6 without PTR)', holdout: true },
  // EOP blocks a tenant that sent too much spam: reputation block, not a rate counter
  { stage: 'mail', reply: '550 5.7.705 Access denied, tenant has exceeded threshold', outcome: 'rejected', cause: 'blocklist', source: 'geek-forum.com + MS NDR 5.7.700-750 (EOP blocks a tenant that sent too much spam: reputation block, not a rate counter)' },
  { stage: 'rcpt', reply: '550 5.7.703 Your message can\'t be delivered because messages to user@example.com are blocked by your organization using Tenant Allow Block List.', outcome: 'rejected', cause: 'policy', source: 'Microsoft NDR 5.7.700-5.7.750 page' },
  { stage: 'rcpt', reply: '550 Daily SMTP relay limit exceeded.', outcome: 'rejected', cause: 'rate-limit', source: 'support.hdeone.com HENNGE Email DLP limits', holdout: true },
  { stage: 'mail', reply: '450 Peak concurrent SMTP relay limit per sender exceeded.', outcome: 'deferred', cause: 'rate-limit', source: 'support.hdeone.com HENNGE Email DLP limits 1.3' },
  // sender put on a block list for its bounce reputation
  { stage: 'mail', reply: '550 We detected a high volume of bounced emails coming from your organization over a short period of time. To protect our users from spam, emails from your organization have been blocked. Your organization will be automatically unblocked in 59 minutes.', outcome: 'rejected', cause: 'blocklist', source: 'support.hdeone.com HENNGE Email DLP blacklist 2.x (sender put on a block list for its bounce reputation)' },
  // spam-flood connection limit; "RBLDNSD" names the engine, the refusal is a connection limit
  { stage: 'connect', reply: '451 Exceeding connection limit: RBLDNSD', outcome: 'deferred', cause: 'rate-limit', source: 'cms.orlinpilot.com KB 151 (spam-flood connection limit; "RBLDNSD" names the engine, the refusal is a connection limit)', holdout: true },
  // temporary IP block after too many errors
  { stage: 'connect', reply: '421 4.5.1 Too many errors, you have been temporarily blacklisted', outcome: 'deferred', cause: 'blocklist', source: 'help.socketlabs.com (temporary IP block after too many errors)' },
  { stage: 'rcpt', reply: '550 5.7.1 Your IP is not permitted to relay through this server', outcome: 'rejected', cause: 'relay-denied', source: 'github aiosmtpd-based relay handler (find_string id 51830954081)' },
  // sisimai NoRelaying list + dualathlonserver.com quote
  { stage: 'rcpt', reply: '550 This mail server requires authentication when attempting to send to a non-local e-mail address. Please check your mail client settings or contact your administrator to verify that the domain or address is defined for this server.', outcome: 'rejected', cause: 'relay-denied', source: 'MailEnable (sisimai NoRelaying list + dualathlonserver.com quote)', holdout: true },
  { stage: 'rcpt', reply: '550 Sender is not permitted to relay through this server.', outcome: 'rejected', cause: 'relay-denied', source: 'github .NET SMTP relay (find_string id 65871824728)' },
  // fragment; reply code assumed 550
  { stage: 'connect', reply: '550 Cannot resolve your address.', outcome: 'rejected', cause: 'no-ptr', source: 'sisimai RequirePTR list (fragment; reply code assumed 550)' },
  // generic PTR -> policy, as Haraka generic_rdns in blind set; code assumed
  { stage: 'connect', reply: '550 Please get a custom reverse DNS name from your ISP for your host', outcome: 'rejected', cause: 'policy', source: 'sisimai RequirePTR list (generic PTR -> policy, as Haraka generic_rdns in blind set; code assumed)', holdout: true },
  // missing or non-confirming PTR not distinguished; code assumed
  { stage: 'connect', reply: '550 Reverse DNS failed', outcome: 'rejected', cause: 'fcrdns-fail', source: 'sisimai RequirePTR list (missing or non-confirming PTR not distinguished; code assumed)' },
  // code assumed
  { stage: 'connect', reply: '550 Reverse DNS required', outcome: 'rejected', cause: 'no-ptr', source: 'sisimai RequirePTR list (code assumed)' },
  // Google wording; code assumed
  { stage: 'connect', reply: '550 The IP address sending this message does not have a PTR record setup', outcome: 'rejected', cause: 'no-ptr', source: 'sisimai RequirePTR list (Google wording; code assumed)', holdout: true },
  // code assumed
  { stage: 'connect', reply: '550 This system will not accept messages from servers/devices with no reverse DNS', outcome: 'rejected', cause: 'no-ptr', source: 'sisimai RequirePTR list (code assumed)' },
  // client PTR name does not resolve; code assumed
  { stage: 'connect', reply: '550 Unresolvable relay host name', outcome: 'rejected', cause: 'fcrdns-fail', source: 'sisimai RequirePTR list (client PTR name does not resolve; code assumed)' },
  // generic/dynamic PTR -> policy; code assumed
  { stage: 'connect', reply: '550 We do not accept mail from hosts with dynamic IP or generic DNS PTR-records', outcome: 'rejected', cause: 'policy', source: 'sisimai RequirePTR list (generic/dynamic PTR -> policy; code assumed)', holdout: true },
  // permanent PTR failure = no PTR; code assumed
  { stage: 'connect', reply: '550 Reverse DNS lookup for host 192.0.2.1 failed permanently', outcome: 'rejected', cause: 'no-ptr', source: 'sisimai RequirePTR pair (permanent PTR failure = no PTR; code assumed)' },
  // code assumed
  { stage: 'connect', reply: '550 Service permits no unverifyable sending IPs', outcome: 'rejected', cause: 'fcrdns-fail', source: 'sisimai RequirePTR pair (code assumed)' },
  { stage: 'connect', reply: '421 Too many SMTP sessions for this host', outcome: 'deferred', cause: 'rate-limit', source: 'sisimai TooManyConn list (Sendmail daemon.c)', holdout: true },
  // code assumed
  { stage: 'mail', reply: '451 4.7.1 Please try again slower', outcome: 'deferred', cause: 'rate-limit', source: 'sisimai RateLimited list (code assumed)' },
  // code assumed
  { stage: 'connect', reply: '421 Exceeds per-domain connection limit for example.com', outcome: 'deferred', cause: 'rate-limit', source: 'sisimai TooManyConn list (code assumed)' },
  // client not an MX for its domain; code assumed
  { stage: 'connect', reply: '550 Client host rejected: may not be mail exchanger', outcome: 'rejected', cause: 'policy', source: 'sisimai Blocked regex (client not an MX for its domain; code assumed)', holdout: true },
  // code assumed
  { stage: 'connect', reply: '554 IP/domain reputation problems', outcome: 'rejected', cause: 'blocklist', source: 'sisimai Blocked regex (code assumed)' },
  // Microsoft IP block; code assumed
  { stage: 'connect', reply: '550 Not currently accepting mail from your IP', outcome: 'rejected', cause: 'blocklist', source: 'sisimai Blocked regex (Microsoft IP block; code assumed)' },
  // qmail patch; reputation judgement; code assumed
  { stage: 'connect', reply: '553 sorry, your remotehost looks suspiciously like spammer', outcome: 'rejected', cause: 'blocklist', source: 'sisimai Blocked regex (qmail patch; reputation judgement; code assumed)', holdout: true },
  // code assumed
  { stage: 'connect', reply: '421 Your network is temporary blacklisted', outcome: 'deferred', cause: 'blocklist', source: 'sisimai Blocked regex (code assumed)' },
  // Mail.ru; IP class list like a PBL; code assumed
  { stage: 'connect', reply: '550 We do not accept mail from dynamic IPs', outcome: 'rejected', cause: 'blocklist', source: 'sisimai Blocked regex (Mail.ru; IP class list like a PBL; code assumed)' },
  // strict_helo bare_ip; find_string id 21933413289
  { stage: 'helo', reply: '550 Invalid HELO; argument cannot be a bare IP address', outcome: 'rejected', cause: 'helo-syntax', source: 'github smtpe Lua policy (strict_helo bare_ip; find_string id 21933413289)', holdout: true },
  { stage: 'helo', reply: '550 Invalid HELO; address literal does not match client address', outcome: 'rejected', cause: 'helo-mismatch', source: 'github smtpe Lua policy (strict_helo ip_mismatch)' },
  { stage: 'helo', reply: '550 Invalid HELO; argument contains invalid host/domain', outcome: 'rejected', cause: 'helo-syntax', source: 'github smtpe Lua policy (strict_helo double_dots)' },
  // strict_helo invalid_tld: a name under a non-existent TLD cannot resolve
  { stage: 'helo', reply: '550 Invalid HELO; domain contains invalid TLD (lan2)', outcome: 'rejected', cause: 'helo-not-resolving', source: 'github smtpe Lua policy (strict_helo invalid_tld: a name under a non-existent TLD cannot resolve)', holdout: true, miss: 'helo-syntax' },
  { stage: 'helo', reply: '550 Invalid HELO; argument contains invalid characters', outcome: 'rejected', cause: 'helo-syntax', source: 'github smtpe Lua policy (strict_helo invalid_chars)' },
  // strict_helo not_dots: a bare name
  { stage: 'helo', reply: '550 Invalid HELO; argument must be host/domain or address literal', outcome: 'rejected', cause: 'helo-not-fqdn', source: 'github smtpe Lua policy (strict_helo not_dots: a bare name)' },
  // HELO changed within the session: admin rule on the HELO
  { stage: 'helo', reply: '550 5.7.1 Host mail.example.net [192.0.2.1] is schizophrenic (1)', outcome: 'rejected', cause: 'helo-policy', source: 'github smtpe Lua policy (HELO changed within the session: admin rule on the HELO)', holdout: true },
  // EHLO refused for unknown hosts to force HELO: admin rule on the greeting
  { stage: 'ehlo', reply: '502 5.5.1 EHLO not allowed from your host', outcome: 'rejected', cause: 'helo-policy', source: 'github smtpe Lua policy (EHLO refused for unknown hosts to force HELO: admin rule on the greeting)' },
  { stage: 'connect', reply: '550 5.7.0 Host mail.example.net [192.0.2.1] black listed by zen.spamhaus.org', outcome: 'rejected', cause: 'blocklist', source: 'github smtpe Lua policy (DNSBL)' },
  { stage: 'mail', reply: '450 Only one sender domain per connection is allowed from your host', outcome: 'deferred', cause: 'policy', source: 'github smtpe Lua policy (one_domain_per_conn)', holdout: true },
  { stage: 'mail', reply: '550 Domain \'example.com\' does not have any valid MX records', outcome: 'rejected', cause: 'policy', source: 'github smtpe Lua policy (sender domain MX required)' },
  // find_string id 8988817368; MAIL before HELO
  { stage: 'mail', reply: '503 Error: polite people say hello', outcome: 'rejected', cause: 'helo-missing', source: 'github python SMTP server (find_string id 8988817368; MAIL before HELO)' },
  { stage: 'mail', reply: '503 Polite people say Helo first', outcome: 'rejected', cause: 'helo-missing', source: 'github JS SMTP server (find_string id 37822785162)', holdout: true },
];

runBlindSet('blind reply set 2', ROWS, { rows: 120, holdout: 40 });
