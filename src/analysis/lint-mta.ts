/**
 * The line that makes each common sending MTA announce a given HELO/EHLO name, and where it goes
 * (`mxprobe lint`, issue 13). Pure. Each entry cites the vendor documentation it follows.
 *
 * RFC 5321 §4.1.1.1: the EHLO argument is the client's fully-qualified primary host name; receivers
 * check it against the connecting IP (forward DNS, PTR), so the name below must be the one the DNS
 * part of the fix publishes.
 */

export interface MtaFix {
  mta: string;
  /** The configuration line or command, with the name filled in. */
  line: string;
  /** Where it goes and what else to know. */
  where: string;
  /** The documentation the line follows. */
  source: string;
}

/** Fixes for every MTA we know, Postfix and Exim first (the fields `postfix`/`exim` of the fix repeat them). */
export function mtaFixes(name: string, sourceIp: string | null = null): MtaFix[] {
  const ip = sourceIp ?? '<source ip>';
  return [
    {
      mta: 'Postfix',
      line: `smtp_helo_name = ${name}`,
      where: 'main.cf (or -o smtp_helo_name=... on one smtp transport in master.cf); postfix reload',
      source: 'postconf(5) smtp_helo_name',
    },
    {
      mta: 'Exim',
      line: `helo_data = ${name}`,
      where: 'the smtp transport (remote_smtp) in the transports section of the configuration',
      source: 'Exim specification, smtp transport option helo_data',
    },
    {
      mta: 'Microsoft Exchange',
      line: `Set-SendConnector -Identity "<send connector>" -Fqdn ${name}`,
      where:
        'Exchange Management Shell, for the Send connector to the Internet (the name it gives in EHLO/HELO); ' +
        `for the banner of your own inbound server: Set-ReceiveConnector -Identity "<server>\\Default Frontend <server>" -Fqdn ${name}`,
      source: 'learn.microsoft.com Set-SendConnector -Fqdn; Set-ReceiveConnector -Fqdn / -Banner',
    },
    {
      mta: 'Sendmail',
      line: `define(\`confHELO_NAME', \`${name}')dnl`,
      where: `sendmail.mc, then rebuild sendmail.cf (m4) and restart; or, in sendmail.cf, Dj${name} (sets $j, the default HELO name)`,
      source: 'sendmail cf/README confHELO_NAME (HeloName option; defaults to $j)',
    },
    {
      mta: 'OpenSMTPD',
      line: `action "outbound" relay helo ${name}`,
      where: 'smtpd.conf: add "helo <name>" to the relay action your outbound match rule uses; smtpctl reload or restart',
      source: 'smtpd.conf(5), relay action option "helo heloname"',
    },
    {
      mta: 'Haraka',
      line: `echo ${name} > config/me`,
      where:
        'config/me is the name Haraka announces on outbound connections unless a plugin sets ' +
        `transaction.notes.outbound_helo (or get_mx returns bind_helo) for a given source IP`,
      source: 'Haraka docs CoreConfig.md (me), Outbound.md (outbound_helo, bind_helo)',
    },
    {
      mta: 'KumoMTA',
      line: `kumo.make_egress_source { name = 'ip-1', source_address = '${ip}', ehlo_domain = '${name}' }`,
      where: 'the get_egress_source handler of your policy (or ehlo_domain in make_egress_path, which takes precedence)',
      source: 'docs.kumomta.com reference/kumo/make_egress_source/ehlo_domain',
    },
    {
      mta: 'PowerMTA',
      line: `smtp-source-host ${ip} ${name}`,
      where:
        'inside the <virtual-mta> block that sends from that IP, then pmta reload. Not checked against the vendor ' +
        "guide (it is not public): confirm the directive in your version's User's Guide",
      source: "PowerMTA User's Guide, <virtual-mta> smtp-source-host (unverified)",
    },
  ];
}
