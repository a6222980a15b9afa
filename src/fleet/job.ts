/**
 * The fleet job: what the coordinator puts in Redis for one (target, vantage), and the checks a
 * worker runs on it before probing. Redis is a trust boundary: anyone who can write to it can
 * write a job, so the worker validates a job exactly like CLI input (the target line parser, the
 * CR/LF/NUL guard, the identity-kind whitelist, mailbox syntax, sizes, numeric bounds). Nothing in
 * a job names an SMTP verb: the session engine sends only greeting, EHLO/HELO, STARTTLS, MAIL,
 * RCPT and QUIT (never DATA or AUTH), and `stopAfter` is one of the five stages.
 */
import { createHash } from 'node:crypto';
import { MxprobeError } from '../errors.js';
import { STOP_AFTER, type IdentityKind, type StopAfter } from '../results.js';
import { parseTargetLine, type Target } from '../targets/parse.js';
import { safeWireValue } from '../cli/options.js';
import { domainName, identityWord, mailboxValue } from '../cli/wire-values.js';

export const FLEET_JOB_VERSION = 1 as const;
/** A job larger than this is refused whole (a target line is at most a few hundred octets). */
export const MAX_JOB_BYTES = 16_384;

const KINDS: readonly IdentityKind[] = ['primary', 'literal', 'bare-ip', 'short', 'localhost', 'nxdomain', 'mismatch', 'dynamic'];

export interface FleetProbeOptions {
  stopAfter: StopAfter;
  starttls: boolean;
  implicitTls: boolean;
  timeoutMs: number;
  deadlineMs: number;
  retries: number;
  retryGreylistSec: number | null;
  transcript: boolean;
  alignment: boolean;
  port: number;
  hostGapMs: number;
  family: 4 | 6 | 'any';
  identityKinds: IdentityKind[];
  customIdentities: string[];
  mailFrom: string | null;
  rcpt: string | null;
  mismatchName: string | null;
}

export interface FleetJob {
  v: typeof FLEET_JOB_VERSION;
  /** The coordinator's run id: job ids are derived from it, so a re-run of the same id adds nothing twice. */
  run: string;
  vantage: string;
  /** The target line as the user gave it, and where it came from (file:line). */
  target: { input: string; origin: string };
  options: FleetProbeOptions;
}

export class FleetJobError extends MxprobeError {
  constructor(message: string) {
    super('E_FLEET_JOB', message);
  }
}

/** A vantage or run name: a short token that is safe in a Redis key and a BullMQ job id. */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function assertName(what: string, name: string): string {
  if (!NAME_RE.test(name)) throw new FleetJobError(`${what} ${JSON.stringify(name.slice(0, 80))}: use 1-63 letters, digits, '.', '_' or '-'`);
  return name;
}

/**
 * Deterministic: the same run, vantage, target and probe options always give the same id (BullMQ
 * ignores a second add, and a re-run with the same --run-id re-uses the finished job). The options
 * are in the hash so a re-run with other options is a new job, never a stale result.
 */
export function jobId(run: string, vantage: string, targetInput: string, options?: FleetProbeOptions): string {
  const h = createHash('sha256').update(targetInput).update('\0').update(JSON.stringify(options ?? null)).digest('hex').slice(0, 24);
  return `${run}.${vantage}.${h}`;
}

