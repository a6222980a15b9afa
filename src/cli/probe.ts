/**
 * `mxprobe probe`: flags → RunOptions, targets → results, results → the chosen format.
 * Results stream: NDJSON is written host by host, JSON target by target, so an interrupted run
 * loses nothing it had finished (and the JSON document is still closed properly).
 */
import { truncateSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { CliContext } from './context.js';
import { InterruptedError, TargetInputError, UsageError } from '../errors.js';
import { readSmallTextFile } from '../io/small-file.js';
import type { IdentityKind, RunResult, StopAfter, TargetResult } from '../results.js';
import { createResolver } from '../dns/resolver.js';
import type { Resolver } from '../dns/types.js';
import { parseResolverAddress } from '../dns/servers.js';
import { normaliseHostname } from '../targets/idn.js';
import { noTargetsError, readTargets, validateTargets, type TargetSourceSpec } from '../targets/read.js';
import type { Target } from '../targets/parse.js';
import { parseIdentityKinds } from '../probe/identities.js';
import { runProbes, type RunOptions, type RunSink } from '../probe/run.js';
import { isBackoffNotTried } from '../probe/probe-host.js';
import { analysisEnrichers } from '../probe/enrich.js';
import { SummaryBuilder } from '../report/summary.js';
import { jsonFooter, jsonHeader, jsonTarget, ndjsonHost, ndjsonResume, ndjsonRun, ndjsonSummary, ndjsonTarget, type RunMeta } from '../report/json.js';
import type { ResumeSet } from '../probe/resume.js';
import { assertHostRulesCheckable, assertIdentityRulesCheckable, evaluateTargetPolicy, formatUnjudged, formatViolations, parsePolicy, unjudgedTargetPolicy, parsePolicyFile, type PolicyRule, type Violation } from '../analysis/policy.js';
import { assertLocalAddress, choice, collect, intOption, ipOption, safeWireValue, stopAfterOption } from './options.js';
import { VERSION } from '../version.js';
import { startProgress } from './progress.js';
import { checkFileOut, openFileOut, tableWidth } from './output.js';
import { domainName, heloName, identityWord, mailboxValue } from './wire-values.js';
import { lockResumeFile } from '../io/lock-file.js';
import { sameFile } from '../io/same-file.js';
import { addTransportOptions, assertTransportRulesCheckable, caFileUnused, loadTransportCa, transportApplies, transportInconclusive, transportRecordedOptions, wrapTransportSink, type TransportFlags, type TransportLab } from './transport-options.js';
import { addStoreOptions, startStoreHook, type StoreFlags } from './store-hook.js';
import { colorAllowed } from './color.js';

export type OutputFormat = 'table' | 'json' | 'ndjson' | 'csv' | 'html';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'ndjson', 'csv', 'html'];

export interface ProbeFlags extends TransportFlags, StoreFlags {
  targetsFile?: string[];
  resolver?: string[];
  port?: number;
  helo?: string;
  identities?: string;
  identity?: string[];
  mismatchName?: string;
  source?: string[];
  mailFrom?: string;
  nullSender?: boolean;
  rcpt?: string;
  stopAfter?: StopAfter;
  starttls: boolean;
  starttlsFallback: boolean;
  implicitTls?: boolean;
  timeout: number;
  deadline: number;
  dnsTimeout: number;
  concurrency: number;
  hostGap: number;
  retries: number;
  retryGreylist?: number;
  ipv4?: boolean;
  ipv6?: boolean;
  format: OutputFormat;
  output?: string;
  quiet?: boolean;
  transcript: boolean;
  alignment: boolean;
  shareHosts: boolean;
  skipInvalid?: boolean;
  failOn?: string;
  policy?: string;
  color?: boolean;
  resume?: string;
  /** Fleet mode (src/fleet/): probe from the relays' workers instead of from here. */
  queue?: string;
  queueCa?: string;
  vantages?: string;
  wait?: number;
  runId?: string;
}

