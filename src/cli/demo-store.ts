/**
 * The store part of `mxprobe demo`: two runs into a temporary SQLite store, with changes between
 * them, then `mxprobe diff` over the store with --fail-on-change, exactly as the cron line would do
 * it, and `mxprobe history` of the domain. Two targets, probed together in each run:
 *  - a lab receiver by address: STARTTLS withdrawn and the primary HELO refused at RCPT in run 2;
 *  - store.demo.test, with its own DNS zone and MTA-STS policy server (lab/demo-store-transport.ts):
 *    its TLSA record stops matching (DANE) and its MTA-STS policy goes from enforce to testing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliContext } from './context.js';
import { LAB_CERT, LAB_KEY } from '../lab/cert.js';
import { startResponder, type ResponderHandle, type ResponderPolicy } from '../lab/smtp-responder.js';
import { createResolver } from '../dns/resolver.js';
import { startDnsServer, type DnsServerHandle } from '../lab/dns-server.js';
import { STORE_DEMO_CERT, STORE_DEMO_DOMAIN, STORE_DEMO_KEY, STORE_DEMO_MX, STORE_DEMO_MX_IP, startStorePolicyServer, storeDemoZone, type StorePolicyServer } from '../lab/demo-store-transport.js';
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

/** The receiver of store.demo.test: the same in both runs; only its DNS and MTA-STS policy change. */
function tlsPolicy(): ResponderPolicy {
  return {
    hostname: STORE_DEMO_MX,
    banner: () => ({ code: 220, lines: [`${STORE_DEMO_MX} ESMTP demo`] }),
    capabilities: () => ['PIPELINING', 'SIZE 10240000', '8BITMIME'],
    tls: { key: STORE_DEMO_KEY, cert: STORE_DEMO_CERT },
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
  let tlsRcv: ResponderHandle | null = null;
  let dns: DnsServerHandle | null = null;
  let sts: StorePolicyServer | null = null;
  try {
    rcv = await startResponder(policy(false), { host: STORE_DEMO_IP });
    const port = rcv.port;
    // Another loopback address, the same port (an MX record carries no port).
    tlsRcv = await startResponder(tlsPolicy(), { host: STORE_DEMO_MX_IP, port });
    dns = await startDnsServer(storeDemoZone(port, 'before'), { host: '127.0.0.1', port: 0 });
    sts = await startStorePolicyServer();
    // The demo's own flags, minus those that would write or judge elsewhere (-o, metrics, policy).
    const { output: _o, metricsFile: _m, resume: _r, failOn: _f, policy: _p, retryGreylist: _g, ...rest } = base;
    const flags: ProbeFlags = { ...rest, store: `sqlite:${db}`, format: 'ndjson', quiet: true, helo, identities: 'primary,literal', source: [source], stopAfter: 'rcpt', hostGap: 0, metricsPerHost: false };
    const lab = { server: dns.address, httpsPort: sts.port, extraCa: sts.extraCa };
    const probe = async () => {
      const c = quietCtx(ctx);
      // A resolver per run, as each `mxprobe probe` process has: its cache must not carry run 1's answers into run 2.
      const resolver = createResolver({ servers: [dns!.address], timeoutMs: 2000 });
      await executeProbe({ flags, targets: { args: [`${STORE_DEMO_IP}:${port}`, STORE_DEMO_DOMAIN], files: [] }, resolver, defaultPort: port, extraOptions: { demo: true, resolvers: [dns!.address] }, transportLab: lab }, c);
      return c.code;
    };
    out(
      `\nmxprobe demo: results over time (store ${db})\n` +
        `  run 1: mx.store.demo.test (${STORE_DEMO_IP}) offers STARTTLS and accepts every HELO;\n` +
        `         ${STORE_DEMO_DOMAIN}: TLSA matches its certificate (DANE), MTA-STS policy id store1 in mode enforce\n`,
    );
    await probe();
    await rcv.close();
    rcv = await startResponder(policy(true), { host: STORE_DEMO_IP, port });
    dns.setZone(storeDemoZone(port, 'after'));
    sts.set('after');
    out(
      '  run 2: the same receivers after a change: mx.store.demo.test withdrew STARTTLS and has a HELO allow list at RCPT;\n' +
        `         ${STORE_DEMO_DOMAIN}: its TLSA now names a key the server does not use yet, MTA-STS policy id store2 in mode testing\n`,
    );
    await probe();
    const rules = 'starttls-lost,verdict-worse,dane-broken,mta-sts-worse';
    out(`  $ mxprobe diff --store ${db} --fail-on-change ${rules}\n\n`);
    const { runCli } = await import('./main.js');
    const run = async (argv: string[]): Promise<{ text: string; exit: number }> => {
      const captured = new PassThrough();
      let text = '';
      captured.on('data', (d: Buffer) => (text += d.toString('utf8')));
      let code = 0;
      const dctx = { ...ctx, stdout: captured, stderr: captured, stderrIsTty: false, setExitCode: (n: number) => void (code = n), exitCode: () => code };
      const exit = await runCli(argv, dctx);
      return { text, exit };
    };
    const indent = (t: string) => t.replace(/^/gm, '  ').replace(/ +$/gm, '');
    const d = await run(['diff', '--store', db, '--fail-on-change', rules]);
    out(`${indent(d.text)}  (exit ${d.exit}: a cron job would alert here)\n`);
    out(`\n  $ mxprobe history --store ${db} ${STORE_DEMO_DOMAIN}\n\n`);
    const h = await run(['history', '--store', db, STORE_DEMO_DOMAIN]);
    out(indent(h.text));
    return d.exit;
  } finally {
    await rcv?.close();
    await tlsRcv?.close();
    await sts?.close();
    await dns?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