/** The BullMQ queue a vantage's workers pull from. */
export function queueName(vantage: string): string {
  return `mxprobe-${assertName('vantage', vantage)}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(o: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new FleetJobError(`options.${key}: expected an integer in ${min}..${max}`);
  return v;
}

function bool(o: Record<string, unknown>, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new FleetJobError(`options.${key}: expected true or false`);
  return v;
}

function wire(key: string, v: unknown, max = 320): string {
  if (typeof v !== 'string' || v.length > max) throw new FleetJobError(`options.${key}: expected a string of at most ${max} characters`);
  try {
    return safeWireValue(key, v);
  } catch (err) {
    throw new FleetJobError(`options.${key}: ${(err as Error).message}`);
  }
}

/**
 * The same syntax checks as the command line's (cli/wire-values.ts), so a job can carry nothing
 * `probe` itself would refuse: a mailbox is local@domain (RFC 5321 §4.1.2), the null path only in
 * MAIL FROM (`--rcpt '<>'` is refused, and so is a job's `rcpt: ""`), a Unicode domain goes out as
 * A-labels. The coordinator writes the values those checks returned, so a genuine job passes
 * unchanged.
 */
function checked<T>(key: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new FleetJobError(`options.${key}: ${(err as Error).message}`);
  }
}

function nullableMailbox(key: 'mailFrom' | 'rcpt', v: unknown): string | null {
  if (v === null) return null;
  const s = wire(key, v);
  return checked(key, () => mailboxValue(key, s, key === 'mailFrom' ? { nullAllowed: true } : { nullAllowed: false, postmasterAlone: true }));
}

/** A custom identity: one EHLO argument of printable ASCII, as `--identity` (a Unicode name as A-labels). */
function identity(key: string, v: unknown): string {
  const s = wire(key, v, 253);
  if (s === '' || /\s/.test(s)) throw new FleetJobError(`options.${key}: "${s}" must be one word`);
  return checked(key, () => identityWord(key, s));
}

/** The mismatch identity's name: a domain, as `--mismatch-name`. */
function domain(key: string, v: unknown): string {
  const s = wire(key, v, 253);
  return checked(key, () => domainName(key, s));
}

/**
 * Checks a job read from Redis and returns it typed, or throws FleetJobError saying what is wrong.
 * Also returns the target parsed by the CLI's own line parser.
 */
export function validateJob(raw: unknown, expectedVantage?: string): { job: FleetJob; target: Target } {
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(raw) ?? '');
  } catch {
    throw new FleetJobError('job is not serialisable data');
  }
  if (size > MAX_JOB_BYTES) throw new FleetJobError(`job is ${size} bytes, more than ${MAX_JOB_BYTES}`);
  if (!isObject(raw)) throw new FleetJobError('job is not an object');
  if (raw['v'] !== FLEET_JOB_VERSION) throw new FleetJobError(`job version ${JSON.stringify(raw['v'])} is not ${FLEET_JOB_VERSION}`);
  if (typeof raw['run'] !== 'string') throw new FleetJobError('run: expected a string');
  if (typeof raw['vantage'] !== 'string') throw new FleetJobError('vantage: expected a string');
  const run = assertName('run', raw['run']);
  const vantage = assertName('vantage', raw['vantage']);
  if (expectedVantage !== undefined && vantage !== expectedVantage) throw new FleetJobError(`job is for vantage ${vantage}, this worker is ${expectedVantage}`);
  const t = raw['target'];
  if (!isObject(t) || typeof t['input'] !== 'string' || typeof t['origin'] !== 'string') throw new FleetJobError('target: expected {input, origin}');
  if (t['origin'].length > 1024 || /[\x00-\x1f\x7f]/.test(t['origin'])) throw new FleetJobError('target.origin: too long or has control characters');
  if (/[\r\n\0]/.test(t['input'])) throw new FleetJobError('target.input: CR, LF or NUL is not allowed');
  const parsed = parseTargetLine(t['input'], t['origin']);
  if (parsed.ok !== true) throw new FleetJobError(`target.input ${JSON.stringify(t['input'].slice(0, 80))}: ${parsed.ok === false ? parsed.reason : 'empty'}`);
  const o = raw['options'];
  if (!isObject(o)) throw new FleetJobError('options: expected an object');
  const stopAfter = o['stopAfter'];
  if (typeof stopAfter !== 'string' || !(STOP_AFTER as readonly string[]).includes(stopAfter)) throw new FleetJobError(`options.stopAfter: one of ${STOP_AFTER.join(', ')}`);
  const kinds = o['identityKinds'];
  if (!Array.isArray(kinds) || kinds.length === 0 || kinds.length > KINDS.length || !kinds.every((k) => typeof k === 'string' && (KINDS as readonly string[]).includes(k))) {
    throw new FleetJobError(`options.identityKinds: a non-empty list of ${KINDS.join(', ')}`);
  }
  const custom = o['customIdentities'];
  if (!Array.isArray(custom) || custom.length > 16) throw new FleetJobError('options.customIdentities: a list of at most 16 names');
  const family = o['family'];
  if (family !== 4 && family !== 6 && family !== 'any') throw new FleetJobError('options.family: 4, 6 or "any"');
  const grey = o['retryGreylistSec'];
  const options: FleetProbeOptions = {
    stopAfter: stopAfter as StopAfter,
    starttls: bool(o, 'starttls'),
    implicitTls: bool(o, 'implicitTls'),
    timeoutMs: int(o, 'timeoutMs', 1, 3_600_000),
    deadlineMs: int(o, 'deadlineMs', 1, 36_000_000),
    retries: int(o, 'retries', 0, 5),
    retryGreylistSec: grey === null ? null : int(o, 'retryGreylistSec', 0, 86_400),
    transcript: bool(o, 'transcript'),
    alignment: bool(o, 'alignment'),
    port: int(o, 'port', 1, 65535),
    hostGapMs: int(o, 'hostGapMs', 0, 3_600_000),
    family,
    identityKinds: [...new Set(kinds as IdentityKind[])],
    customIdentities: custom.map((n, i) => identity(`customIdentities[${i}]`, n)),
    mailFrom: nullableMailbox('mailFrom', o['mailFrom']),
    rcpt: nullableMailbox('rcpt', o['rcpt']),
    mismatchName: o['mismatchName'] === null ? null : domain('mismatchName', o['mismatchName']),
  };
  // RFC 5321 §4.5.3.1.4: 512 octets per command line, CRLF included.
  for (const [k, line] of [['mailFrom', `MAIL FROM:<${options.mailFrom ?? ''}>`], ['rcpt', `RCPT TO:<${options.rcpt ?? ''}>`], ...options.customIdentities.map((n) => ['customIdentities', `EHLO ${n}`])] as const) {
    if (Buffer.byteLength(line) + 2 > 512) throw new FleetJobError(`options.${k}: the command would exceed 512 octets (RFC 5321 §4.5.3.1.4)`);
  }
  return { job: { v: FLEET_JOB_VERSION, run, vantage, target: { input: t['input'], origin: t['origin'] }, options }, target: parsed.target };
}
