/**
 * `deliver`: send ONE real test message (or --count, at most 10) with a chosen HELO identity,
 * directly to the recipient domain's MX (or --via), never through a relay. This is the only place
 * mxprobe sends DATA; probing stops at RCPT.
 *
 * Procedure:
 *  1. validate: CR/LF/NUL in --helo/--from/--to refused (RFC 5321 §2.3.8) before anything else;
 *     count 1..10; plain ASCII addresses;
 *  2. route: --via host[:port], or MX of the recipient domain (RFC 5321 §5.1: by preference, then
 *     each address; implicit MX; RFC 7505 null MX = the domain takes no mail);
 *  3. build the message and LOG THE PLAN (envelope, identity, hosts, message) before any
 *     connection; --dry-run stops here;
 *  4. per message, try the hosts in order as an MTA does (RFC 5321 §4.5.4.1): a connection/TLS
 *     failure or a 4xx moves on to the next host, a 5xx stops;
 *  5. record the transcript through nodemailer's logger, the final reply and the queue id.
 */
import { isIP } from 'node:net';
import { format } from 'node:util';
import nodemailer from 'nodemailer';
import { lookupAddresses, lookupExchangers } from '../dns/mx.js';
import type { Resolver } from '../dns/types.js';
import { UsageError } from '../errors.js';
import type { HostResult, TranscriptLine } from '../results.js';
import { assertSafeArgument } from '../smtp/command.js';
import { addressDomain, assertPlainAddress, buildMessage, defaultFrom, newToken } from './message.js';
import { parseQueueId, type QueueId } from './queue-id.js';
import { verdictLines } from './results-file.js';
import { VERSION as toolVersion } from '../version.js';

export const MAX_COUNT = 10;

export type TlsPolicy = 'require' | 'opportunistic' | 'none';

export interface DeliverOptions {
  /** The seed mailbox: must be given explicitly (never taken from a targets file). */
  to: string;
  helo: string;
  from?: string;
  /** Local address to bind (the source IP under test). */
  source?: string;
  /** "host", "host:port", "ip", "[v6]:port": deliver there instead of the recipient's MX. */
  via?: string;
  /** Port for MX routing (default 25). */
  port?: number;
  /** Default: opportunistic (STARTTLS when offered, RFC 3207). */
  tls?: TlsPolicy;
  /** Messages to send (default 1, at most MAX_COUNT). */
  count?: number;
  /** Probe results to quote in the body: HostResult[] from readHostResults(). */
  results?: { source: string; hosts: readonly HostResult[] };
  dryRun?: boolean;
  /** Per-connection timeout for connect, greeting and each reply (default 30000). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RouteCandidate {
  exchange: string;
  ip: string;
  port: number;
  family: 4 | 6;
  /** MX preference, or null for --via. */
  priority: number | null;
}

export interface DeliverRoute {
  via: 'mx' | 'via';
  domain: string | null;
  candidates: RouteCandidate[];
  /** DNS problems met while routing (a failed MX or address lookup), one line each. */
  notes: string[];
}

export type AttemptStatus = 'delivered' | 'deferred' | 'rejected' | 'greeting-rejected' | 'connection-failed' | 'tls-failed' | 'error';

export interface DeliverAttempt {
  exchange: string;
  ip: string;
  port: number;
  status: AttemptStatus;
  /** The last server reply (all lines joined by "\n"), or null when none was heard. */
  reply: string | null;
  code: number | null;
  error?: { code: string; message: string };
  local: { address: string; port: number } | null;
  transcript: TranscriptLine[];
}

export interface DeliveredMessage {
  token: string;
  messageId: string;
  subject: string;
  outcome: 'delivered' | 'rejected' | 'deferred' | 'failed';
  /** The final reply to the message data when delivered; else the reply that decided. */
  finalReply: string | null;
  queueId: QueueId | null;
  /** The host that took (or refused) it. */
  host: { exchange: string; ip: string; port: number } | null;
  attempts: DeliverAttempt[];
  raw: string;
}

export interface DeliverResult {
  dryRun: boolean;
  envelope: { from: string; to: string };
  helo: string;
  source: string | null;
  tls: TlsPolicy;
  route: DeliverRoute;
  messages: DeliveredMessage[];
}

