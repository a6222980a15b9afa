/**
 * Third blind generalisation set for the refusal classifier: real reply texts collected with the
 * search tools from public sources (provider and hosting KB pages, postmaster pages, MTA and filter
 * source code: spamdyke, notqmail, hMailServer, MailChannels, Coremail/NetEase lists, Korean,
 * Czech, Polish and French provider lists, Verizon, Cox, Charter, Yandex, Mail.ru, iCloud, Fastmail)
 * that are in neither the shared corpus, classify.test.ts, classify-blind.test.ts nor
 * classify-blind2.test.ts; near-duplicates were dropped by grepping their distinctive words. Each
 * expected cause was decided from the meaning of the text before the classifier was run on it and
 * before classify-rules.ts was read; a `//` line above a row gives the reason for an ambiguous
 * call. Outcome follows the reply code class only. Where a source gave only a phrase, the code is
 * assumed and the source says so. Addresses and IPs are documentation values.
 *
 * Rows marked `holdout` (every 2nd, by position) were set aside before the rules were changed and
 * never used to tune them (their failures were not looked at while tuning). Run them alone with
 * `-t holdout`.
 * Measured (cause and outcome both right), 112 rows = 56 tuned + 56 holdout:
 *   before any rule change: 40/56 tuned, 44/56 holdout.
 *   after the rule changes (tuned on the 56 non-holdout rows only): 53/56 tuned, 48/56 holdout
 *     (holdout run once for this figure; no row that passed before fails now). Caveat: one full-suite
 *     run while tuning printed the it.fails status of a few holdout rows (those the changes happened
 *     to fix); no rule was changed after that, but read 48/56 as slightly optimistic.
 * Since issue 13 these rows also TRAIN the reply model (scripts/train-classifier.mjs), so a row
 * that passes now is no evidence of generalisation: the figures above are for the rules alone.
 * Rows still wrong carry `miss` (the cause the classifier gives) and run as expected failures.
 */
import { runBlindSet, type BlindRow } from '../helpers/blind-set.js';

