/**
 * One vocabulary for every mail-log format mxprobe reads: each line becomes at most one LogEvent.
 * Parsers (postfix.ts, exim.ts, spam.ts) produce them; the aggregator (aggregate.ts) folds them into
 * bounded counters. Discriminated on `kind`; nothing here holds more than one line's data.
 */

/** The log formats `--log-format` can force; `auto` detects per line. */
export type LogFormat = 'auto' | 'syslog' | 'rfc3339' | 'journal-json' | 'short-iso' | 'exim' | 'rspamd';
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'syslog', 'rfc3339', 'journal-json', 'short-iso', 'exim', 'rspamd'];

/** What every event carries: when (ms since epoch, UTC; null when the line had no usable time) and which host wrote it. */
export interface EventBase {
  time: number | null;
  /** The syslog host field (Postfix) or the --relay name (Exim/Rspamd logs have no host field). */
  relay: string;
}

/** Delivery status of one recipient (Postfix status=, Exim => -> ** ==). */
export type DeliveryStatus = 'sent' | 'deferred' | 'bounced' | 'expired';

/** The remote reply a delivery line quotes ("host X[ip] said: 550 ... (in reply to RCPT TO command)"). */
export interface RemoteReply {
  code: number | null;
  enhanced: string | null;
  text: string;
  /** Stage read from "(in reply to X command)" / Exim "after X"; 'data' for end-of-data refusals. */
  stage: 'connect' | 'ehlo' | 'helo' | 'starttls' | 'mail' | 'rcpt' | 'data' | null;
}

export interface DeliveryEvent extends EventBase {
  kind: 'delivery';
  source: 'postfix' | 'exim';
  queueId: string;
  /** Recipient address as logged (lower-cased domain part). */
  to: string;
  /** The recipient's domain, lower case ("" for a bare local part). */
  domain: string;
  /** The relay= field's host and address: "mx.example[192.0.2.1]:25" -> host, ip; local/none -> host only. */
  mxHost: string | null;
  mxIp: string | null;
  /** The delivery agent (smtp, lmtp, local, virtual, error, ...; Exim: the transport). */
  agent: string;
  status: DeliveryStatus;
  dsn: string | null;
  /** The reason in parentheses after status=, kept raw (capped). */
  reason: string;
  /** The remote reply, when the reason quotes one (`said:` / `refused to talk to me:` / Exim SMTP error). */
  reply: RemoteReply | null;
  /** Postfix "forwarded as QID": pflogsumm counts it apart from delivered. */
  forwarded: boolean;
}

/** A message entering the queue: smtpd "client=", pickup "sender=/uid=", Exim "<=". */
export interface ReceivedEvent extends EventBase {
  kind: 'received';
  source: 'postfix' | 'exim';
  queueId: string;
  via: 'smtpd' | 'pickup' | 'exim';
  /** The client's HELO when the line states it (Exim "H=name (helo) [ip]"); Postfix does not log it here. */
  helo: string | null;
}

/** The HELO/client check that a receiver's rejection names (the inbound table groups by it). */
export type RejectCheck =
  | 'reject_invalid_helo_hostname'
  | 'reject_non_fqdn_helo_hostname'
  | 'reject_unknown_helo_hostname'
  | 'reject_unknown_client_hostname'
  | 'reject_unknown_reverse_client_hostname'
  | 'check_helo_access'
  | 'exim_helo_verify'
  | 'reject_rbl_client'
  | 'reject_unauth_destination'
  | 'reject_unlisted_recipient'
  | 'header_body_checks'
  | 'milter'
  | 'other';

/** A receiver refusing a client: Postfix "NOQUEUE: reject:", cleanup header/body rejects, Exim "rejected ...". */
export interface RejectEvent extends EventBase {
  kind: 'reject';
  source: 'postfix' | 'exim';
  /** postfix smtpd syslog tag ("postfix/smtpd", "postfix/strict/smtpd") or "exim". */
  service: string;
  /** SMTP command the reject answered (RCPT, EHLO, CONNECT, header, body, ...). */
  command: string;
  clientName: string | null;
  clientIp: string | null;
  helo: string | null;
  code: number | null;
  enhanced: string | null;
  text: string;
  check: RejectCheck;
  /** The smtpd process ("postfix/smtpd[123]"): one SMTP session at a time, so it names the session until "disconnect". */
  session: string | null;
  /** pflogsumm counts it as "rejected" (reject: and cleanup reject:, not reject_warning:). */
  counted: boolean;
}

/** One client session's HELO name where the log states it without a reject (Postfix INFO/permit logging, Exim H=). */
export interface HeloSeenEvent extends EventBase {
  kind: 'helo';
  helo: string;
  clientIp: string | null;
  session: string | null;
}

/** Postfix qmgr "QID: removed": the message left the queue; per-message state can go. */
export interface QueueRemovedEvent extends EventBase {
  kind: 'queue-removed';
  queueId: string;
}

/** Postfix smtpd "disconnect from": the session's HELO observations end here. */
export interface SessionEndEvent extends EventBase {
  kind: 'session-end';
  session: string;
}

export interface SpamSymbol {
  name: string;
  /** Score the symbol added; null when the log does not say (SpamAssassin's spamd result line). */
  score: number | null;
}

/** A spam-filter verdict line (Rspamd rspamd_task_write_log, SpamAssassin spamd "result:"). */
export interface SpamEvent extends EventBase {
  kind: 'spam';
  engine: 'rspamd' | 'spamassassin';
  /** Every symbol on the line; the aggregator keeps the hostname-related ones. */
  symbols: SpamSymbol[];
}

/** A line we recognised (its format and program) but that carries nothing we count. */
export interface OtherEvent extends EventBase {
  kind: 'other';
}

/** A line in no format we know. */
export interface UnknownEvent {
  kind: 'unknown';
}

export type LogEvent = DeliveryEvent | ReceivedEvent | RejectEvent | HeloSeenEvent | SessionEndEvent | QueueRemovedEvent | SpamEvent | OtherEvent | UnknownEvent;

export const UNKNOWN: UnknownEvent = Object.freeze({ kind: 'unknown' }) as UnknownEvent;