/** The flags shared by `probe` and `demo`. */
export function addProbeOptions(cmd: Command, defaults: { stopAfter?: StopAfter } = {}): Command {
  addTransportOptions(cmd);
  addStoreOptions(cmd);
  return cmd
    .option('--helo <name>', 'primary HELO/EHLO name (default: this host name)')
    .option('--identities <list>', `identity kinds to test, comma list or "all": primary, literal, bare-ip, short, localhost, nxdomain, mismatch, dynamic`)
    .option('--identity <name>', 'an extra custom HELO name (repeatable)', collect)
    .option('--mismatch-name <name>', 'for the mismatch identity: a name that resolves, but not to the source IP')
    .option('--source <ip>', 'local source address (repeatable: the matrix runs from each)', ipOption('--source'))
    .option('--mail-from <address>', 'MAIL FROM address (default postmaster@<primary domain>)')
    .option('--null-sender', 'use the null reverse-path MAIL FROM:<>')
    .option('--rcpt <address>', 'RCPT TO address (default postmaster@<target domain>)')
    .addOption(new Option('--stop-after <stage>', 'how far a session goes: banner|ehlo|starttls|mail|rcpt (default starttls; rcpt for a matrix)').argParser(stopAfterOption).default(defaults.stopAfter))
    .option('--no-starttls', 'do not issue STARTTLS even when offered')
    .option('--no-starttls-fallback', 'strict TLS audit: a refused STARTTLS or failed handshake ends the session (default: go on in plaintext like an opportunistic MTA)')
    .option('--implicit-tls', 'TLS from the first byte (port 465, RFC 8314)')
    .option('--timeout <ms>', 'timeout for each step', intOption('--timeout', 1, 3_600_000), 20_000)
    .option('--deadline <ms>', 'deadline for a whole session', intOption('--deadline', 1, 36_000_000), 60_000)
    .option('--dns-timeout <ms>', 'deadline for each DNS query', intOption('--dns-timeout', 1, 600_000), 5_000)
    .option('--concurrency <n>', 'sessions at once', intOption('--concurrency', 1, 100_000), 20)
    .option('--host-gap <ms>', 'pause between connections to the same IP', intOption('--host-gap', 0, 3_600_000), 1_000)
    .option('--retries <n>', 'retry a refused or timed-out connection this many times', intOption('--retries', 0, 5), 0)
    .option('--retry-greylist <seconds>', 're-probe a greylisted cell once after this delay', intOption('--retry-greylist', 0, 86_400))
    .option('-4, --ipv4', 'only IPv4 addresses')
    .option('-6, --ipv6', 'only IPv6 addresses')
    .addOption(new Option('--format <format>', `output format: ${OUTPUT_FORMATS.join('|')}`).argParser(choice('--format', OUTPUT_FORMATS)).default('table'))
    .option('-o, --output <file>', 'write results to a file instead of stdout')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--no-transcript', 'leave session transcripts out of the results')
    .option('--no-alignment', 'skip the DNS alignment checks (receiver and sender side)')
    .option('--no-share-hosts', 'probe a host again for every target that lists it, even when the session cannot differ')
    .option('--fail-on <rules>', 'exit 3 when an audit rule is violated (e.g. no-starttls,tls-below:1.2)')
    .option('--policy <file>', 'audit rules from a file, one per line')
    .option('--no-color', 'no colours in the table');
}

export interface ProbeInvocation {
  flags: ProbeFlags;
  targets: TargetSourceSpec;
  /** Injected by `demo`: the lab resolver and port. */
  resolver?: Resolver;
  defaultPort?: number;
  /** Options recorded in the results (the demo adds its lab description). */
  extraOptions?: Record<string, unknown>;
  /** Injected by `demo`: the lab's resolver address and MTA-STS policy server. */
  transportLab?: TransportLab;
}