const ROWS: BlindRow[] = [
  { stage: 'rcpt', reply: '421 Too many recipients. Try the remaining addresses again later.', outcome: 'deferred', cause: 'rate-limit', source: 'spamdyke spamdyke.h ERROR_RCPT_TO' },
  // an unqualified recipient address: a fault in the recipient address
  { stage: 'rcpt', reply: '554 Improper recipient address. Try supplying a domain name.', outcome: 'rejected', cause: 'recipient', source: 'spamdyke spamdyke.h ERROR_RCPT_TO_LOCAL', holdout: true },
  { stage: 'rcpt', reply: '421 Your address has been graylisted. Try again later.', outcome: 'deferred', cause: 'greylist', source: 'spamdyke spamdyke.h ERROR_GRAYLISTED' },
  { stage: 'rcpt', reply: '421 Refused. You have no reverse DNS entry.', outcome: 'deferred', cause: 'no-ptr', source: 'spamdyke spamdyke.h ERROR_RDNS_MISSING', holdout: true },
  // the PTR name has no address record: forward confirmation fails
  { stage: 'rcpt', reply: '421 Refused. Your reverse DNS entry does not resolve.', outcome: 'deferred', cause: 'fcrdns-fail', source: 'spamdyke spamdyke.h ERROR_RDNS_RESOLVE' },
  // PTR exists but looks generic: admin rule on its shape (as generic_rdns in the earlier blind sets)
  { stage: 'rcpt', reply: '554 Refused. Your reverse DNS entry contains your IP address and a country code.', outcome: 'rejected', cause: 'policy', source: 'spamdyke spamdyke.h ERROR_IP_IN_NAME_CC', holdout: true },
  // generic-looking PTR: admin rule
  { stage: 'rcpt', reply: '554 Refused. Your reverse DNS entry contains your IP address and a banned keyword.', outcome: 'rejected', cause: 'policy', source: 'spamdyke spamdyke.h ERROR_IP_IN_NAME' },
  // early talker: protocol policy
  { stage: 'connect', reply: '554 Refused. You are not following the SMTP protocol.', outcome: 'rejected', cause: 'policy', source: 'spamdyke spamdyke.h ERROR_EARLYTALKER', holdout: true },
  // spamdyke's blacklist of client rDNS names: a block on the sending host
  { stage: 'rcpt', reply: '554 Refused. Your domain name is blacklisted.', outcome: 'rejected', cause: 'blocklist', source: 'spamdyke spamdyke.h ERROR_BLACKLIST_NAME' },
  { stage: 'rcpt', reply: '554 Refused. Your IP address is blacklisted.', outcome: 'rejected', cause: 'blocklist', source: 'spamdyke spamdyke.h ERROR_BLACKLIST_IP', holdout: true },
  // a list of sender addresses kept by the admin, not host reputation
  { stage: 'rcpt', reply: '554 Refused. Your sender address has been blacklisted.', outcome: 'rejected', cause: 'policy', source: 'spamdyke spamdyke.h ERROR_SENDER_BLACKLISTED' },
  // this recipient address does not take mail
  { stage: 'rcpt', reply: '554 Refused. Mail is not being accepted at this address.', outcome: 'rejected', cause: 'recipient', source: 'spamdyke spamdyke.h ERROR_RECIPIENT_BLACKLISTED', holdout: true },
  // sender domain without MX: envelope policy
  { stage: 'mail', reply: '421 Refused. The domain of your sender address has no mail exchanger (MX).', outcome: 'deferred', cause: 'policy', source: 'spamdyke spamdyke.h ERROR_SENDER_NO_MX' },
  { stage: 'rcpt', reply: '554 Refused. Your IP address is listed in the RBL at zen.spamhaus.org', outcome: 'rejected', cause: 'blocklist', source: 'spamdyke spamdyke.h ERROR_RBL', holdout: true },
  // RHSBL: a domain reputation list
  { stage: 'rcpt', reply: '554 Refused. Your domain name is listed in the RHSBL at dbl.spamhaus.org', outcome: 'rejected', cause: 'blocklist', source: 'spamdyke spamdyke.h ERROR_RHSBL' },
  { stage: 'rcpt', reply: '554 Refused. Access is denied.', outcome: 'rejected', cause: 'policy', source: 'spamdyke spamdyke.h ERROR_ACCESS_DENIED', holdout: true },
  { stage: 'rcpt', reply: '554 Refused. Sending to remote addresses (relaying) is not allowed.', outcome: 'rejected', cause: 'relay-denied', source: 'spamdyke spamdyke.h ERROR_RELAYING_DENIED' },
  // authentication demanded for a RCPT: relaying refused (as "550 Authentication is required" in blind set 2)
  { stage: 'rcpt', reply: '554 Refused. Authentication is required to send mail.', outcome: 'rejected', cause: 'relay-denied', source: 'spamdyke spamdyke.h ERROR_AUTH_REQUIRED', holdout: true },
  // reject-all switch: unspecific policy
  { stage: 'connect', reply: '554 Refused. Mail is not being accepted.', outcome: 'rejected', cause: 'policy', source: 'spamdyke spamdyke.h ERROR_UNCONDITIONAL' },
  { stage: 'rcpt', reply: '554 Refused. Identical sender and recipient addresses are not allowed.', outcome: 'rejected', cause: 'policy', source: 'spamdyke spamdyke.h ERROR_IDENTICAL_FROM_TO', holdout: true },
  { stage: 'mail', reply: '553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)', outcome: 'rejected', cause: 'policy', source: 'notqmail qmail-smtpd.c err_bmf' },
  // server-side resource fault, no refusal cause
  { stage: 'mail', reply: '421 out of memory (#4.3.0)', outcome: 'deferred', cause: 'unknown', source: 'notqmail qmail-smtpd.c die_nomem', holdout: true },
  // server-side configuration fault
  { stage: 'connect', reply: '421 unable to read controls (#4.3.0)', outcome: 'deferred', cause: 'unknown', source: 'notqmail qmail-smtpd.c die_control' },
  { stage: 'rcpt', reply: '550 user is locked.', outcome: 'rejected', cause: 'recipient', source: 'blog.sina.com.cn Coremail/163 reply list', holdout: true },
  { stage: 'mail', reply: '553 host denies the sender.', outcome: 'rejected', cause: 'policy', source: 'blog.sina.com.cn Coremail/163 reply list' },
  { stage: 'mail', reply: '554 sender is unvalidated.', outcome: 'rejected', cause: 'policy', source: 'blog.sina.com.cn Coremail/163 reply list', holdout: true },
  // too many RCPTs in the transaction
  { stage: 'rcpt', reply: '451 out of allow RCPT numbers.', outcome: 'deferred', cause: 'rate-limit', source: 'blog.sina.com.cn Coremail/163 reply list' },
  // source gloss: sending IP does not match the MAIL FROM domain (SPF-like)
  { stage: 'mail', reply: '556 remote ip check error.', outcome: 'rejected', cause: 'policy', source: 'blog.sina.com.cn Coremail/163 reply list', holdout: true },
  // source gloss: a local-domain sender must authenticate: anti-spoofing rule, not relaying
  { stage: 'mail', reply: '553 relay check local fail.', outcome: 'rejected', cause: 'policy', source: 'blog.sina.com.cn Coremail/163 reply list', miss: 'relay-denied' },
  // content judged spam
  { stage: 'rcpt', reply: '554 5.7.1 [2] Message rejected under suspicion of SPAM', outcome: 'rejected', cause: 'policy', source: 'Yandex support / habr post (content filter)', holdout: true },
  { stage: 'mail', reply: '550 5.7.1 This message was not accepted due to domain owner DMARC policy (RFC 7489) https://help.mail.ru/mail-help/postmaster/dmarc', outcome: 'rejected', cause: 'policy', source: 'viws.ru Mail.ru DMARC bounce' },
  // the sending account is suspended: policy
  { stage: 'mail', reply: '550 message sending for this account is disabled', outcome: 'rejected', cause: 'policy', source: 'mailout.ru Mail.ru errors', holdout: true, miss: 'recipient' },
  // quota at RCPT: mailbox/domain state
  { stage: 'rcpt', reply: '451 example.ru prohibited. Disk quota exceeded', outcome: 'deferred', cause: 'recipient', source: 'nic.ru mail diagnostics' },
  // no cause given
  { stage: 'connect', reply: '451 Please try another server', outcome: 'deferred', cause: 'unknown', source: 'nic.ru mail diagnostics', holdout: true },
  // no cause given
  { stage: 'rcpt', reply: '451 4.7.1 Service unavailable - try again later', outcome: 'deferred', cause: 'unknown', source: 'smtp.codes/icloud' },
  { stage: 'rcpt', reply: '550 5.7.1 Your message was rejected due to example.com DMARC policy.', outcome: 'rejected', cause: 'policy', source: 'smtp.codes/icloud', holdout: true },
  // a domain in the content is on the Spamhaus DBL: a reputation list
  { stage: 'rcpt', reply: '550 5.7.1 Your email was rejected due to having a domain present in the Spamhaus DBL -- see https://www.spamhaus.org/dbl/', outcome: 'rejected', cause: 'blocklist', source: 'smtp.codes/icloud' },
  // sender-based AUP rejection, no IP cue
  { stage: 'rcpt', reply: '554 message rejected. Refer to Error Codes section at https://www.cox.com/aboutus/policies/limits.html for more information. AUP#CXSNDR', outcome: 'rejected', cause: 'policy', source: 'forums.cox.com (Cox AUP#CXSNDR)', holdout: true },
  // CDRBL: Cox DNSBL block on the connecting IP
  { stage: 'connect', reply: '421 192.0.2.1 cox blocked - Error Code: CDRBL - Refer to Error Codes section at https://www.cox.com/aboutus/policies/limits.html for more information.', outcome: 'deferred', cause: 'blocklist', source: 'ipblacklistremoval.com top-10 list (Cox)' },
  // the client network is restricted: IP standing
  { stage: 'connect', reply: '475 access from your network is restricted, try later', outcome: 'deferred', cause: 'blocklist', source: 'ipblacklistremoval.com top-10 list', holdout: true },
  { stage: 'mail', reply: '550 Email from your Email Service Provider is currently blocked by Verizon Online\'s anti-spam system. The email sender or Email Service Provider may visit http://www.verizon.net/whitelist and request removal of the block.', outcome: 'rejected', cause: 'blocklist', source: 'verizon.com whitelist policy page' },
  // a removal request lifts it: a block list
  { stage: 'mail', reply: '550 You are not permitted to send mail. Please visit http://www.verizon.net/whitelist to request removal.', outcome: 'rejected', cause: 'blocklist', source: 'newswireless.net (Verizon bounce)', holdout: true },
  // From header not allowed for this sender: anti-spoofing
  { stage: 'rcpt', reply: '551 5.7.1 Not authorised to send from this header address', outcome: 'rejected', cause: 'policy', source: 'fastmail.help Why messages bounce back' },
  // Exchange sender/connection filter, no reason given
  { stage: 'mail', reply: '550 5.7.1 Your access to submit messages to this e-mail system has been rejected.', outcome: 'rejected', cause: 'policy', source: 'mxroute changelog (Exchange recipients)', holdout: true },
  { stage: 'rcpt', reply: '550 5.7.1 Relaying not allowed! Bad sender IP address', outcome: 'rejected', cause: 'relay-denied', source: 'wiki.pscs.co.uk VPOP3' },
  // external to external from an IP range without relay rights
  // Session 5: the model (with train8's recipient rows) now leans recipient here and no content word lifts
  // it over the 550-at-RCPT prior, so the reply is unknown; earlier the model said relay-denied.
  { stage: 'rcpt', reply: '550 Delivery is not allowed to this address.', outcome: 'rejected', cause: 'relay-denied', source: 'hmailserver.com documentation error messages', holdout: true, miss: 'unknown' },
  { stage: 'ehlo', reply: '501 EHLO Invalid domain address.', outcome: 'rejected', cause: 'helo-syntax', source: 'hMailServer error reference (nitindupare blog copy)' },
  { stage: 'mail', reply: '502 Use HELO/EHLO first', outcome: 'rejected', cause: 'helo-missing', source: 'hMailServer error reference (nitindupare blog copy)', holdout: true },
  // authentication demanded for a RCPT: relaying refused
  { stage: 'rcpt', reply: '530 SMTP authentication is required.', outcome: 'rejected', cause: 'relay-denied', source: 'hmailserver.com documentation error messages' },
  { stage: 'rcpt', reply: '550 Sender IP (192.0.2.1) is blacklisted at bl.spamcop.net', outcome: 'rejected', cause: 'blocklist', source: 'support.awcwebdesign.com KB sender-ip-blacklisted', holdout: true },
  // bare "blacklisted": read as a block on the sender
  { stage: 'rcpt', reply: '554 blacklisted', outcome: 'rejected', cause: 'blocklist', source: 'info.mailtraq.com KB06082101' },
  { stage: 'rcpt', reply: '554 5.7.1 Rejected - your IP address was found in a blacklist for sending spam. Please visit: http://spamcop.net/bl.shtml?192.0.2.1', outcome: 'rejected', cause: 'blocklist', source: 'blog.inframes.com qmail bounce', holdout: true },
  // the recipient's own reject list
  { stage: 'rcpt', reply: '550 You are registered as spammer (by user\'s reject list)', outcome: 'rejected', cause: 'policy', source: 'puffinknight.tistory.com Korean bounce list' },
  { stage: 'rcpt', reply: '554 5.0.0 Service unavailable (user: mail is denied, by spam filter)', outcome: 'rejected', cause: 'policy', source: 'puffinknight.tistory.com Korean bounce list', holdout: true },
  { stage: 'rcpt', reply: '554 Relay operation rejected', outcome: 'rejected', cause: 'relay-denied', source: 'puffinknight.tistory.com Korean bounce list' },
  // the connecting IP is filtered until registered: an IP block
  { stage: 'connect', reply: '421 4.3.2 Your IP(192.0.2.1) is filtered and this connection will be closed. You must register your IP to http://realip.naver.com', outcome: 'deferred', cause: 'blocklist', source: 'puffinknight.tistory.com (Naver)', holdout: true },
  { stage: 'rcpt', reply: '421 4.3.1 You send too many messages.', outcome: 'deferred', cause: 'rate-limit', source: 'puffinknight.tistory.com Korean bounce list' },
  // IP_CONTROL: the sending IP judged a spam source
  { stage: 'mail', reply: '550 Transaction failed. (SPAM_SUSPECT:IP_CONTROL) (http://cleanip.paran.com)', outcome: 'rejected', cause: 'blocklist', source: 'puffinknight.tistory.com (Paran)', holdout: true, miss: 'policy' },
  // resource shortage, no refusal cause
  { stage: 'rcpt', reply: '451 mta113.mail.krs.yahoo.com Resources temporarily unavailable', outcome: 'deferred', cause: 'unknown', source: 'puffinknight.tistory.com (Yahoo Korea)' },
  { stage: 'rcpt', reply: '550 Account disabled', outcome: 'rejected', cause: 'recipient', source: 'puffinknight.tistory.com Korean bounce list', holdout: true },
  { stage: 'rcpt', reply: '550 5.1.1 Inactive mbox', outcome: 'rejected', cause: 'recipient', source: 'puffinknight.tistory.com Korean bounce list' },
  { stage: 'rcpt', reply: '550 5.1.1 Suspended user', outcome: 'rejected', cause: 'recipient', source: 'puffinknight.tistory.com Korean bounce list', holdout: true },
  { stage: 'rcpt', reply: '554 delivery error: dd This user doesn\'t have a yahoo.co.kr account (user@example.com) [-5] - mta114.mail.krs.yahoo.com', outcome: 'rejected', cause: 'recipient', source: 'puffinknight.tistory.com (Yahoo Korea)' },
  // mailbox over its storage: recipient state
  { stage: 'rcpt', reply: '552 Requested mail action aborted: exceeded storage allocation', outcome: 'rejected', cause: 'recipient', source: 'puffinknight.tistory.com Korean bounce list', holdout: true },
  // the sender domain is refused
  { stage: 'mail', reply: '501 Denied domain name', outcome: 'rejected', cause: 'policy', source: 'blog.jinbo.net Korean reply list' },
  // "your mail is blocked": the message, not the IP, is named
  { stage: 'rcpt', reply: '554 5.7.1 DAS51 192.0.2.1: Your mail is blocked automatically by anti-spam system. (E06)', outcome: 'rejected', cause: 'policy', source: 'auctionpro.co.kr (Daum/hanmail)', holdout: true },
  // server-busy wording (corpus labels busy rate-limit)
  { stage: 'connect', reply: '421 4.4.5 CCRT 192.0.2.1: Connection refused. Server is busy(RT)', outcome: 'deferred', cause: 'rate-limit', source: 'oliveit.tistory.com bounce list' },
  // busy wording
  { stage: 'connect', reply: '421 4.4.1 CHIC 192.0.2.1: Network is busy.', outcome: 'deferred', cause: 'rate-limit', source: 'oliveit.tistory.com bounce list', holdout: true },
  { stage: 'rcpt', reply: '550 5.1.1 RUSR 192.0.2.1: No such user: <user@example.com>', outcome: 'rejected', cause: 'recipient', source: 'oliveit.tistory.com bounce list' },
  // receiver-side fault, no refusal cause
  { stage: 'rcpt', reply: '451 4.3.0 Temporary system failure. Please try again later.', outcome: 'deferred', cause: 'unknown', source: 'blog.jinbo.net Korean reply list', holdout: true },
  // receiver-side storage fault
  { stage: 'rcpt', reply: '452 4.4.5 Insufficient disk space; try again later', outcome: 'deferred', cause: 'unknown', source: 'blog.jinbo.net Korean reply list' },
  { stage: 'rcpt', reply: '550 5.1.1 Account not found', outcome: 'rejected', cause: 'recipient', source: 'pomoc.poczta.interia.pl', holdout: true },
  // source: wrong address, full box or suspended: all recipient-side
  { stage: 'rcpt', reply: '550 5.2.1 Mailbox not available', outcome: 'rejected', cause: 'recipient', source: 'pomoc.poczta.interia.pl' },
  // the recipient blocks this sender
  { stage: 'rcpt', reply: '550 5.7.1 Recipient doesn\'t want your mail', outcome: 'rejected', cause: 'policy', source: 'pomoc.poczta.interia.pl', holdout: true },
  { stage: 'mail', reply: '550 5.7.0 [SPF] 192.0.2.1 is not allowed to send mail from example.com', outcome: 'rejected', cause: 'policy', source: 'pomoc.poczta.interia.pl' },
  { stage: 'rcpt', reply: '552 5.1.1 5.2.2 sorry, final recipient mailbox is full (chkuser)', outcome: 'rejected', cause: 'recipient', source: 'support.grhosting.cz (qmail chkuser)', holdout: true },
  // the recipient's own sender blacklist
  { stage: 'rcpt', reply: '550 5.1.1 <user@example.cz> sender is blacklisted', outcome: 'rejected', cause: 'policy', source: 'support.grhosting.cz' },
  { stage: 'rcpt', reply: '552 5.2.0 0biL1i00V1cmcpM01biL4w spam detected', outcome: 'rejected', cause: 'policy', source: 'support.grhosting.cz (Forpsi)', holdout: true },
  { stage: 'mail', reply: '550 5.1.0 0bcW1i00G0jifNx01bcmHa blocked by SPF', outcome: 'rejected', cause: 'policy', source: 'support.grhosting.cz (Forpsi)' },
  // code assumed; the address has no mailbox
  { stage: 'rcpt', reply: '550 5.1.1 szn; User hasn\'t got the service mapped', outcome: 'rejected', cause: 'recipient', source: 'napoveda.seznam.cz (code assumed)', holdout: true },
  { stage: 'rcpt', reply: '550 5.7.1 Message content rejected', outcome: 'rejected', cause: 'policy', source: 'doc.gadz.org (SFR)' },
  // unspecific permanent refusal
  { stage: 'rcpt', reply: '550 5.5.0 Service refuse. Veuillez essayer plus tard. service refused, please try later. LPN007_510', outcome: 'rejected', cause: 'policy', source: 'doc.gadz.org (La Poste)', holdout: true },
  { stage: 'rcpt', reply: '550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]', outcome: 'rejected', cause: 'policy', source: 'doc.gadz.org (Orange)' },
  { stage: 'rcpt', reply: '550 Denied by policy', outcome: 'rejected', cause: 'policy', source: 'doc.gadz.org (Alstom)', holdout: true },
  { stage: 'rcpt', reply: '550 spam detected', outcome: 'rejected', cause: 'policy', source: 'postmaster.free.fr' },
  { stage: 'rcpt', reply: '550 Message Rejected', outcome: 'rejected', cause: 'policy', source: 'charter.com postmaster services', holdout: true },
  // text alone: the sender is refused under the AUP
  { stage: 'mail', reply: '550 5.1.0 sender rejected AUP#I-1310', outcome: 'rejected', cause: 'policy', source: 'spamresource.com (Charter/Roadrunner)' },
  { stage: 'rcpt', reply: '554 Failure message looks like spam', outcome: 'rejected', cause: 'policy', source: 'support.cableone.net', holdout: true },
  { stage: 'rcpt', reply: '550 5.7.1 [NR] Message rejected', outcome: 'rejected', cause: 'policy', source: 'docs.mailchannels.com inbound SMTP errors' },
  { stage: 'rcpt', reply: '550 5.7.1 [IB_FEB] Your message could not be delivered because it contained an attachment type that is not allowed', outcome: 'rejected', cause: 'policy', source: 'docs.mailchannels.com inbound SMTP errors', holdout: true },
  { stage: 'rcpt', reply: '550 5.7.1 Email has been rejected due to the domain\'s SPF policy', outcome: 'rejected', cause: 'policy', source: 'docs.mailchannels.com inbound SMTP errors' },
  { stage: 'rcpt', reply: '550 5.7.1 Unauthenticated email is not accepted due to domain\'s DMARC policy', outcome: 'rejected', cause: 'policy', source: 'docs.mailchannels.com inbound SMTP errors', holdout: true },
  { stage: 'mail', reply: '550 5.7.1 [BFD] Sender prohibited by SPF', outcome: 'rejected', cause: 'policy', source: 'docs.mailchannels.com sending policies' },
  // a named sender, not an IP: policy
  { stage: 'mail', reply: '550 5.7.1 [ESA] Sender blocked.', outcome: 'rejected', cause: 'policy', source: 'docs.mailchannels.com sending policies', holdout: true },
  // account-level abuse control
  { stage: 'rcpt', reply: '550 5.7.1 [BR] Our system has detected an excessively high number of invalid recipients originating from your account.', outcome: 'rejected', cause: 'policy', source: 'docs.mailchannels.com sending policies' },
  // sender-side suppression; the mailbox itself is fine
  { stage: 'rcpt', reply: '550 5.7.1 [UNS] Recipient has unsubscribed from your list.', outcome: 'rejected', cause: 'policy', source: 'docs.mailchannels.com sending policies', holdout: true },
  // [RBL]: block list
  { stage: 'rcpt', reply: '550 5.7.1 [RBL] Sender blocked', outcome: 'rejected', cause: 'blocklist', source: 'hostpapa.com MailChannels errors' },
  { stage: 'rcpt', reply: '550 5.7.1 [CS] Message blocked', outcome: 'rejected', cause: 'policy', source: 'support.arvixe.com (MailChannels)', holdout: true },
  { stage: 'rcpt', reply: '550 5.7.1 [CSR] Account blocked.', outcome: 'rejected', cause: 'policy', source: 'support.arvixe.com (MailChannels)', miss: 'recipient' },
  // no cause in the text
  { stage: 'connect', reply: '554 5.7.2 Service denied, closing transmission channel (SESSIONID)', outcome: 'rejected', cause: 'policy', source: 'maxclicksonline.com ASSP bounces', holdout: true },
  { stage: 'rcpt', reply: '554 5.7.1 Mail (SESSIONID) appears to be unsolicited - resend with the code xxxxxxx appended to subject and ask to have your email whitelisted.', outcome: 'rejected', cause: 'policy', source: 'maxclicksonline.com ASSP bounces' },
  // virus: content policy
  { stage: 'rcpt', reply: '554 5.7.1 Mail appears infected with INFECTION -- disinfect and resend.', outcome: 'rejected', cause: 'policy', source: 'maxclicksonline.com ASSP bounces', holdout: true },
  // code assumed
  { stage: 'mail', reply: '550 5.7.1 Your sender domain is required to send via an encrypted SMTP session', outcome: 'rejected', cause: 'tls-required', source: 'vipre.freshdesk.com rejection reasons (code assumed)' },
  // code assumed; a HELO claiming the receiver's own name: admin rule on the HELO
  { stage: 'helo', reply: '550 You cannot say you are me. I am me.', outcome: 'rejected', cause: 'helo-policy', source: 'vipre.freshdesk.com rejection reasons (code assumed)', holdout: true },
  // code assumed
  { stage: 'rcpt', reply: '550 The IP Address of the sender (192.0.2.1) was found in a DNS blacklist database and was therefore refused', outcome: 'rejected', cause: 'blocklist', source: 'help.misterdomain.eu (code assumed)' },
  // the only cue is the openspf URL: an SPF refusal
  { stage: 'mail', reply: '550 5.7.0 Please see http://www.openspf.net/why.html?sender=john%40example.com', outcome: 'rejected', cause: 'policy', source: 'support.kerioconnect.gfi.com SPF article', holdout: true },
  // code assumed; IP blocked on spam statistics: reputation
  { stage: 'rcpt', reply: '554 5.7.1 Blocked by spam statistics', outcome: 'rejected', cause: 'blocklist', source: 'yandex.com support (code assumed)' },
  // code assumed
  { stage: 'rcpt', reply: '554 Sorry, message looks like SPAM to me', outcome: 'rejected', cause: 'policy', source: 'yandex.com support bounces/other (code assumed)', holdout: true },
  // outbound abuse control, text says policy violation
  { stage: 'mail', reply: '550 5.1.0 cNkj1y0022zrrQM01NkjaD policy violation, see https://support.forpsi.com/kb/a4081', outcome: 'rejected', cause: 'policy', source: 'support.konto.pl (Forpsi)' },
  { stage: 'mail', reply: '451 5.7.3 Must issue a STARTTLS command first', outcome: 'deferred', cause: 'tls-required', source: 'vSMTP docs (deny code 451 5.7.3)', holdout: true },
  // "Mail refused" naming the IP with a blocks URL: an IP block
  { stage: 'connect', reply: '554 5.7.1 - ERROR: Mail refused - <192.0.2.1> - See http://att.net/blocks', outcome: 'rejected', cause: 'blocklist', source: 'ipblacklistremoval.com top-10 list (AT&T)' },
  // RTR:BL: AOL block-list code
  { stage: 'connect', reply: '554 (RTR:BL)', outcome: 'rejected', cause: 'blocklist', source: 'ipblacklistremoval.com top-10 list (AOL)', holdout: true },
];

runBlindSet('blind reply set 3', ROWS, { rows: 100, holdout: 50 });
