/**
 * The transport-security lab (issue 15): in a network namespace this test creates,
 *  - nsd serves sec.test DNSSEC-signed (ldns-keygen + ldns-signzone) and plain.test unsigned;
 *    one TLSA RRset of sec.test has its signature broken on purpose (bogus);
 *  - unbound is the validating resolver (trust anchor: sec.test's KSK), on 127.0.0.53;
 *  - Postfix listens on mx1 (127.0.0.25) and mx2 (127.0.0.26), each with a certificate from a lab
 *    CA (openssl); mx1's key has a matching TLSA 3 1 1, mx2's TLSA matches nothing;
 *  - a node HTTPS server (cert from the lab CA) on 127.0.0.44:443 serves the MTA-STS policies.
 * /etc/netns/<ns>/resolv.conf points at unbound with trust-ad, so posttls-finger (Postfix's DANE)
 * and mxprobe ask the same validating resolver. Teardown kills only what it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupStaleLabs, isAlive, killNamespacePids, labUnavailableReason, mustRun, run, sleep, waitUntil, type ExecOptions, type ExecResult } from './lab.js';

export const T = {
  mx1: '127.0.0.25',
  mx2: '127.0.0.26',
  /** Postfix, mxta.sec.test: sends its chain (leaf + lab CA); TLSA 2 0 1 names the CA (DANE-TA). */
  mxta: '127.0.0.27',
  https: '127.0.0.44',
  /** Nothing listens here: the MTA-STS fetch fails. */
  dead: '127.0.0.45',
  unbound: '127.0.0.53',
  nsd: '127.0.0.153',
  sender: '127.0.0.10',
} as const;

export const TRANSPORT_BINARIES = ['/usr/sbin/postfix', '/usr/sbin/nsd', '/usr/sbin/unbound', '/usr/bin/ldns-signzone', '/usr/bin/ldns-keygen', '/usr/sbin/posttls-finger', '/usr/bin/openssl'];

export function transportLabUnavailableReason(): string | null {
  const base = labUnavailableReason();
  if (base) return base;
  const missing = TRANSPORT_BINARIES.filter((b) => !existsSync(b));
  return missing.length ? `missing ${missing.join(', ')} (apt-get install unbound ldnsutils postfix nsd; see .ci/run)` : null;
}