function buildRunOptions(flags: ProbeFlags, defaultPort: number): { options: RunOptions; kinds: IdentityKind[] } {
  if (flags.ipv4 && flags.ipv6) throw new UsageError('-4 and -6 exclude each other');
  if (flags.nullSender && flags.mailFrom !== undefined) throw new UsageError('--null-sender and --mail-from exclude each other');
  // `--mail-from ''` (an unset shell variable) silently became the null reverse-path, which
  // receivers judge differently (bounces); the null path is asked for as '<>' or --null-sender.
  if (flags.mailFrom !== undefined && flags.mailFrom.trim() === '') throw new UsageError("--mail-from: empty; for the null reverse-path (RFC 5321 §4.5.5) give '<>' or --null-sender");
  const helo = aLabel('--helo', safeWireValue('--helo', flags.helo ?? hostname()));
  if (helo.trim() === '' || /\s/.test(helo)) throw new UsageError(`--helo: "${helo}" must be one word`);
  // An explicit --helo must be a Domain or address literal (RFC 5321 §4.1.1.1); this host's own
  // name is taken as the system has it (a warning below says when it is not qualified).
  if (flags.helo !== undefined) heloName('--helo', helo);
  // `--identities ''` (an unset shell variable) is an empty list, as `,` is: it used to fall back to
  // the primary alone, silently dropping the matrix the command line asked for.
  const kinds = flags.identities !== undefined ? parseIdentityKinds(flags.identities) : (['primary'] as IdentityKind[]);
  const custom = (flags.identity ?? []).map((n) => {
    safeWireValue('--identity', n);
    if (n.trim() === '' || /\s/.test(n)) throw new UsageError(`--identity: "${n}" must be one word`);
    return identityWord('--identity', aLabel('--identity', n));
  });
  // Any identity other than the primary asks how the receiver judges a HELO, and most receivers
  // (Postfix's smtpd_delay_reject = yes) only say so at RCPT: such a run goes to RCPT too.
  const matrix = kinds.length + custom.length > 1 || (flags.source?.length ?? 0) > 1 || custom.length > 0 || kinds.some((k) => k !== 'primary');
  assertCommandsFit(helo, custom, flags, kinds.some((k) => k === 'nxdomain' || k === 'dynamic'));
  const stopAfter = flags.stopAfter ?? (matrix ? 'rcpt' : 'starttls');
  const options: RunOptions = {
    stopAfter,
    starttls: flags.starttls,
    starttlsFallback: flags.starttlsFallback !== false,
    implicitTls: flags.implicitTls === true,
    timeoutMs: flags.timeout,
    deadlineMs: flags.deadline,
    retries: flags.retries,
    retryGreylistSec: flags.retryGreylist ?? null,
    transcript: flags.transcript,
    port: flags.port ?? (flags.implicitTls ? 465 : defaultPort),
    concurrency: flags.concurrency,
    hostGapMs: flags.hostGap,
    helo,
    identityKinds: kinds,
    customIdentities: custom,
    sources: flags.source && flags.source.length > 0 ? flags.source : [null],
    mailFrom: flags.nullSender ? '' : flags.mailFrom !== undefined ? mailboxValue('--mail-from', safeWireValue('--mail-from', flags.mailFrom), { nullAllowed: true }) : null,
    rcpt: flags.rcpt !== undefined ? mailboxValue('--rcpt', safeWireValue('--rcpt', flags.rcpt), { nullAllowed: false, postmasterAlone: true }) : null,
    mismatchName: flags.mismatchName !== undefined ? domainName('--mismatch-name', safeWireValue('--mismatch-name', flags.mismatchName)) : null,
    family: flags.ipv4 ? 4 : flags.ipv6 ? 6 : 'any',
    shareHosts: flags.shareHosts !== false,
  };
  return { options, kinds };
}

/**
 * Every command must fit RFC 5321 §4.5.3.1.4's 512 octets. Check the longest forms up front
 * (derived identities add a label or two) so a long name is a usage error, not a session failure.
 */
function assertCommandsFit(helo: string, custom: string[], flags: ProbeFlags, derived: boolean): void {
  // nxdomain and dynamic prepend a label to the primary's domain: at most "host-" + a full IPv6
  // address with dashes + ".dynamic." (54 octets).
  const longestDerived = helo.length + 54;
  for (const [flag, line] of [
    ['--helo', `EHLO ${helo}`],
    ['--helo', derived ? `EHLO ${'x'.repeat(longestDerived)}` : ''],
    ...custom.map((n) => ['--identity', `EHLO ${n}`] as const),
    ['--mail-from', `MAIL FROM:<${flags.mailFrom ?? `postmaster@${helo}`}>`],
    ['--rcpt', `RCPT TO:<${flags.rcpt ?? ''}>`],
    ['--mismatch-name', `EHLO ${flags.mismatchName ?? ''}`],
  ] as const) {
    if (Buffer.byteLength(line) + 2 > 512) throw new UsageError(`${flag}: too long: "${line.slice(0, 40)}…" would exceed the 512-octet command line of RFC 5321 §4.5.3.1.4`);
  }
}

/** RFC 5321 §2.3.5: the HELO domain goes on the wire as A-labels; accept a Unicode name and convert it. */
function aLabel(flag: string, name: string): string {
  if (!/[^\x00-\x7f]/.test(name)) return name;
  const r = normaliseHostname(name);
  if (!r.ok) throw new UsageError(`${flag}: "${name}": ${r.reason}`);
  return r.ascii;
}

function loadPolicy(flags: ProbeFlags, cwd: string, warn: (line: string) => void): PolicyRule[] {
  const rules: PolicyRule[] = [];
  // An empty --fail-on or --policy (an unset shell variable in a CI line) is a usage error, as
  // `--fail-on ,` is and `report --fail-on ''` was: read as "no rules", it turned the audit off and
  // the run exited 0 whatever it found.
  if (flags.failOn !== undefined) rules.push(...parsePolicy(flags.failOn));
  if (flags.policy !== undefined) {
    if (flags.policy.trim() === '') throw new UsageError('--policy: empty path');
    const text = readSmallTextFile(resolvePath(cwd, flags.policy), '--policy');
    const fromFile = parsePolicyFile(text, flags.policy);
    // A rule-less file is allowed (a policy file committed before its rules), but never silently:
    // the run's exit code then says nothing about the audit.
    if (fromFile.length === 0) warn(`mxprobe: warning: --policy ${flags.policy} has no rules (only comments and blank lines): nothing is audited\n`);
    rules.push(...fromFile);
  }
  return rules;
}

