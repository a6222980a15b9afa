/**
 * The library API: re-exports only. Everything a caller needs to run probes programmatically,
 * read results, or reuse the parsers, classifier and alignment checks.
 */
export * from './results.js';
export * from './errors.js';
export type { Resolver, DnsAnswer, MxRecord } from './dns/types.js';
export { createResolver, parseResolverAddress, type ResolverOptions } from './dns/resolver.js';
export { lookupExchangers, lookupAddresses } from './dns/mx.js';
export { reverseName, forwardConfirm } from './dns/reverse.js';
export { ReplyParser, parseReplyText, DEFAULT_REPLY_LIMITS, type ReplyLimits } from './smtp/reply.js';
export { parseCapabilities, observedClientIp, KNOWN_EXTENSIONS } from './smtp/capabilities.js';
export { formatCommand, assertSafeArgument, PROBE_VERBS } from './smtp/command.js';
export { describeEnhanced } from './smtp/enhanced-codes.js';
export { start as startSession, step as stepSession, type SessionConfig, type SessionEvent, type SessionAction } from './smtp/session.js';
export { runSession, type DriverOptions, type SessionRun } from './net/session-driver.js';
export { defaultConnector, type Connector } from './net/connector.js';
export { parseTargetLine, type Target } from './targets/parse.js';
export { readTargets, validateTargets, type TargetSourceSpec } from './targets/read.js';
export { runProbes, type RunOptions, type RunSink } from './probe/run.js';
export { probeHost, type HostJob, type ProbeSettings } from './probe/probe-host.js';
export { PoliteScheduler } from './probe/scheduler.js';
export { buildIdentity, parseIdentityKinds, MATRIX_KINDS } from './probe/identities.js';
export { classify, CAUSES, type Classification } from './analysis/classify.js';
export { REMEDIES } from './analysis/remedies.js';
export { senderAlignment, receiverAlignment } from './analysis/alignment.js';
export { parseHelo } from './analysis/helo-name.js';
export { looksGeneric } from './analysis/generic-name.js';
export { predictReceivers } from './analysis/receiver-rules.js';
export { lint } from './analysis/lint.js';
export { parsePolicy, evaluatePolicy } from './analysis/policy.js';
export { inspectMessage } from './analysis/inspect.js';
export { SummaryBuilder, summarize } from './report/summary.js';
export { renderTable } from './report/table.js';
export { renderHtml } from './report/html.js';
export { csvHeader, csvRows } from './report/csv.js';
export { loadResults } from './report/load.js';
export { stripControl, escapeHtml, csvCell } from './report/sanitize.js';
export { startDemoLab } from './lab/demo-lab.js';