export interface TransportLab {
  ns: string;
  dir: string;
  caFile: string;
  caDir: string;
  exec(cmd: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  stop(): Promise<void>;
}

const POLICY_SERVER = `
const https = require('node:https');
const fs = require('node:fs');
const [cert, key, ip] = process.argv.slice(1);
const policies = {
  'mta-sts.sec.test': 'version: STSv1\\r\\nmode: enforce\\r\\nmx: *.sec.test\\r\\nmax_age: 86400\\r\\n',
  'mta-sts.stsmx.sec.test': 'version: STSv1\\nmode: enforce\\nmx: mx1.sec.test\\nmax_age: 86400\\n',
  'mta-sts.ststest.sec.test': 'version: STSv1\\nmode: testing\\nmx: *.elsewhere.test\\nmax_age: 600',
  'mta-sts.stsname.sec.test': 'version: STSv1\\nmode: enforce\\nmx: *.sec.test\\nmax_age: 600\\n',
};
https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
  const host = String(req.headers.host || '').replace(/:\\d+$/, '');
  const body = policies[host];
  if (req.url !== '/.well-known/mta-sts.txt' || !body) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}).listen(443, ip, () => console.log('listening'));
`;

function zoneText(tlsa1: string, tlsaCa: string): string {
  return `$ORIGIN sec.test.
$TTL 300
@ IN SOA ns.sec.test. hostmaster.sec.test. 1 3600 600 86400 60
@ IN NS ns.sec.test.
ns IN A ${T.nsd}
@ IN MX 10 mx1.sec.test.
@ IN MX 20 mx2.sec.test.
mx1 IN A ${T.mx1}
mx2 IN A ${T.mx2}
mxbogus IN A ${T.mx1}
_25._tcp.mx1 IN TLSA 3 1 1 ${tlsa1}
_25._tcp.mx2 IN TLSA 3 1 1 ${'00'.repeat(32)}
_25._tcp.mxbogus IN TLSA 3 1 1 ${tlsa1}
bogus IN MX 10 mxbogus.sec.test.
mxta IN A ${T.mxta}
_25._tcp.mxta IN TLSA 2 0 1 ${tlsaCa}
ta IN MX 10 mxta.sec.test.
; mxwrong is mx2's address, whose certificate names only mx2.sec.test.
mxwrong IN A ${T.mx2}
stsname IN MX 10 mxwrong.sec.test.
_mta-sts.stsname IN TXT "v=STSv1; id=4"
mta-sts.stsname IN A ${T.https}
good IN A ${T.sender}
_mta-sts IN TXT "v=STSv1; id=20261130"
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@sec.test"
mta-sts IN A ${T.https}
stsmx IN MX 10 mx1.sec.test.
stsmx IN MX 20 mx.plain.test.
_mta-sts.stsmx IN TXT "v=STSv1; id=1"
_smtp._tls.stsmx IN TXT "v=TLSRPTv1; rua=http://not-allowed.example/"
mta-sts.stsmx IN A ${T.https}
ststest IN MX 10 mx1.sec.test.
_mta-sts.ststest IN TXT "v=STSv1; id=2"
mta-sts.ststest IN A ${T.https}
stsfail IN MX 10 mx1.sec.test.
_mta-sts.stsfail IN TXT "v=STSv1; id=3"
mta-sts.stsfail IN A ${T.dead}
`;
}

const PLAIN_ZONE = `$ORIGIN plain.test.
$TTL 300
@ IN SOA ns.plain.test. hostmaster.plain.test. 1 3600 600 86400 60
@ IN NS ns.sec.test.
@ IN MX 10 mx.plain.test.
mx IN A ${T.mx1}
_25._tcp.mx IN TLSA 3 1 1 TLSA1
`;

function mainCf(dir: string): string {
  const pf = join(dir, 'postfix');
  return `compatibility_level = 3.6
queue_directory = ${join(pf, 'queue')}
data_directory = ${join(pf, 'data')}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx1.sec.test
mydestination = sec.test
inet_interfaces = ${T.mx1}, ${T.mx2}, ${T.mxta}
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
maillog_file = ${join(pf, 'maillog')}
maillog_file_prefixes = ${dir}
alias_maps =
alias_database =
local_recipient_maps =
smtpd_banner = $myhostname ESMTP transport lab
smtpd_tls_security_level = may
smtpd_tls_cert_file = ${join(dir, 'pki', 'mx1.pem')}
smtpd_tls_key_file = ${join(dir, 'pki', 'mx1.key')}
smtpd_tls_loglevel = 1
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_error_sleep_time = 0s
`;
}

function masterCf(dir: string): string {
  return [
    `${T.mx1}:smtp inet n - n - - smtpd`,
    `${T.mx2}:smtp inet n - n - - smtpd -o myhostname=mx2.sec.test -o smtpd_tls_cert_file=${join(dir, 'pki', 'mx2.pem')} -o smtpd_tls_key_file=${join(dir, 'pki', 'mx2.key')}`,
    `${T.mxta}:smtp inet n - n - - smtpd -o myhostname=mxta.sec.test -o smtpd_tls_cert_file=${join(dir, 'pki', 'mxta-chain.pem')} -o smtpd_tls_key_file=${join(dir, 'pki', 'mxta.key')}`,
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'tlsmgr unix - - n 1000? 1 tlsmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'proxymap unix - - n - - proxymap',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'smtp unix - - n - - smtp',
    'pickup unix n - n 60 1 pickup',
    'showq unix n - n - - showq',
    'flush unix n - n 1000? 0 flush',
    '',
  ].join('\n');
}

export async function startTransportLab(): Promise<TransportLab> {
  const reason = transportLabUnavailableReason();
  if (reason) throw new Error(`transport lab unavailable: ${reason}`);
  await cleanupStaleLabs();
  const ns = `mxlab-${process.pid}-t${randomBytes(3).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), `${ns}-`));
  const children: ChildProcess[] = [];
  const logs: Record<string, string> = {};
  let nsCreated = false;
  const exec = (cmd: string, args: readonly string[], options: ExecOptions = {}) => run('ip', ['netns', 'exec', ns, cmd, ...args], options);
  const bg = (name: string, cmd: string, args: string[]): ChildProcess => {
    const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    logs[name] = '';
    c.stdout?.setEncoding('utf8').on('data', (d: string) => (logs[name] += d));
    c.stderr?.setEncoding('utf8').on('data', (d: string) => (logs[name] += d));
    children.push(c);
    return c;
  };
  const stop = async (): Promise<void> => {
    try {
      const pid = Number((await readFile(join(dir, 'postfix', 'queue', 'pid', 'master.pid'), 'utf8')).trim());
      if (pid > 1 && isAlive(pid)) process.kill(pid, 'SIGTERM');
    } catch {
      /* postfix never started */
    }
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await sleep(300);
    if (nsCreated) {
      await killNamespacePids(ns);
      await run('ip', ['netns', 'del', ns], { timeoutMs: 10_000 });
    }
    await rm(join('/etc/netns', ns), { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await chmod(dir, 0o755);
    await mustRun('ip', ['netns', 'add', ns]);
    nsCreated = true;
    await mustRun('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    for (const a of Object.values(T)) await mustRun('ip', ['-n', ns, 'addr', 'add', `${a}/32`, 'dev', 'lo']);
    await mkdir(join('/etc/netns', ns), { recursive: true });
    // trust-ad: glibc passes the AD bit on to Postfix only when told the path to the resolver is trusted.
    await writeFile(join('/etc/netns', ns, 'resolv.conf'), `nameserver ${T.unbound}\noptions timeout:2 attempts:2 trust-ad\n`);

    // PKI: a lab CA; mx1, mx2 and the MTA-STS web server certificates issued by it.
    const pki = join(dir, 'pki');
    await mkdir(pki);
    const ossl = (args: string[]) => mustRun('openssl', args, { cwd: pki });
    await ossl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3', '-subj', '/CN=mxprobe transport lab CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
    const issue = async (name: string, sans: string[]) => {
      await ossl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${sans[0]}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
      await writeFile(join(pki, `${name}.ext`), `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}\n`);
      await ossl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
    };
    await issue('mx1', ['mx1.sec.test', 'mxbogus.sec.test', 'mx.plain.test']);
    await issue('mx2', ['mx2.sec.test']);
    await issue('web', ['mta-sts.sec.test', 'mta-sts.stsmx.sec.test', 'mta-sts.ststest.sec.test', 'mta-sts.stsfail.sec.test', 'mta-sts.stsname.sec.test']);
    await issue('mxta', ['mxta.sec.test']);
    // Leaf then issuer: the server presents the trust anchor, as DANE-TA requires (RFC 7672 §3.1.2).
    await writeFile(join(pki, 'mxta-chain.pem'), Buffer.concat([await readFile(join(pki, 'mxta.pem')), await readFile(join(pki, 'ca.pem'))]));
    for (const f of await readdir(pki)) if (f.endsWith('.key')) await chmod(join(pki, f), 0o644);
    const caDir = join(pki, 'cadir');
    await mkdir(caDir);
    await writeFile(join(caDir, 'ca.pem'), await readFile(join(pki, 'ca.pem')));
    await mustRun('openssl', ['rehash', caDir]);
    const mx1 = new X509Certificate(await readFile(join(pki, 'mx1.pem')));
    const tlsa1 = createHash('sha256').update(mx1.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
    const tlsaCa = createHash('sha256').update(new X509Certificate(await readFile(join(pki, 'ca.pem'))).raw).digest('hex');

    // DNS: sign sec.test, break one signature, serve with nsd.
    const zdir = join(dir, 'zones');
    await mkdir(zdir);
    await writeFile(join(zdir, 'sec.test.zone'), zoneText(tlsa1, tlsaCa));
    await writeFile(join(zdir, 'plain.test.zone'), PLAIN_ZONE.replace('TLSA1', tlsa1));
    const ksk = (await mustRun('ldns-keygen', ['-a', 'ECDSAP256SHA256', '-k', 'sec.test'], { cwd: zdir })).stdout.trim();
    const zsk = (await mustRun('ldns-keygen', ['-a', 'ECDSAP256SHA256', 'sec.test'], { cwd: zdir })).stdout.trim();
    await mustRun('ldns-signzone', ['-n', 'sec.test.zone', zsk, ksk], { cwd: zdir });
    const signed = (await readFile(join(zdir, 'sec.test.zone.signed'), 'utf8')).split('\n');
    let broken = false;
    const out = signed.map((line) => {
      if (!broken && /^_25\._tcp\.mxbogus\.sec\.test\.\s.*\sRRSIG\s+TLSA\s/.test(line)) {
        broken = true;
        // Flip characters inside the signature (last field): the RRSIG no longer verifies.
        const i = line.length - 20;
        const c = line[i] === 'A' ? 'B' : 'A';
        const j = line.length - 10;
        const d = line[j] === 'A' ? 'B' : 'A';
        return line.slice(0, i) + c + line.slice(i + 1, j) + d + line.slice(j + 1);
      }
      return line;
    });
    if (!broken) throw new Error(`no RRSIG for the bogus TLSA in the signed zone:\n${signed.join('\n').slice(0, 3000)}`);
    await writeFile(join(zdir, 'sec.test.zone.signed'), out.join('\n'));
    await writeFile(
      join(zdir, 'nsd.conf'),
      `server:\n  ip-address: ${T.nsd}\n  port: 53\n  do-ip6: no\n  server-count: 1\n  username: ""\n  chroot: ""\n  zonesdir: "${zdir}"\n  database: ""\n  zonelistfile: "${join(zdir, 'zone.list')}"\n  xfrdfile: "${join(zdir, 'xfrd.state')}"\n  xfrdir: "${zdir}"\n  pidfile: "${join(zdir, 'nsd.pid')}"\n  verbosity: 1\nremote-control:\n  control-enable: no\nzone:\n  name: "sec.test"\n  zonefile: "sec.test.zone.signed"\nzone:\n  name: "plain.test"\n  zonefile: "plain.test.zone"\n`,
    );
    const nsd = bg('nsd', '/usr/sbin/nsd', ['-d', '-c', join(zdir, 'nsd.conf')]);
    // unbound: validating, trust anchor = sec.test's KSK; plain.test is outside every anchor (insecure).
    await writeFile(
      join(zdir, 'unbound.conf'),
      `server:\n  interface: ${T.unbound}\n  port: 53\n  do-ip6: no\n  username: ""\n  chroot: ""\n  directory: "${zdir}"\n  pidfile: "${join(zdir, 'unbound.pid')}"\n  use-syslog: no\n  logfile: ""\n  verbosity: 1\n  access-control: 127.0.0.0/8 allow\n  do-not-query-localhost: no\n  module-config: "validator iterator"\n  trust-anchor-file: "${join(zdir, `${ksk}.key`)}"\n  val-log-level: 2\n  harden-dnssec-stripped: yes\n  domain-insecure: "plain.test"\n  local-zone: "test." nodefault\n  auto-trust-anchor-file: ""\nstub-zone:\n  name: "sec.test"\n  stub-addr: ${T.nsd}\nstub-zone:\n  name: "plain.test"\n  stub-addr: ${T.nsd}\nremote-control:\n  control-enable: no\n`,
    );
    const unbound = bg('unbound', '/usr/sbin/unbound', ['-d', '-c', join(zdir, 'unbound.conf')]);
    let lastDig = '';
    await waitUntil(async () => {
      if (nsd.exitCode !== null) throw new Error(`nsd exited: ${logs['nsd']}`);
      if (unbound.exitCode !== null) throw new Error(`unbound exited: ${logs['unbound']}`);
      const r = await exec('dig', [`@${T.unbound}`, '+dnssec', '+time=1', '+tries=1', 'MX', 'sec.test'], { timeoutMs: 5_000 });
      lastDig = r.stdout + r.stderr;
      return r.code === 0 && / ad[ ;]/.test(r.stdout) && r.stdout.includes('mx1.sec.test');
    }, 30_000, () => `unbound did not validate sec.test:\n${lastDig}\nnsd: ${logs['nsd']}\nunbound: ${logs['unbound']}`);

    // Postfix.
    const pf = join(dir, 'postfix');
    const etc = join(pf, 'etc');
    await mkdir(etc, { recursive: true });
    await mkdir(join(pf, 'queue'), { recursive: true });
    await writeFile(join(etc, 'main.cf'), mainCf(dir));
    await writeFile(join(etc, 'master.cf'), masterCf(dir));
    const postfix = bg('postfix', '/usr/sbin/postfix', ['-c', etc, 'start-fg']);
    // MTA-STS policy server.
    const web = bg('web', process.execPath, ['-e', POLICY_SERVER, join(pki, 'web.pem'), join(pki, 'web.key'), T.https]);
    for (const addr of [T.mx1, T.mx2, T.mxta]) {
      await waitUntil(async () => {
        if (postfix.exitCode !== null) throw new Error(`postfix exited ${postfix.exitCode}: ${logs['postfix']}`);
        const r = await exec(process.execPath, ['-e', `const s=require('net').connect(25,'${addr}');s.on('data',d=>{if(/^220 /m.test(d)){s.end('QUIT\\r\\n');process.exit(0)}});s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(2),3000)`], { timeoutMs: 5_000 });
        return r.code === 0;
      }, 30_000, () => `Postfix did not answer on ${addr}: ${logs['postfix']}`);
    }
    await waitUntil(async () => {
      if (web.exitCode !== null) throw new Error(`policy server exited: ${logs['web']}`);
      return (logs['web'] ?? '').includes('listening');
    }, 10_000, () => `policy server did not start: ${logs['web']}`);
    return { ns, dir, caFile: join(pki, 'ca.pem'), caDir, exec, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