/** Where output goes: a file written synchronously (nothing finished is lost on a signal) or stdout. */
interface Out {
  write(s: string): void;
  /** Writes what a buffered file holds (a run that ends in an error still leaves its records). */
  flush(): void;
  close(): Promise<void>;
}

function openOut(ctx: CliContext, path: string | undefined, mode: 'w' | 'a' = 'w'): Out {
  if (path === undefined) {
    return {
      write: (s) => void ctx.stdout.write(s),
      flush: () => {},
      close: () => Promise.resolve(),
    };
  }
  // Write errors (ENOSPC, EIO) become an OutputError: one line on stderr, exit 5 (cli/output.ts).
  // Records are written in chunks of about 64 KiB, none waiting more than 200 ms (cli/output.ts):
  // one write(2) per record cost a visible share of a fast run's CPU (issue 13).
  const file = openFileOut(path, resolvePath(ctx.cwd, path), mode, { bufferBytes: 64 * 1024, flushMs: 200 });
  return {
    write: (s) => file.write(s),
    flush: () => file.flush(),
    close: async () => file.close(),
  };
}

/** Targets the validation pass keeps so that a run of at most this many parses its input once. */
const KEEP_TARGETS = 10_000;

/** Options whose change would make a resumed file mix two different experiments. */
const RESUME_SENSITIVE = ['helo', 'identities', 'customIdentities', 'sources', 'stopAfter', 'starttls', 'mailFrom', 'rcpt', 'port'] as const;

function targetFailed(t: TargetResult): boolean {
  if (t.dns.status !== 'ok' && t.dns.status !== 'not-needed' && t.dns.status !== 'null-mx') return true;
  if (t.hosts.length === 0 && t.dns.status !== 'null-mx') return true;
  // An exchanger (or one address family) whose lookup failed was never probed (RFC 5321 §5.1:
  // every MX counts); the probed ones cannot speak for it.
  if ((t.dns.unresolved?.length ?? 0) > 0) return true;
  return t.hosts.some(
    (h) =>
      h.probes.some((p) => (p.status !== 'success' && p.status !== 'not-tried') || isBackoffNotTried(p)) ||
      // Nothing at all was tried on this host (e.g. no source of its address family): not probed.
      (h.probes.length > 0 && h.probes.every((p) => p.status === 'not-tried' && p.notTried?.reason !== 'run interrupted')),
  );
}

/**
 * `-f list.txt -o list.txt` (a slip, or a script's variable naming both) emptied the targets file
 * and left the results in its place; above KEEP_TARGETS targets the second pass over the list
 * would read the results being written as targets. The same file (device and inode, so a symlink
 * or hard link counts too) is refused before anything is opened.
 */
function assertNotATargetsFile(out: string, spec: TargetSourceSpec, flag: string): void {
  for (const f of spec.files) {
    if (f !== '-' && sameFile(out, resolvePath(spec.cwd ?? process.cwd(), f))) {
      throw new UsageError(`${flag} ${out} is the targets file ${f}: the results would overwrite the targets (write them elsewhere)`);
    }
  }
}

/** Cells a signal cut short or kept from starting (as report/load.ts interruptedCell tells them). */
function countCutCells(t: TargetResult): number {
  let n = 0;
  for (const h of t.hosts) for (const p of h.probes) if (p.error?.code === 'E_INTERRUPTED' || (p.status === 'not-tried' && p.notTried?.reason === 'run interrupted')) n++;
  return n;
}

function partialNote(cut: number, notStarted: number, missing: number, total: number): string {
  const parts = [`${cut} probe(s) cut short or never started (error E_INTERRUPTED or not-tried)`];
  if (notStarted > 0) parts.push(`${notStarted} of ${total} target(s) never started (dns not-tried)`);
  // Fleet runs, and targets skipped by --resume, are not listed one by one.
  if (missing > 0) parts.push(`${missing} of ${total} target(s) not listed at all`);
  return `Interrupted run: these results are partial: ${parts.join('; ')}.`;
}

