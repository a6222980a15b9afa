/**
 * The `logs` part of `mxprobe demo`: a sample mail log shipped with the lab (Postfix outbound from
 * two relays to the demo receivers, Postfix inbound HELO-check rejects, an Exim line, Rspamd and
 * spamd verdicts), read by the real `mxprobe logs` pipeline (parsers, aggregator, table renderer).
 * The lines follow what the demo receivers answer (demo-lab.ts): relay2 has no PTR, so
 * exim.demo.test and grey.demo.test refuse it; relay1 is accepted.
 */
import { Readable } from 'node:stream';
import { streamSource } from '../logs/read.js';
import { analyseLogs } from '../logs/run.js';
import { renderLogsTable } from '../report/logs-table.js';

export const DEMO_MAIL_LOG = `Nov 30 09:00:01 relay1 postfix/pickup[101]: 4A0000001: uid=1000 from=<news@sender.demo.test>
Nov 30 09:00:01 relay1 postfix/qmgr[102]: 4A0000001: from=<news@sender.demo.test>, size=2048, nrcpt=1 (queue active)
Nov 30 09:00:02 relay1 postfix/smtp[103]: 4A0000001: to=<ann@postfix.demo.test>, relay=mx.postfix.demo.test[127.0.1.1]:25, delay=0.4, delays=0/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F1)
Nov 30 09:00:03 relay1 postfix/smtp[103]: 4A0000002: to=<bob@exim.demo.test>, relay=mx.exim.demo.test[127.0.1.2]:25, delay=0.4, delays=0/0/0.2/0.2, dsn=2.0.0, status=sent (250 OK id=1vDemo-000001-AB)
Nov 30 09:00:04 relay2 postfix/pickup[201]: 4B0000001: uid=1000 from=<news@sender.demo.test>
Nov 30 09:00:05 relay2 postfix/smtp[203]: 4B0000001: to=<cat@exim.demo.test>, relay=mx.exim.demo.test[127.0.1.2]:25, delay=0.5, delays=0/0/0.3/0.2, dsn=5.7.1, status=bounced (host mx.exim.demo.test[127.0.1.2] said: 550 5.7.1 relay2.sender.demo.test: HELO name does not match your IP address 127.0.2.11 (in reply to EHLO command))
Nov 30 09:00:06 relay2 postfix/smtp[203]: 4B0000002: to=<dan@grey.demo.test>, relay=mx.grey.demo.test[127.0.1.5]:25, delay=0.5, delays=0/0/0.3/0.2, dsn=4.7.25, status=deferred (host mx.grey.demo.test[127.0.1.5] said: 450 4.7.25 Client host rejected: cannot find your hostname, [127.0.2.11] (in reply to RCPT TO command))
Nov 30 09:30:06 relay2 postfix/smtp[203]: 4B0000002: to=<dan@grey.demo.test>, relay=mx.grey.demo.test[127.0.1.5]:25, delay=1800, delays=1800/0/0.3/0.2, dsn=4.7.25, status=deferred (host mx.grey.demo.test[127.0.1.5] said: 450 4.7.25 Client host rejected: cannot find your hostname, [127.0.2.11] (in reply to RCPT TO command))
Nov 30 09:31:00 relay1 postfix/smtp[104]: 4A0000003: to=<eve@grey.demo.test>, relay=mx.grey.demo.test[127.0.1.5]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx.grey.demo.test[127.0.1.5] said: 450 4.7.1 <eve@grey.demo.test>: Recipient address rejected: Greylisted for 2 seconds (in reply to RCPT TO command))
Nov 30 09:36:00 relay1 postfix/smtp[104]: 4A0000003: to=<eve@grey.demo.test>, relay=mx.grey.demo.test[127.0.1.5]:25, delay=300, delays=299/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 7C2)
Nov 30 10:00:01 relay1 postfix/smtpd[105]: connect from unknown[127.0.3.7]
Nov 30 10:00:01 relay1 postfix/smtpd[105]: NOQUEUE: reject: RCPT from unknown[127.0.3.7]: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname; from=<x@spam.demo.test> to=<news@sender.demo.test> proto=ESMTP helo=<localhost>
Nov 30 10:00:01 relay1 postfix/smtpd[105]: disconnect from unknown[127.0.3.7] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4
Nov 30 10:00:02 relay1 postfix/smtpd[106]: NOQUEUE: reject: RCPT from unknown[127.0.3.8]: 450 4.7.1 <nx.spam.demo.test>: Helo command rejected: Host not found; from=<> to=<news@sender.demo.test> proto=ESMTP helo=<nx.spam.demo.test>
Nov 30 10:00:03 relay1 postfix/smtpd[107]: NOQUEUE: reject: RCPT from unknown[127.0.3.9]: 450 4.7.25 Client host rejected: cannot find your hostname, [127.0.3.9]; from=<> to=<news@sender.demo.test> proto=ESMTP helo=<127.0.3.9>
2026-11-30 10:05:00 H=(dyn-127-0-3-10.isp.demo.test) [127.0.3.10] F=<y@isp.demo.test> rejected RCPT <news@sender.demo.test>: helo verification failed for dyn-127-0-3-10.isp.demo.test
2026-11-30 10:06:00 #4000(normal) <d3m0aa>; task; rspamd_task_write_log: id: <m@isp.demo.test>, qid: <4C0000001>, ip: 127.0.3.11, from: <z@isp.demo.test>, (default: F (add header): [7.50/15.00] [HFILTER_HELO_NOT_FQDN(2.00){localhost;},RDNS_NONE(1.50){},HFILTER_HOSTNAME_UNKNOWN(2.50){},BAYES_SPAM(1.50){90%;}]), len: 900, time: 50ms
Nov 30 10:07:00 relay1 spamd[300]: spamd: result: Y 6 - HELO_DYNAMIC_IPADDR,RDNS_DYNAMIC,URIBL_BLOCKED scantime=0.2,size=900,user=spamd,uid=100,required_score=5.0,rhost=::1,raddr=::1,rport=4000,mid=<q@isp.demo.test>,autolearn=no
`;

/** The demo's logs section: the table `mxprobe logs` prints for the sample log. */
export async function demoLogsSection(): Promise<string> {
  const run = await analyseLogs([streamSource('demo mail.log', Readable.from([Buffer.from(DEMO_MAIL_LOG)]), () => new Date('2026-11-30T12:00:00Z'))], {
    format: 'auto',
    relay: 'relay1',
    bucket: 'hour',
    since: null,
    until: null,
  });
  return `\n── mxprobe logs on the lab's sample mail log (mxprobe logs /var/log/mail.log does the same on yours) ──\n\n${renderLogsTable(run, { top: 10 })}`;
}
