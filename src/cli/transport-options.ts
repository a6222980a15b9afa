/**
 * The transport-security part of `probe` / `demo`: --no-dane, --no-mta-sts, --ca-file, and the
 * sink wrapper that adds DANE, MTA-STS and TLS-RPT to the results (src/transport/).
 */
import { readSmallTextFile } from '../io/small-file.js';
import { resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { Resolver } from '../dns/types.js';
import type { RunOptions, RunSink } from '../probe/run.js';
// The transport modules (DNSSEC query, HTTPS policy fetch, PKIX, DANE/MTA-STS enrichers) are
// loaded only by a run that checks transport security: an EHLO-only run never needs them, and
// their graph is a measurable part of every probe run's start-up CPU (issue 13).

export interface TransportFlags {
  dane?: boolean;
  mtaSts?: boolean;
  caFile?: string;
}

/** Injected by `demo`: where its lab resolver and policy server listen. */
export interface TransportLab {
  server: string;
  httpsPort: number;
  extraCa: string[];
}

export function addTransportOptions(cmd: Command): Command {
  return cmd
    .option('--no-dane', 'skip the DANE check (TLSA over DNSSEC, RFC 7672)')
    .option('--no-mta-sts', 'skip the MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) checks')
    .option('--ca-file <pem>', 'extra trust anchors (PEM) for MTA-STS: the policy host and the MX certificates');
}

export function transportRecordedOptions(flags: TransportFlags, on: boolean): Record<string, unknown> {
  return { dane: on && flags.dane !== false, mtaSts: on && flags.mtaSts !== false, ...(flags.caFile ? { caFile: flags.caFile } : {}) };
}

/** Both checks run by default when the session goes as far as TLS. */
export function transportApplies(options: RunOptions): boolean {
  return options.implicitTls || (options.starttls && options.stopAfter !== 'banner' && options.stopAfter !== 'ehlo');
}

/** The trust anchors MTA-STS uses beyond the system CAs: --ca-file's and the demo lab's. */
export interface TransportCa {
  extraCa: string[];
  anchors: ReturnType<typeof import('../transport/pkix.js').parseCaBundle>;
}

/**
 * Reads and checks --ca-file. A probe run calls this before it opens -o: a missing or broken file
 * is a usage error, and a usage error must not first truncate the results file the user named
 * (it used to be read only when the run began, after -o was emptied). Null when the run checks no
 * transport security, as then nothing reads the file.
 */
export async function loadTransportCa(flags: TransportFlags, options: RunOptions, cwd: string, lab?: TransportLab): Promise<TransportCa | null> {
  // `--ca-file ''` (an unset shell variable) was taken as "no file" and silently ignored.
  if (flags.caFile !== undefined && flags.caFile.trim() === '') throw new UsageError('--ca-file: empty path');
  const unused = caFileUnused(flags, options) !== null;
  if (!unused && (!transportApplies(options) || (flags.dane === false && flags.mtaSts === false))) return null;
  const { parseCaBundle } = await import('../transport/pkix.js');
  const extraCa: string[] = [...(lab?.extraCa ?? [])];
  if (flags.caFile !== undefined) extraCa.push(readSmallTextFile(resolvePath(cwd, flags.caFile), '--ca-file'));
  let anchors: TransportCa['anchors'];
  try {
    anchors = extraCa.flatMap(parseCaBundle);
  } catch (err) {
    throw new UsageError(`--ca-file: ${flags.caFile ?? 'lab CA'}: not a PEM certificate bundle: ${(err as Error).message}`);
  }
  if (flags.caFile !== undefined && anchors.length === 0) throw new UsageError(`--ca-file: ${flags.caFile} holds no PEM certificate`);
  // Checked all the same (a missing or broken file is the same usage error whether or not the run
  // needs it: the command line is wrong either way), then left unused: see caFileUnused.
  if (unused) return null;
  return { extraCa: anchors.map((a) => a.toString()), anchors };
}

/**
 * Why --ca-file, when given, will not be read by this run, or null when it will. Its anchors serve
 * MTA-STS alone (the policy fetch and the MX certificates, RFC 8461 §4.2); a user who passes it
 * believes it is used, so a run that never checks MTA-STS says so (it used to ignore the file
 * silently, even a missing one).
 */
export function caFileUnused(flags: TransportFlags, options: RunOptions): string | null {
  if (flags.caFile === undefined) return null;
  if (!transportApplies(options)) return 'the session does not go as far as TLS (--stop-after banner/ehlo or --no-starttls), so MTA-STS is not checked';
  if (flags.mtaSts === false) return '--no-mta-sts: its anchors serve only the MTA-STS check';
  return null;
}

export async function wrapTransportSink(
  sink: RunSink,
  ctx: { flags: TransportFlags; options: RunOptions; resolver: Resolver; servers: string[]; dnsTimeoutMs: number; cwd: string; lab?: TransportLab; ca?: TransportCa | null },
): Promise<RunSink> {
  const { flags, options } = ctx;
  if (!transportApplies(options) || (flags.dane === false && flags.mtaSts === false)) return sink;
  const [{ createSecureResolver, pickServer }, { createPolicyFetcher }, { withTransport }] = await Promise.all([
    import('../transport/dns-query.js'),
    import('../transport/https-fetch.js'),
    import('../transport/enrich.js'),
  ]);
  const ca = ctx.ca ?? (await loadTransportCa(flags, options, ctx.cwd, ctx.lab));
  const extraCa = ca?.extraCa ?? [];
  const anchors = ca?.anchors ?? [];
  const server = pickServer(ctx.servers.length > 0 ? ctx.servers : ctx.lab ? [ctx.lab.server] : []);
  const lookup = async (host: string): Promise<string | null> => {
    const a = await ctx.resolver.a(host);
    if (a.status === 'ok' && a.records[0]) return a.records[0];
    const aaaa = await ctx.resolver.aaaa(host);
    return aaaa.status === 'ok' ? (aaaa.records[0] ?? null) : null;
  };
  return withTransport(sink, {
    dane: flags.dane !== false,
    mtaSts: flags.mtaSts !== false,
    secure: createSecureResolver({ server, timeoutMs: ctx.dnsTimeoutMs }),
    resolver: ctx.resolver,
    fetchPolicy: createPolicyFetcher({ extraCa, timeoutMs: Math.min(options.timeoutMs, 30_000), lookup, ...(ctx.lab ? { port: ctx.lab.httpsPort } : {}) }),
    anchors,
    tlsAttempted: true,
  });
}

/** A transport check that could not judge (lookup failed, resolver does not validate): the run is inconclusive. */
export function transportInconclusive(t: import('../results.js').TargetResult): boolean {
  return (
    t.hosts.some((h) => h.transport?.dane?.status === 'indeterminate') ||
    t.transport?.mtaSts?.status === 'indeterminate' ||
    t.transport?.tlsRpt?.status === 'indeterminate'
  );
}

/**
 * A transport audit rule over a check that will not run would pass silently: refuse it instead
 * (a wrong "ok" is worse than an error).
 */
export function assertTransportRulesCheckable(rules: ReadonlyArray<{ rule: string }>, flags: TransportFlags, options: RunOptions): void {
  const applies = transportApplies(options);
  for (const { rule } of rules) {
    const needsDane = rule === 'dane-mismatch' || rule === 'dane-bogus' || rule === 'no-dane';
    const needsSts = rule.startsWith('mta-sts-') || rule === 'no-mta-sts' || rule === 'no-tls-rpt';
    if (!needsDane && !needsSts) continue;
    if (!applies) throw new UsageError(`audit rule ${rule} needs the session to go as far as STARTTLS (not --stop-after banner/ehlo or --no-starttls)`);
    if (needsDane && flags.dane === false) throw new UsageError(`audit rule ${rule} needs the DANE check: leave out --no-dane`);
    if (needsSts && flags.mtaSts === false) throw new UsageError(`audit rule ${rule} needs the MTA-STS/TLS-RPT check: leave out --no-mta-sts`);
  }
}