export async function executeProbe(inv: ProbeInvocation, ctx: CliContext): Promise<void> {
  const flags = inv.flags;
  // `-o ''` is a slip (an unset shell variable), not a request for stdout.
  if (flags.output !== undefined && flags.output.trim() === '') throw new UsageError('-o/--output: empty file name');
  if (flags.output !== undefined) assertNotATargetsFile(resolvePath(ctx.cwd, flags.output), inv.targets, '-o');
  if (flags.resume !== undefined && flags.resume.trim() !== '') assertNotATargetsFile(resolvePath(ctx.cwd, flags.resume), inv.targets, '--resume');
  const { options } = buildRunOptions(flags, inv.defaultPort ?? 25);
  for (const source of flags.source ?? []) await assertLocalAddress('--source', source);
  const rules = loadPolicy(flags, ctx.cwd, (line) => void ctx.stderr.write(line));
  assertTransportRulesCheckable(rules, flags, options);
  assertIdentityRulesCheckable(rules, [...options.identityKinds, ...(options.customIdentities.length > 0 ? ['custom'] : [])]);
  assertHostRulesCheckable(rules, { stopAfter: options.stopAfter, starttls: options.starttls, implicitTls: options.implicitTls, alignment: flags.alignment });
  const servers = (flags.resolver ?? []).map((r) => parseResolverAddress(r));
  // --ca-file is read and checked here, before -o is opened (and truncated): see loadTransportCa.
  const transportCa = flags.queue === undefined ? await loadTransportCa(flags, options, ctx.cwd, inv.transportLab) : null;

  // Validate every target line first: no probe starts while the input has errors (file:line).
  // Up to KEEP_TARGETS valid targets are kept by the validation pass, so a run of that size parses
  // its input once; a longer input is streamed a second time (bounded memory).
  let validation: Awaited<ReturnType<typeof validateTargets>>;
  try {
    validation = await validateTargets(inv.targets, { keep: KEEP_TARGETS, signal: ctx.signal });
  } catch (err) {
    // SIGINT/SIGTERM before anything was probed (a FIFO or pipe still open): nothing to write.
    if (!(err instanceof InterruptedError)) throw err;
    ctx.stderr.write(`mxprobe: ${err.message}\n`);
    ctx.setExitCode(130);
    return;
  }
  if (validation.problems.length > 0) {
    if (!flags.skipInvalid) throw new TargetInputError(validation.problems);
    ctx.stderr.write(`${new TargetInputError(validation.problems).message}\nskipping ${validation.invalid} invalid line(s) (--skip-invalid)\n`);
  }
  if (validation.count === 0) throw noTargetsError(inv.targets);
  // Only once the flags and targets are known to be usable: printed before a usage error, the
  // warning read as part of it.
  if (flags.helo === undefined && flags.queue === undefined && !options.helo.includes('.') && !flags.quiet) {
    ctx.stderr.write(`mxprobe: warning: --helo not given and this host's name "${options.helo}" is not fully qualified; receivers will judge exactly that (give --helo <fqdn>)\n`);
  }
  // Printed whatever -q says, like the rule-less --policy warning: the command line asks for
  // something the run will not do.
  const caUnused = flags.queue === undefined ? caFileUnused(flags, options) : null;
  if (caUnused !== null) ctx.stderr.write(`mxprobe: warning: --ca-file ${flags.caFile ?? ''} is not used: ${caUnused}\n`);
  if (validation.duplicates > 0 && !flags.quiet) ctx.stderr.write(`note: ${validation.duplicates} duplicate target(s) ignored\n`);
  if (validation.ipTargets > 0 && flags.rcpt === undefined && (options.stopAfter === 'rcpt') && !flags.quiet) {
    // RFC 5321 §4.1.3 allows postmaster@[ip], but many receivers refuse domain literals at RCPT
    // (Exim: "501 domain literals not allowed"), which would be read as a verdict on every HELO.
    ctx.stderr.write(`mxprobe: warning: ${validation.ipTargets} IP target(s) get RCPT TO:<postmaster@[ip]>; many receivers refuse domain literals, so give --rcpt <address> at a domain the receiver accepts\n`);
  }

  const resolver = inv.resolver ?? createResolver({ ...(servers.length ? { servers } : {}), timeoutMs: flags.dnsTimeout });
  const startedAt = new Date().toISOString();
  const recordedOptions: Record<string, unknown> = {
    ...inv.extraOptions,
    helo: options.helo,
    identities: options.identityKinds,
    customIdentities: options.customIdentities,
    sources: options.sources,
    mailFrom: options.mailFrom,
    rcpt: options.rcpt,
    stopAfter: options.stopAfter,
    starttls: options.starttls,
    starttlsFallback: options.starttlsFallback !== false,
    implicitTls: options.implicitTls,
    port: options.port,
    timeoutMs: options.timeoutMs,
    deadlineMs: options.deadlineMs,
    concurrency: options.concurrency,
    hostGapMs: options.hostGapMs,
    retries: options.retries,
    retryGreylistSec: options.retryGreylistSec,
    family: options.family,
    resolvers: inv.resolver ? (inv.extraOptions?.['resolvers'] ?? ['lab']) : servers.length ? servers : ['system'],
    alignment: flags.alignment,
    shareHosts: options.shareHosts,
    ...transportRecordedOptions(flags, transportApplies(options)),
  };
  const meta: RunMeta = { tool: { name: 'mxprobe', version: VERSION }, startedAt, options: recordedOptions };

  // --resume: skip the cells an earlier run of this file finished, and append to it.
  let resume: ResumeSet | null = null;
  if (flags.resume !== undefined) {
    // `--resume ''` used to be ignored: the run started over and wrote to stdout.
    if (flags.resume.trim() === '') throw new UsageError('--resume: empty path');
    if (flags.format !== 'ndjson') throw new UsageError('--resume works with --format ndjson (the file it appends to)');
    if (flags.output && resolvePath(ctx.cwd, flags.output) !== resolvePath(ctx.cwd, flags.resume)) {
      throw new UsageError('--resume appends to its own file: leave out -o, or give the same path');
    }
    flags.output = resolvePath(ctx.cwd, flags.resume);
    // Held until the process exits; taken before the file is read, so the cells skipped are the
    // cells in the file this run appends to.
    lockResumeFile(flags.output);
    // Cells, not targets: a target finished under fewer identities or sources is planned again.
    const { loadCompleted } = await import('../probe/resume.js');
    resume = await loadCompleted(flags.output, {
      identities: options.identityKinds,
      customIdentities: options.customIdentities,
      sources: options.sources,
    });
    if (resume.exists) {
      // A write cut short by a crash is dropped before appending; a final record without its LF gets one.
      if (resume.truncatedTail) truncateSync(flags.output, resume.validBytes);
      const before = resume.runOptions;
      // A run record without options (a file without any run record is refused, probe/resume.ts)
      // says nothing about them: listing every option as "different" (as it did) accused the user
      // of a change nobody made.
      const changed = before === null ? [] : RESUME_SENSITIVE.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(recordedOptions[k]));
      if (changed.length > 0) ctx.stderr.write(`mxprobe: warning: --resume with different ${changed.join(', ')} than the earlier run\n`);
      if (before === null && resume.size > 0) ctx.stderr.write(`mxprobe: warning: --resume: ${flags.resume} has a run record without options, so they cannot be compared with this run's\n`);
      if (!flags.quiet) ctx.stderr.write(`resuming ${flags.resume}: ${resume.size} finished cell(s), ${resume.targets} finished target(s) skipped\n`);
    }
  }
  // Fleet mode: Redis checked and live vantages known before any output is written.
  const fleet = flags.queue !== undefined ? await (await import('./fleet-probe.js')).openFleetRun(flags, ctx, recordedOptions) : null;
  // --store / --metrics-file (store-hook.ts): opened before anything is probed or -o is truncated;
  // an -o that cannot be opened is refused before that, so it leaves no empty store run behind.
  if (flags.output !== undefined) checkFileOut(flags.output, resolvePath(ctx.cwd, flags.output));
  const storeHook = await startStoreHook({ ...flags, ...(resume?.exists && flags.output ? { resumeInto: flags.output } : {}), expectedTargets: validation.count }, ctx, { startedAt, toolVersion: VERSION, options: recordedOptions });
  const out = openOut(ctx, flags.output, resume?.exists ? 'a' : 'w');
  if (resume?.exists && resume.needsNewline) out.write('\n');
  const summary = new SummaryBuilder();
  // Only the table and the HTML page need the whole run; everything else streams, and the audit
  // policy is judged per target as it finishes (only its violations are kept).
  const tableW = tableWidth(ctx.stdout, ctx.env, flags.output !== undefined);
  // The renderers a run does not use are never loaded (start-up CPU, issue 13).
  const { TableBuilder } = flags.format === 'table' ? await import('../report/table.js') : { TableBuilder: null };
  const csv = flags.format === 'csv' ? await import('../report/csv.js') : null;
  const table = TableBuilder !== null
    ? new TableBuilder({ color: colorAllowed(flags.color, ctx.env) && !flags.output && (ctx.stdout as { isTTY?: boolean }).isTTY === true, ...(tableW !== undefined ? { width: tableW } : {}) })
    : null;
  const consistency = table && fleet && fleet.vantageCount > 1 ? await (await import('./fleet-probe.js')).startFleetConsistency(recordedOptions) : null;
  const violations: Violation[] = [];
  // Rules a failed DNS lookup left unjudged: the run is inconclusive (exit 1), never a pass.
  const unjudged: Violation[] = [];
  const policyNow = new Date();
  const collected: TargetResult[] = [];
  let firstTarget = true;
  let failed = false;

  if (flags.format === 'json') out.write(jsonHeader(meta));
  if (flags.format === 'ndjson') out.write(resume?.exists ? ndjsonResume(startedAt, recordedOptions, resume.size) : ndjsonRun(meta));
  if (csv) out.write(csv.csvHeader());

  const progress = await startProgress(ctx, !flags.quiet, validation.count, Date.now, colorAllowed(flags.color, ctx.env));
  const kept = validation.targets;
  const targetsIter = (async function* (): AsyncGenerator<Target> {
    if (kept !== undefined) {
      yield* kept;
      return;
    }
    for await (const line of readTargets(inv.targets)) {
      if (line.ok === true) yield line.target;
    }
  })();

  let interrupted = false;
  let cutCells = 0;
  /** Targets given but never started (the signal came first): listed, kept out of the summary. */
  let notStarted = 0;
  const onAbort = () => {
    interrupted = true;
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const enrich = flags.alignment ? analysisEnrichers(resolver) : {};
  try {
    const sink: RunSink = {
      host(host, target) {
        progress.host(host.probes.length, `${target.input} ${host.ip}`);
        // --store: the record is serialised once for this line and the store (store-hook.ts).
        const line = flags.format === 'ndjson' ? (storeHook?.hostLine(host, target) ?? ndjsonHost(host, target)) : undefined;
        // Stored before it is written out: an -o that fails here (a full disk) ends the run, and
        // the store keeps this host.
        const stored = storeHook?.host(host, target);
        if (line !== undefined) out.write(line);
        return stored;
      },
      target(t) {
        progress.target(t.input);
        // Stored first, as the host: made once for this line and the store (store-hook.ts).
        const tline = flags.format === 'ndjson' ? (storeHook?.targetLine(t) ?? ndjsonTarget(t)) : undefined;
        const stored = storeHook?.target(t);
        // Only targets that end after the signal can hold cells it cut short.
        if (ctx.signal.aborted) cutCells += countCutCells(t);
        summary.addTarget(t);
        if (targetFailed(t) || transportInconclusive(t)) failed = true;
        if (rules.length > 0) {
          violations.push(...evaluateTargetPolicy(t, rules, policyNow));
          const notJudged = unjudgedTargetPolicy(t, rules);
          if (notJudged.length > 0) {
            unjudged.push(...notJudged);
            failed = true;
          }
        }
        if (flags.format === 'json') {
          out.write(jsonTarget(t, firstTarget));
          firstTarget = false;
        }
        if (tline !== undefined) out.write(tline);
        if (csv) out.write(csv.csvRows(t));
        // The table keeps only its rendered cells per finished target (report/table.ts
        // TableBuilder), not the results. The HTML page shows everything, transcripts included.
        if (table) table.add(t);
        consistency?.add(t);
        if (flags.format === 'html') collected.push(t);
        return stored;
      },
    };
    // After a signal, each target never started is listed as such (DNS `not-tried`, reason "run
    // interrupted") in every format, so it reads differently from one never given. Nothing was
    // observed: no summary, audit or store row, and the transport checks never see it.
    const notStartedSink = (t: TargetResult): void => {
      notStarted++;
      progress.target(t.input);
      if (flags.format === 'json') {
        out.write(jsonTarget(t, firstTarget));
        firstTarget = false;
      }
      if (flags.format === 'ndjson') out.write(ndjsonTarget(t));
      if (csv) out.write(csv.csvRows(t));
      if (table) table.add(t);
      if (flags.format === 'html') collected.push(t);
    };
    // Transport security (DANE, MTA-STS) is judged where the TLS chain is at hand: in a local run.
    // Fleet results come back as JSON without the chain's DER, so the coordinator does not judge them.
    if (fleet) failed = (await fleet.run(targetsIter, options, sink)) || failed;
    else {
      const transportSink = await wrapTransportSink(sink, { flags, options, resolver, servers, dnsTimeoutMs: flags.dnsTimeout, cwd: ctx.cwd, ca: transportCa, ...(inv.transportLab ? { lab: inv.transportLab } : {}) });
      await runProbes(targetsIter, options, { resolver, signal: ctx.signal, notStarted: notStartedSink, ...enrich, ...(resume?.exists ? { skip: resume } : {}) }, transportSink);
    }
  } catch (err) {
    // The run failed (e.g. -o hit a full disk): what was finished is still written out, and the
    // store run is finished as interrupted with what it holds, not left "running" as if a process
    // were still writing it.
    try {
      out.flush();
    } catch {
      // The run's own error is the one to report.
    }
    await storeHook?.finish(new Date().toISOString(), summary.build(), true).catch(() => {});
    throw err;
  } finally {
    progress.stop();
    ctx.signal.removeEventListener('abort', onAbort);
  }
  interrupted ||= ctx.signal.aborted;
  const finishedAt = new Date().toISOString();
  const sum = summary.build();
  if (flags.format === 'json') out.write(jsonFooter(finishedAt, sum, interrupted));
  if (flags.format === 'ndjson') out.write(ndjsonSummary(finishedAt, sum, interrupted));
  const run: RunResult = { schemaVersion: 1, tool: meta.tool, startedAt, finishedAt, options: recordedOptions, targets: collected, summary: sum };
  // A table or page cut short by a signal looked like a complete run of fewer targets: JSON and
  // NDJSON carry "interrupted", CSV has no place for it, these two say it in words (as `report` does).
  const partial = interrupted ? partialNote(cutCells, notStarted, validation.count - sum.targets - notStarted, validation.count) : null;
  if (table) out.write(table.render(sum) + (partial !== null ? `\n${partial}\n` : ''));
  // More than one vantage: the relay-consistency report follows the table.
  if (consistency) out.write(`\n${consistency.render()}`);
  if (flags.format === 'html') out.write((await import('../report/html.js')).renderHtml(run, partial !== null ? { notes: [partial] } : {}));
  // The store run is finished even when -o fails at its end (a full disk): the store holds the
  // run; the exit code still says the output was lost (exit 5).
  let outError: unknown = null;
  try {
    await out.close();
  } catch (e) {
    outError = e;
  }
  const storeLost = (await storeHook?.finish(finishedAt, sum, interrupted)) === true;
  if (outError !== null) throw outError;

  let code = failed || storeLost ? 1 : 0;
  if (rules.length > 0) {
    if (violations.length > 0) {
      ctx.stderr.write(formatViolations(violations));
      code = 3;
    }
    if (unjudged.length > 0) ctx.stderr.write(formatUnjudged(unjudged));
  }
  if (interrupted) code = 130;
  ctx.setExitCode(code);
}

