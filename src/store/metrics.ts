/**
 * Prometheus text exposition (format 0.0.4, prometheus.io/docs/instrumenting/exposition_formats)
 * for node_exporter's textfile collector. Label cardinality is bounded: per identity kind (at most
 * nine values) by default; one series set per host only when asked (`perHost`).
 */
import type { HostResult, Summary } from '../results.js';
import { stripControl } from '../report/sanitize.js';
import type { HostTarget } from './types.js';

interface HostFacts {
  labels: string;
  starttls: number | null;
  tlsVersion: string | null;
  certSeconds: number | null;
  success: number | null;
  duration: number;
}

/** Escape a label value: backslash, double quote and line feed (exposition format spec). */
export function labelValue(s: string): string {
  return stripControl(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return String(Number.isInteger(n) ? n : Math.round(n * 1e6) / 1e6);
}

export class MetricsCollector {
  private readonly hosts: HostFacts[] = [];
  private failedProbes = 0;

  constructor(private readonly perHost: boolean) {}

  addHost(host: HostResult, target: HostTarget, now: Date): void {
    const failed = host.probes.filter((p) => p.status !== 'success' && p.status !== 'not-tried').length;
    this.failedProbes += failed;
    if (!this.perHost) return;
    const plain = host.probes.find((p) => p.capabilities.plain !== null)?.capabilities.plain;
    const tlsP = host.probes.find((p) => p.tls?.protocol);
    const notAfter = tlsP?.tls?.certificate ? Date.parse(tlsP.tls.certificate.validTo) : NaN;
    // The last probe that was tried: a cell left not-tried (a 421 back-off, an identity with no
    // name to use, an interrupted run) never ran, so it says nothing about the host. Reading it
    // made a host whose every tried probe succeeded report 0 (e.g. `--identities all` without a
    // mismatch name: the last cell is always not-tried). No tried probe at all: no sample.
    const last = host.probes.findLast((p) => p.status !== 'not-tried');
    this.hosts.push({
      labels: `target="${labelValue(target.domain ?? target.input)}",exchange="${labelValue(host.exchange)}",ip="${labelValue(host.ip)}",port="${host.port}"`,
      starttls: plain ? (plain.starttls ? 1 : 0) : null,
      tlsVersion: tlsP?.tls?.protocol ?? null,
      certSeconds: Number.isNaN(notAfter) ? null : Math.round((notAfter - now.getTime()) / 1000),
      success: last === undefined ? null : last.status === 'success' ? 1 : 0,
      duration: host.probes.reduce((s, p) => s + (p.timings.total ?? 0), 0) / 1000,
    });
  }

  render(summary: Summary, run: { startedAt: string; finishedAt: string; interrupted: boolean }): string {
    const out: string[] = [];
    const metric = (name: string, help: string, type: 'gauge' | 'counter', samples: Array<[string, number]>) => {
      if (samples.length === 0) return;
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of samples) out.push(`${name}${labels ? `{${labels}}` : ''} ${fmt(v)}`);
    };
    const started = Date.parse(run.startedAt);
    const finished = Date.parse(run.finishedAt);
    metric('mxprobe_run_duration_seconds', 'Wall-clock duration of the last mxprobe run.', 'gauge', [['', (finished - started) / 1000]]);
    metric('mxprobe_run_finished_timestamp_seconds', 'When the last mxprobe run finished (Unix time).', 'gauge', [['', finished / 1000]]);
    metric('mxprobe_run_interrupted', '1 when the last run was interrupted before all targets finished.', 'gauge', [['', run.interrupted ? 1 : 0]]);
    metric('mxprobe_run_targets', 'Targets in the last run.', 'gauge', [['', summary.targets]]);
    metric('mxprobe_run_hosts', 'Hosts (exchange, IP, port) probed in the last run.', 'gauge', [['', summary.hosts]]);
    metric('mxprobe_run_errors', 'Targets that could not be probed plus probes that failed (connection, TLS, protocol, DNS) in the last run.', 'gauge', [['', summary.targetErrors + this.failedProbes]]);
    const kinds = Object.entries(summary.identities).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const per = (f: (c: Summary['identities'][string]) => number | null): Array<[string, number]> =>
      kinds.flatMap(([k, c]) => {
        const v = f(c);
        return v === null ? [] : [[`kind="${labelValue(k)}"`, v] as [string, number]];
      });
    metric('mxprobe_identity_probes', 'Probes per HELO identity kind in the last run.', 'gauge', per((c) => c.probes));
    metric('mxprobe_identity_accepted', 'Probes accepted per identity kind.', 'gauge', per((c) => c.accepted));
    metric('mxprobe_identity_rejected', 'Probes rejected per identity kind.', 'gauge', per((c) => c.rejected));
    metric('mxprobe_identity_deferred', 'Probes deferred per identity kind.', 'gauge', per((c) => c.deferred));
    metric('mxprobe_identity_acceptance_ratio', 'Accepted / decided probes per identity kind (absent when none was decided).', 'gauge', per((c) => c.acceptanceRate));
    if (this.perHost) {
      const hs = this.hosts;
      metric('mxprobe_host_starttls_offered', '1 when the host offered STARTTLS in EHLO (RFC 3207).', 'gauge', hs.flatMap((h) => (h.starttls === null ? [] : [[h.labels, h.starttls] as [string, number]])));
      metric('mxprobe_host_tls_version_info', 'The TLS version negotiated with the host (value always 1).', 'gauge', hs.flatMap((h) => (h.tlsVersion === null ? [] : [[`${h.labels},version="${labelValue(h.tlsVersion)}"`, 1] as [string, number]])));
      // Prometheus base unit is seconds (promtool lints "days"): days to expiry = value / 86400.
      metric('mxprobe_host_cert_expiry_seconds', 'Seconds until the host certificate expires (negative: expired); divide by 86400 for days.', 'gauge', hs.flatMap((h) => (h.certSeconds === null ? [] : [[h.labels, h.certSeconds] as [string, number]])));
      metric('mxprobe_host_last_probe_success', '1 when the last probe tried on the host succeeded (not-tried cells are skipped; absent when none was tried).', 'gauge', hs.flatMap((h) => (h.success === null ? [] : [[h.labels, h.success] as [string, number]])));
      metric('mxprobe_host_session_duration_seconds', 'Total session time spent on the host in the last run.', 'gauge', hs.map((h) => [h.labels, h.duration]));
    }
    return `${out.join('\n')}\n`;
  }
}