/** "host", "host:port", "ip", "[v6]", "[v6]:port". */
export function parseVia(via: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(via);
  let host: string;
  let port = 25;
  if (v6?.[1]) {
    host = v6[1];
    if (v6[2]) port = Number(v6[2]);
  } else if (isIP(via) === 6) {
    host = via;
  } else {
    const m = /^([^:\s]+)(?::(\d+))?$/.exec(via);
    if (!m?.[1]) throw new UsageError(`--via ${JSON.stringify(via)}: expected host[:port]`);
    host = m[1];
    if (m[2]) port = Number(m[2]);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--via ${JSON.stringify(via)}: bad port`);
  return { host, port };
}

export async function resolveRoute(opts: Pick<DeliverOptions, 'to' | 'via' | 'port' | 'source'>, resolver: Resolver): Promise<DeliverRoute> {
  const notes: string[] = [];
  const candidates: RouteCandidate[] = [];
  const add = async (exchange: string, port: number, priority: number | null): Promise<void> => {
    const found = await lookupAddresses(exchange, resolver);
    if (found.status !== 'ok') notes.push(`${exchange}: no address (${found.status}${found.detail ? `: ${found.detail}` : ''})`);
    for (const a of found.addresses) candidates.push({ exchange, ip: a.ip, port, family: a.family, priority });
  };
  let result: DeliverRoute;
  if (opts.via !== undefined) {
    const { host, port } = parseVia(opts.via);
    await add(host, port, null);
    result = { via: 'via', domain: null, candidates, notes };
  } else {
    const domain = addressDomain(opts.to);
    if (domain === null) throw new UsageError(`--to ${JSON.stringify(opts.to)} has no domain`);
    const port = opts.port ?? 25;
    const mx = await lookupExchangers(domain, resolver);
    if (mx.nullMx) notes.push(`${domain} publishes a null MX (RFC 7505): it accepts no mail`);
    else if (mx.status !== 'ok') notes.push(`MX of ${domain}: ${mx.status}${mx.detail ? ` (${mx.detail})` : ''}`);
    for (const e of mx.mx) await add(e.exchange, port, e.priority);
    result = { via: 'mx', domain, candidates, notes };
  }
  // A bound source address only reaches peers of its own family.
  const sourceFamily = opts.source === undefined ? 0 : isIP(opts.source);
  if (sourceFamily !== 0) {
    const kept = result.candidates.filter((c) => c.family === sourceFamily);
    if (kept.length < result.candidates.length) notes.push(`skipped ${result.candidates.length - kept.length} address(es) not of the --source family (IPv${sourceFamily})`);
    result.candidates = kept;
  }
  return result;
}

function validate(opts: DeliverOptions): { from: string; count: number; tls: TlsPolicy } {
  if (typeof opts.to !== 'string' || opts.to === '') throw new UsageError('--to <address> is required: deliver sends only to a mailbox you name');
  // CR/LF/NUL first: nothing else may look at a value that could smuggle commands.
  assertSafeArgument(opts.helo, '--helo');
  assertSafeArgument(opts.to, '--to');
  if (opts.from !== undefined) assertSafeArgument(opts.from, '--from');
  if (opts.source !== undefined) assertSafeArgument(opts.source, '--source');
  if (opts.helo.trim() === '' || /\s/.test(opts.helo)) throw new UsageError('--helo must be one non-empty word');
  const count = opts.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) throw new UsageError(`--count must be an integer from 1 to ${MAX_COUNT}, got ${count}`);
  const tls = opts.tls ?? 'opportunistic';
  if (!['require', 'opportunistic', 'none'].includes(tls)) throw new UsageError(`--tls must be require, opportunistic or none, got ${String(tls)}`);
  if (opts.source !== undefined && isIP(opts.source) === 0) throw new UsageError(`--source ${JSON.stringify(opts.source)} is not an IP address`);
  assertPlainAddress(opts.to, '--to');
  const from = opts.from ?? defaultFrom(opts.helo);
  assertPlainAddress(from, '--from');
  return { from, count, tls };
}

function describeCandidate(c: RouteCandidate): string {
  const host = c.family === 6 ? `[${c.ip}]` : c.ip;
  return `${c.exchange} ${host}:${c.port}${c.priority === null ? ' (--via)' : ` (MX ${c.priority})`}`;
}

interface LogEntry {
  tnx?: string;
  localAddress?: string;
  localPort?: number;
}

/** A bunyan-shaped logger for nodemailer that records the SMTP conversation as TranscriptLines. */
function transcriptLogger(start: number, lines: TranscriptLine[], local: { value: { address: string; port: number } | null }) {
  const record = (entry: LogEntry | undefined, message: unknown, ...args: unknown[]): void => {
    const text = format(String(message ?? ''), ...args);
    const tnx = entry?.tnx;
    if (tnx === 'network' && typeof entry?.localAddress === 'string' && typeof entry.localPort === 'number') {
      local.value = { address: entry.localAddress, port: entry.localPort };
    }
    const dir: TranscriptLine['dir'] = tnx === 'client' ? 'C' : tnx === 'server' ? 'S' : 'I';
    if (dir === 'I' && tnx !== 'network' && tnx !== 'smtp') return;
    for (const line of text.split(/\r?\n/)) lines.push({ t: Date.now() - start, dir, line });
  };
  return { trace: record, debug: record, info: record, warn: record, error: record, fatal: record };
}

interface MailerError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
  name?: string;
  /** The SMTP command that failed ("CONN" for the greeting, "STARTTLS", "RCPT TO", ...). */
  command?: string;
}

async function attempt(
  c: RouteCandidate,
  msg: { raw: string; from: string; to: string },
  o: { helo: string; source: string | undefined; tls: TlsPolicy; timeoutMs: number; signal: AbortSignal | undefined },
): Promise<DeliverAttempt> {
  const start = Date.now();
  const transcript: TranscriptLine[] = [];
  const local: { value: { address: string; port: number } | null } = { value: null };
  const isIpExchange = isIP(c.exchange) !== 0;
  const transport = nodemailer.createTransport({
    host: c.ip,
    port: c.port,
    // Port 465 would mean implicit TLS; deliver speaks plain SMTP + STARTTLS (RFC 3207) like an MTA.
    secure: false,
    name: o.helo,
    ...(o.source !== undefined ? { localAddress: o.source } : {}),
    ignoreTLS: o.tls === 'none',
    requireTLS: o.tls === 'require',
    // Opportunistic TLS between MTAs does not verify the certificate (RFC 3207 §4.1, RFC 7672 §1.3);
    // SNI carries the MX name so the receiver can pick its certificate.
    tls: { rejectUnauthorized: false, ...(isIpExchange ? {} : { servername: c.exchange }) },
    ...(isIpExchange ? {} : { servername: c.exchange }),
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
    // Loopback and lab addresses are legitimate targets here (the seed box may be local).
    allowInternalNetworkInterfaces: true,
    logger: transcriptLogger(start, transcript, local),
    transactionLog: true,
  });
  const base = { exchange: c.exchange, ip: c.ip, port: c.port, transcript } as const;
  try {
    const info = (await transport.sendMail({
      envelope: { from: msg.from, to: [msg.to] },
      raw: msg.raw,
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
    })) as { response?: string };
    const reply = info.response ?? null;
    return { ...base, status: 'delivered', reply, code: replyCode(reply), local: local.value };
  } catch (e) {
    const err = (e ?? {}) as MailerError;
    const reply = typeof err.response === 'string' ? err.response : null;
    const code = typeof err.responseCode === 'number' ? err.responseCode : replyCode(reply);
    let status: AttemptStatus;
    // TLS trouble (a refused or failed STARTTLS, even with a 5xx) says nothing about the message:
    // like Postfix under a TLS requirement, move on to the next host.
    if (err.code === 'ETLS') status = 'tls-failed';
    // A 5xx greeting: skip the host, as Postfix does (smtp_skip_5xx_greeting = yes).
    else if (err.command === 'CONN' && code !== null && code >= 500) status = 'greeting-rejected';
    else if (code !== null && code >= 500) status = 'rejected';
    else if (code !== null && code >= 400) status = 'deferred';
    else if (err.code === 'ECONNECTION' || err.code === 'ETIMEDOUT' || err.code === 'ESOCKET' || err.code === 'EDNS') status = 'connection-failed';
    else status = 'error';
    return {
      ...base,
      status,
      reply,
      code,
      error: { code: err.code ?? err.name ?? 'ERROR', message: err.message ?? String(e) },
      local: local.value,
    };
  } finally {
    transport.close();
  }
}

function replyCode(reply: string | null): number | null {
  const m = reply === null ? null : /^([2-5]\d\d)/.exec(reply);
  return m?.[1] ? Number(m[1]) : null;
}

export async function deliver(opts: DeliverOptions, deps: { resolver: Resolver; log?: (line: string) => void }): Promise<DeliverResult> {
  const log = deps.log ?? ((): void => undefined);
  const { from, count, tls } = validate(opts);
  const route = await resolveRoute(opts, deps.resolver);
  const source = opts.source ?? null;
  const verdicts = opts.results ? verdictLines(opts.results.hosts, route.candidates) : [];

  const built = Array.from({ length: count }, () =>
    buildMessage({
      from,
      to: opts.to,
      helo: opts.helo,
      source,
      token: newToken(),
      date: new Date(),
      tls,
      route: route.candidates.map(describeCandidate),
      verdicts,
      verdictSource: opts.results?.source ?? null,
      toolVersion,
    }),
  );

  // The plan, before any connection (and all that --dry-run does).
  log(`deliver: ${count} message(s) from <${from}> to <${opts.to}>, HELO ${opts.helo}, source ${source ?? 'system-chosen'}, TLS ${tls}`);
  log(`route (${route.via === 'via' ? '--via' : `MX of ${route.domain ?? '?'}`}):`);
  for (const c of route.candidates) log(`  ${describeCandidate(c)}`);
  if (route.candidates.length === 0) log('  (no host to deliver to)');
  for (const n of route.notes) log(`  note: ${n}`);
  const first = built[0];
  if (first) {
    log(`message 1 of ${count} (token ${first.token}):`);
    for (const line of first.raw.split('\r\n')) log(`  | ${line}`);
  }

  const result: DeliverResult = { dryRun: opts.dryRun === true, envelope: { from, to: opts.to }, helo: opts.helo, source, tls, route, messages: [] };
  const skeleton = (b: (typeof built)[number]): DeliveredMessage => ({
    token: b.token,
    messageId: b.messageId,
    subject: b.subject,
    outcome: 'failed',
    finalReply: null,
    queueId: null,
    host: null,
    attempts: [],
    raw: b.raw,
  });
  if (opts.dryRun === true) {
    log('dry run: nothing sent');
    result.messages = built.map(skeleton);
    return result;
  }

  const timeoutMs = opts.timeoutMs ?? 30_000;
  for (const b of built) {
    const m = skeleton(b);
    result.messages.push(m);
    for (const c of route.candidates) {
      if (opts.signal?.aborted) break;
      log(`connecting to ${describeCandidate(c)}`);
      const a = await attempt(c, { raw: b.raw, from, to: opts.to }, { helo: opts.helo, source: opts.source, tls, timeoutMs, signal: opts.signal });
      m.attempts.push(a);
      log(`  ${a.status}${a.reply ? `: ${a.reply.split('\n').join(' | ')}` : a.error ? `: ${a.error.message}` : ''}`);
      if (a.status === 'delivered') {
        m.outcome = 'delivered';
        m.finalReply = a.reply;
        m.queueId = a.reply === null ? null : parseQueueId(a.reply);
        m.host = { exchange: c.exchange, ip: c.ip, port: c.port };
        break;
      }
      if (a.status === 'rejected') {
        // RFC 5321 §4.2.1: 5yz is permanent; an MTA does not try the next MX.
        m.outcome = 'rejected';
        m.finalReply = a.reply;
        m.host = { exchange: c.exchange, ip: c.ip, port: c.port };
        break;
      }
      if (a.status === 'deferred') {
        m.outcome = 'deferred';
        m.finalReply = a.reply;
        m.host = { exchange: c.exchange, ip: c.ip, port: c.port };
      }
    }
  }
  return result;
}