export function registerProbe(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('probe')
    .description('probe SMTP receivers: banner, EHLO/HELO, capabilities, STARTTLS, and how they treat your HELO')
    .argument('[targets...]', 'domains, host:port, IPv4, [IPv6] or [IPv6]:port; "-" reads stdin')
    .option('-f, --targets-file <path>', 'file with one target per line (repeatable; "-" for stdin)', collect)
    .option('--resolver <ip[:port]>', 'DNS server to use (repeatable; default: the system resolvers); IPv6 with a port in brackets: [::1]:5353', collect)
    .option('--port <n>', 'SMTP port when a target gives none (default: 25; 465 with --implicit-tls)', intOption('--port', 1, 65535))
    .option('--skip-invalid', 'probe the valid targets even if some lines are invalid')
    .option('--resume <results.ndjson>', 'skip the (target, ip, identity, source) cells this NDJSON file already has, and append to it')
    .option('--queue <url>', 'fleet mode: enqueue the probes on this Redis (redis://… or rediss://…) for the relays\' workers')
    .option('--queue-ca <file>', 'fleet mode: CA certificate(s) for a rediss:// server with a private CA')
    .option('--vantages <list>', 'fleet mode: comma list of vantage names, or "all" live ones (default all)')
    .option('--wait <seconds>', 'fleet mode: deadline for the whole run; what is not back by then is reported missing', intOption('--wait', 1, 30 * 86_400))
    .option('--run-id <id>', 'fleet mode: job ids derive from it; the same id again reuses finished jobs instead of probing twice');
  addProbeOptions(cmd);
  cmd.action(async (targets: string[], flags: ProbeFlags) => {
    if (flags.resume !== undefined && cmd.getOptionValueSource('format') !== 'cli') flags.format = 'ndjson';
    const args = targets.filter((t) => t !== '-');
    const files = [...(flags.targetsFile ?? []), ...(targets.includes('-') ? ['-'] : [])];
    await executeProbe({ flags, targets: { args, files, stdin: ctx.stdin, cwd: ctx.cwd } }, ctx);
  });
}
