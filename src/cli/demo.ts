/**
 * `mxprobe demo`: start the embedded lab on loopback (DNS zone + six simulated receivers) and
 * run the real pipeline against it: the same resolver code, sessions, matrix, classifier,
 * alignment and report as a real run. Works with no network at all.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { createResolver } from '../dns/resolver.js';
import { UsageError } from '../errors.js';
import { DEMO_HELO, DEMO_RECEIVERS, DEMO_SOURCE, demoZone, startDemoLab } from '../lab/demo-lab.js';
import { addProbeOptions, executeProbe, type ProbeFlags } from './probe.js';
import { startPolicyServer, withTransportRecords } from '../lab/demo-transport.js';

export function registerDemo(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('demo')
    .description('run the full probe (identity matrix, DNS alignment, report) against an embedded lab on loopback');
  addProbeOptions(cmd);
  cmd.action(async (flags: ProbeFlags) => {
    // Lab-friendly defaults, unless the user set the flag.
    const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
    if (flags.implicitTls) throw new UsageError('the demo lab has no implicit-TLS (port 465) receiver; leave out --implicit-tls');
    const lab = await startDemoLab();
    lab.dns.setZone(withTransportRecords(demoZone(), lab.port));
    const policy = await startPolicyServer().catch(async (e: unknown) => {
      await lab.close();
      throw e;
    });
    try {
      const tuned: ProbeFlags = {
        ...flags,
        helo: flags.helo ?? DEMO_HELO,
        identities: flags.identities ?? 'all',
        source: flags.source ?? [DEMO_SOURCE],
        stopAfter: flags.stopAfter ?? 'rcpt',
        hostGap: given('hostGap') ? flags.hostGap : 50,
        timeout: given('timeout') ? flags.timeout : 5000,
        deadline: given('deadline') ? flags.deadline : 15000,
        retryGreylist: flags.retryGreylist ?? 3,
      };
      if (!flags.quiet) {
        ctx.stderr.write(
          `mxprobe demo: lab DNS on ${lab.dns.address}, receivers on port ${lab.port}:\n` +
            DEMO_RECEIVERS.map((r) => `  ${r.domain.padEnd(18)} ${r.ip}  ${r.behaviour}`).join('\n') +
            `\n  probing from ${DEMO_SOURCE} (PTR ${DEMO_HELO})\n` +
            `  transport security: TLSA, MTA-STS and TLS-RPT records in the lab zone, MTA-STS policies over HTTPS on 127.0.1.80:${policy.port};\n` +
            `  the lab DNS sets AD for secure/postfix.demo.test as a validating resolver would for signed data (nothing is really signed)\n\n`,
        );
      }
      await executeProbe(
        {
          flags: tuned,
          targets: { args: lab.targets, files: [] },
          resolver: createResolver({ servers: [lab.dns.address], timeoutMs: flags.dnsTimeout }),
          defaultPort: lab.port,
          extraOptions: { demo: true, resolvers: [lab.dns.address] },
          transportLab: { server: lab.dns.address, httpsPort: policy.port, extraCa: policy.extraCa },
        },
        ctx,
      );
      // The logs part: `mxprobe logs` over the sample mail log shipped with the lab (table output only, so JSON/CSV stay one document).
      if (flags.format === 'table' && !flags.quiet) ctx.stdout.write(await (await import('../lab/demo-logs.js')).demoLogsSection());
      // Results over time (demo-store.ts): after the table on stdout, else on stderr unless --quiet.
      if (flags.format === 'table' || !flags.quiet) {
        const { runStoreDemo } = await import('./demo-store.js');
        const say = flags.format === 'table' && !flags.output ? (s: string) => void ctx.stdout.write(s) : (s: string) => void ctx.stderr.write(s);
        await runStoreDemo(ctx, tuned, tuned.helo ?? DEMO_HELO, DEMO_SOURCE, say);
      }
    } finally {
      await policy.close();
      await lab.close();
    }
  });
}
