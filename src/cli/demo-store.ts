/**
 * The store part of `mxprobe demo`: two runs of one lab receiver into a temporary SQLite store,
 * the receiver changed between them (STARTTLS withdrawn, the primary HELO refused at RCPT), then
 * `mxprobe diff` over the store with --fail-on-change, exactly as the cron line would do it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliContext } from './context.js';
import { LAB_CERT, LAB_KEY } from '../lab/cert.js';
import { startResponder, type ResponderHandle, type ResponderPolicy } from '../lab/smtp-responder.js';
import { executeProbe, type ProbeFlags } from './probe.js';

export const STORE_DEMO_IP = '127.0.3.1';

function policy(changed: boolean): ResponderPolicy {
  return {
    hostname: 'mx.store.demo.test',
    banner: () => ({ code: 220, lines: ['mx.store.demo.test ESMTP demo'] }),
    capabilities: () => ['PIPELINING', 'SIZE 10240000', '8BITMIME'],
    // The "after" receiver: no certificate (so no STARTTLS) and a HELO rule at RCPT.
    ...(changed ? {} : { tls: { key: LAB_KEY, cert: LAB_CERT } }),
    rcpt: (s) => (changed && s.helo !== null && !s.helo.startsWith('[') ? { code: 550, enhanced: '5.7.1', lines: [`<${s.helo}>: Helo command rejected: Host not in allow list`] } : null),
  };
}

/** A context whose stdout is discarded: the demo shows the diff, not the runs. */
function quietCtx(ctx: CliContext): CliContext & { code: number } {
  const sink = new PassThrough();
  sink.resume();
  const c = { ...ctx, stdout: sink, stderr: sink, stderrIsTty: false, code: 0, setExitCode: (n: number) => void (c.code = n) };
  return c;
}

/** Run the store demo; writes its story and the diff to `out`. Resolves with the diff's exit code. */
export async function runStoreDemo(ctx: CliContext, base: ProbeFlags, helo: string, source: string, out: (s: string) => void): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'mxprobe-demo-store-'));
  const db = join(dir, 'audit.db');
  let rcv: ResponderHandle | null = null;
  try {
    rcv = await startResponder(policy(false), { host: STORE_DEMO_IP });
    const port = rcv.port;
    // The demo's own flags, minus those that would write or judge elsewhere (-o, metrics, policy).
    const { output: _o, metricsFile: _m, resume: _r, failOn: _f, policy: _p, retryGreylist: _g, ...rest } = base;
    const flags: ProbeFlags = { ...rest, store: `sqlite:${db}`, format: 'ndjson', quiet: true, helo, identities: 'primary,literal', source: [source], stopAfter: 'rcpt', hostGap: 0, metricsPerHost: false };
    const probe = async () => {
      const c = quietCtx(ctx);
      await executeProbe({ flags, targets: { args: [`${STORE_DEMO_IP}:${port}`], files: [] } }, c);
      return c.code;
    };
    out(`\nmxprobe demo: results over time (store ${db})\n  run 1: mx.store.demo.test offers STARTTLS and accepts every HELO\n`);
    await probe();
    await rcv.close();
    rcv = await startResponder(policy(true), { host: STORE_DEMO_IP, port });
    out('  run 2: the same receiver after a change: STARTTLS withdrawn, a HELO allow list at RCPT\n');
    await probe();
    out(`  $ mxprobe diff --store ${db} --fail-on-change starttls-lost,verdict-worse\n\n`);
    const { runCli } = await import('./main.js');
    const captured = new PassThrough();
    let text = '';
    captured.on('data', (d: Buffer) => (text += d.toString('utf8')));
    let code = 0;
    const dctx = { ...ctx, stdout: captured, stderr: captured, stderrIsTty: false, setExitCode: (n: number) => void (code = n), exitCode: () => code };
    const exit = await runCli(['diff', '--store', db, '--fail-on-change', 'starttls-lost,verdict-worse'], dctx);
    out(`${text.replace(/^/gm, '  ').replace(/ +$/gm, '')}  (exit ${exit}: a cron job would alert here)\n`);
    return exit;
  } finally {
    await rcv?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
