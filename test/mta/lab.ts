/**
 * The real-MTA lab: a real Postfix and a real authoritative DNS server (nsd) inside a network
 * namespace this test run creates, so mxprobe is judged against what a real receiver does with a
 * real connection from a real source address.
 *
 * Procedure (setup):
 *  1. remove what a crashed earlier run left (namespaces mxlab-<pid>-* whose pid is gone);
 *  2. `ip netns add`, bring lo up: inside the namespace all of 127.0.0.0/8 is local on lo, so the
 *     senders (.10 .11 .12), Postfix (.25 .26) and DNS (.153) are distinct real addresses;
 *  3. /etc/netns/<ns>/resolv.conf -> 127.0.0.153: `ip netns exec` bind-mounts it over
 *     /etc/resolv.conf, so Postfix, swaks, dig and mxprobe all resolve through the lab DNS;
 *  4. nsd in the foreground with its own config, zones from test/mta/zones/;
 *  5. a self-signed certificate, then Postfix with its own config directory, queue and data
 *     directories under a temp dir, every service unchrooted (so it sees the namespace's
 *     resolv.conf), logging to stdout (maillog_file, Postfix >= 3.4), started with start-fg.
 * Teardown kills exactly the processes it started (by pid), deletes the namespace, the
 * /etc/netns entry and the temp dir.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB_ADDRESSES = {
  /** PTR good.example.test, A good.example.test = 127.0.0.10: forward-confirmed. */
  good: '127.0.0.10',
  /** PTR other.example.test, whose A is 127.0.0.99: FCrDNS fails. */
  other: '127.0.0.11',
  /** No PTR. */
  noPtr: '127.0.0.12',
  /** Postfix, mx.example.test: helo restrictions only. */
  mx: '127.0.0.25',
  /** Postfix, strict.example.test: helo restrictions plus reject_unknown_client_hostname. */
  strict: '127.0.0.26',
  /** nsd, authoritative for example.test and 0.0.127.in-addr.arpa. */
  dns: '127.0.0.153',
  /**
   * Postfix like .25, but its TLS key is unreadable garbage: STARTTLS is advertised and answered
   * "454 4.7.0 TLS not available due to local problem" (issue 12 §A: broken STARTTLS). No DNS names.
   */
  tlsBroken: '127.0.0.46',
} as const;

export const LAB_NAMES = {
  domain: 'example.test',
  mx: 'mx.example.test',
  strictDomain: 'strict.example.test',
  good: 'good.example.test',
  other: 'other.example.test',
} as const;

/** The syslog_name of each smtpd service, so log lines tell which listener a session hit. */
export const LAB_SERVICES = { mx: 'postfix/smtpd', strict: 'postfix/strict/smtpd', tlsBroken: 'postfix/tlsbroken/smtpd' } as const;

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the command was killed for exceeding its timeout. */
  timedOut: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string | undefined>;
}

export interface Lab {
  readonly ns: string;
  readonly dir: string;
  readonly addresses: typeof LAB_ADDRESSES;
  readonly names: typeof LAB_NAMES;
  /** Run a command inside the namespace (resolving through the lab DNS). Never rejects on exit code. */
  exec(cmd: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Everything Postfix logged so far (its maillog_file; still readable after stop()). */
  postfixLog(): string;
  /** A position in the Postfix log, for logSince(). */
  logMark(): number;
  logSince(mark: number): string;
  /** Resolve with the log since `mark` once `pattern` matches it (or returns true), else reject after timeoutMs. */
  waitForLog(pattern: RegExp | ((log: string) => boolean), mark?: number, timeoutMs?: number): Promise<string>;
  /** What nsd printed (for failure messages). */
  nsdLog(): string;
  stop(): Promise<void>;
}

const HERE = dirname(fileURLToPath(import.meta.url));
export const ZONES_DIR = join(HERE, 'zones');
const NS_PREFIX = 'mxlab-';
const BINARIES = ['/usr/sbin/postfix', '/usr/sbin/nsd', '/usr/bin/swaks', '/usr/bin/dig', '/usr/bin/openssl'];

/**
 * Why the lab cannot run here, or null when it can. Checked synchronously so a test file can use
 * it in describe.skipIf(). Tries a real `ip netns add` (the only honest test of the capability).
 */
export function labUnavailableReason(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root (ip netns needs CAP_SYS_ADMIN)';
  const missing = BINARIES.filter((b) => !existsSync(b));
  if (missing.length > 0) return `missing ${missing.join(', ')} (apt-get install postfix nsd swaks dnsutils openssl; see .ci/run)`;
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0) return 'iproute2 `ip` not found';
  const probe = `${NS_PREFIX}${process.pid}-check${randomBytes(3).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `ip netns add failed: ${(add.stderr || String(add.error)).trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function run(cmd: string, args: readonly string[], options: ExecOptions & { input?: string } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export async function mustRun(cmd: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code ?? r.signal}${r.timedOut ? ' (timeout)' : ''}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

async function namespacePids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns], { timeoutMs: 10_000 });
  return r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 1);
}

/**
 * Kill every process left inside one of OUR namespaces (it can only hold what a lab started).
 * SIGTERM first and a short grace, so parents reap their children instead of leaving zombies.
 */
export async function killNamespacePids(ns: string, graceMs = 3_000): Promise<void> {
  const signal = (pids: number[], sig: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  const first = await namespacePids(ns);
  if (first.length === 0) return;
  signal(first, 'SIGTERM');
  const end = Date.now() + graceMs;
  while (Date.now() < end && first.some(isAlive)) await sleep(50);
  signal((await namespacePids(ns)).filter((p) => first.includes(p) || isAlive(p)), 'SIGKILL');
}

/**
 * A crashed or killed earlier run leaves its namespace, the processes inside it, /etc/netns/<ns>
 * and its temp dir. Namespace names carry the owning pid; remove those whose owner is gone.
 */
export async function cleanupStaleLabs(): Promise<string[]> {
  const removed: string[] = [];
  const list = await run('ip', ['netns', 'list'], { timeoutMs: 10_000 });
  const names = list.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(NS_PREFIX));
  const etc = existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((n) => n.startsWith(NS_PREFIX)) : [];
  for (const ns of new Set([...names, ...etc])) {
    const m = /^mxlab-(\d+)-/.exec(ns);
    if (!m?.[1] || isAlive(Number(m[1]))) continue;
    if (names.includes(ns)) {
      await killNamespacePids(ns);
      await run('ip', ['netns', 'del', ns], { timeoutMs: 10_000 });
    }
    await rm(join('/etc/netns', ns), { recursive: true, force: true });
    removed.push(ns);
  }
  for (const d of readdirSync(tmpdir()).filter((n) => n.startsWith(NS_PREFIX))) {
    const m = /^mxlab-(\d+)-/.exec(d);
    if (m?.[1] && !isAlive(Number(m[1]))) {
      await rm(join(tmpdir(), d), { recursive: true, force: true });
      removed.push(join(tmpdir(), d));
    }
  }
  return removed;
}

export function nsdConf(dir: string): string {
  // nsd.conf(5). No chroot, no privilege drop (username ""), no database, no remote-control:
  // everything lives in the temp dir and the process is ours to kill.
  return `server:
    ip-address: ${LAB_ADDRESSES.dns}
    port: 53
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "${ZONES_DIR}"
    database: ""
    zonelistfile: "${join(dir, 'nsd', 'zone.list')}"
    xfrdfile: "${join(dir, 'nsd', 'xfrd.state')}"
    xfrdir: "${join(dir, 'nsd')}"
    pidfile: "${join(dir, 'nsd', 'nsd.pid')}"
    logfile: "${join(dir, 'nsd', 'nsd.log')}"
    verbosity: 1
    hide-version: yes
remote-control:
    control-enable: no
zone:
    name: "example.test"
    zonefile: "example.test.zone"
zone:
    name: "0.0.127.in-addr.arpa"
    zonefile: "0.0.127.in-addr.arpa.zone"
`;
}

export function postfixLogFile(dir: string): string {
  return join(dir, 'postfix', 'maillog');
}

/** Postfix's config directory, kept apart from its queue so `postfix check` finds only its own files. */
export function postfixConfigDir(dir: string): string {
  return join(dir, 'postfix', 'etc');
}

export function postfixMainCf(dir: string): string {
  const pf = join(dir, 'postfix');
  return `# Lab Postfix (test/mta/lab.ts). Parameters: postconf(5).
compatibility_level = 3.6
queue_directory = ${join(pf, 'queue')}
data_directory = ${join(pf, 'data')}
mail_owner = postfix
setgid_group = postdrop
myhostname = ${LAB_NAMES.mx}
mydomain = ${LAB_NAMES.domain}
myorigin = $mydomain
mydestination = ${LAB_NAMES.domain}
inet_interfaces = ${LAB_ADDRESSES.mx}, ${LAB_ADDRESSES.strict}, ${LAB_ADDRESSES.tlsBroken}
inet_protocols = ipv4
# No sender is trusted: every lab client goes through the restrictions.
mynetworks = 127.0.0.1/32
relayhost =
# Logging without a syslog daemon (MAILLOG_README, Postfix >= 3.4). Not /dev/stdout: Node's
# child stdio is a socketpair and open("/dev/stdout") on a socket fails with ENXIO.
maillog_file = ${postfixLogFile(dir)}
maillog_file_prefixes = ${dir}
biff = no
# Local recipients: postmaster and user, delivered to files under the lab dir (later tests).
alias_maps = texthash:${join(postfixConfigDir(dir), 'aliases')}
alias_database =
local_recipient_maps = $alias_maps
allow_mail_to_files = alias
smtpd_banner = $myhostname ESMTP lab
# RFC 5321 §4.1.1.1 says a client MUST send EHLO/HELO; Postfix can insist.
smtpd_helo_required = yes
# Restrictions are evaluated at RCPT time (smtpd_delay_reject = yes, the default), so every
# verdict lands at the rcpt stage. The INFO action logs client, helo, from and to without
# deciding anything: it tells the test which HELO name a session that reached RCPT used.
smtpd_delay_reject = yes
lab_info = check_client_access static:INFO
smtpd_client_restrictions = $lab_info
strict_client_restrictions = $lab_info, reject_unknown_client_hostname
smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname, reject_unknown_helo_hostname
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
# STARTTLS (RFC 3207) with a self-signed certificate made at setup time.
smtpd_tls_security_level = may
smtpd_tls_cert_file = ${join(pf, 'tls', 'cert.pem')}
smtpd_tls_key_file = ${join(pf, 'tls', 'key.pem')}
smtpd_tls_loglevel = 1
# The tlsbroken listener's key: not a key at all (master.cf -o smtpd_tls_key_file=$lab_broken_key).
lab_broken_key = ${join(pf, 'tls', 'broken-key.pem')}
smtp_tls_security_level = none
# No error pacing: the lab probes the same listener many times in a row.
smtpd_error_sleep_time = 0s
`;
}

export function postfixMasterCf(): string {
  // Every service unchrooted (5th column n): a chrooted smtpd would read the chroot's copy of
  // resolv.conf instead of the namespace's.
  const lines = [
    `${LAB_ADDRESSES.mx}:smtp inet n - n - - smtpd`,
    `${LAB_ADDRESSES.strict}:smtp inet n - n - - smtpd -o syslog_name=postfix/strict -o smtpd_client_restrictions=$strict_client_restrictions`,
    `${LAB_ADDRESSES.tlsBroken}:smtp inet n - n - - smtpd -o syslog_name=postfix/tlsbroken -o smtpd_tls_key_file=$lab_broken_key`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'tlsmgr unix - - n 1000? 1 tlsmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'proxywrite unix - - n - 1 proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'local unix - n n - - local',
    'virtual unix - n n - - virtual',
    'lmtp unix - - n - - lmtp',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ];
  return `# Lab master.cf (test/mta/lab.ts)\n${lines.join('\n')}\n`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Wait for `child` to exit, up to ms; true when it did. */
function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

async function waitPidGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

/** Node one-liner run inside the namespace: connect, wait for a 220 line, quit. */
const BANNER_WAIT = `
const net = require('node:net');
const s = net.connect({ host: process.argv[1], port: 25 });
let buf = '';
s.setTimeout(3000, () => process.exit(2));
s.on('error', () => process.exit(1));
s.on('data', (d) => { buf += d; if (/^220 /m.test(buf)) { s.end('QUIT\\r\\n'); process.exit(0); } });
`;

export async function startLab(): Promise<Lab> {
  const reason = labUnavailableReason();
  if (reason) throw new Error(`real-MTA lab unavailable: ${reason}`);
  await cleanupStaleLabs();

  // The pid lets a later run tell a crashed lab from a live one; the random part keeps two test
  // files in one worker process (threads pool) apart. Linux caps netns names at NAME_MAX only.
  const ns = `${NS_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), `${ns}-`));
  /** What `postfix start-fg` itself printed (normally nothing: its log goes to the maillog file). */
  let postfixOut = '';
  let finalLog: string | null = null;
  const readLog = (): string => {
    if (finalLog !== null) return finalLog;
    try {
      return readFileSync(postfixLogFile(dir), 'utf8');
    } catch {
      return '';
    }
  };
  let nsdOut = '';
  const children: ChildProcess[] = [];
  let nsCreated = false;
  let postfixStarted = false;

  const exec = (cmd: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> =>
    run('ip', ['netns', 'exec', ns, cmd, ...args], options);

  const masterPid = async (): Promise<number | null> => {
    try {
      const n = Number((await readFile(join(dir, 'postfix', 'queue', 'pid', 'master.pid'), 'utf8')).trim());
      return Number.isInteger(n) && n > 1 ? n : null;
    } catch {
      return null;
    }
  };

  const stop = async (): Promise<void> => {
    // Postfix: SIGTERM to the master (from its pid file) stops all its children (master(8)).
    if (postfixStarted) {
      const pid = await masterPid();
      if (pid !== null && isAlive(pid)) {
        process.kill(pid, 'SIGTERM');
        if (!(await waitPidGone(pid, 10_000))) process.kill(pid, 'SIGKILL');
      }
    }
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        if (!(await waitExit(child, 5_000))) child.kill('SIGKILL');
      }
    }
    if (nsCreated) {
      // Anything still inside the namespace was started by this lab.
      await killNamespacePids(ns);
      await run('ip', ['netns', 'del', ns], { timeoutMs: 10_000 });
    }
    await rm(join('/etc/netns', ns), { recursive: true, force: true });
    // Keep the log readable after the temp dir is gone (afterAll may print it).
    finalLog = readLog();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    // Postfix daemons drop to the postfix user and chdir into the queue: the path must be traversable.
    await chmod(dir, 0o755);
    await mustRun('ip', ['netns', 'add', ns]);
    nsCreated = true;
    await mustRun('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // 127.0.0.0/8 is routable on lo already, but Postfix's inet_interfaces wants each address to
    // be a configured interface address (it enumerates them), so add every lab address as /32.
    for (const addr of Object.values(LAB_ADDRESSES)) {
      await mustRun('ip', ['-n', ns, 'addr', 'add', `${addr}/32`, 'dev', 'lo']);
    }
    await mkdir(join('/etc/netns', ns), { recursive: true });
    await writeFile(join('/etc/netns', ns, 'resolv.conf'), `nameserver ${LAB_ADDRESSES.dns}\noptions timeout:1 attempts:2\n`);

    // DNS.
    await mkdir(join(dir, 'nsd'));
    await writeFile(join(dir, 'nsd', 'nsd.conf'), nsdConf(dir));
    const nsd = spawn('ip', ['netns', 'exec', ns, '/usr/sbin/nsd', '-d', '-c', join(dir, 'nsd', 'nsd.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(nsd);
    nsd.stdout.setEncoding('utf8').on('data', (d: string) => (nsdOut += d));
    nsd.stderr.setEncoding('utf8').on('data', (d: string) => (nsdOut += d));
    await waitUntil(async () => {
      if (nsd.exitCode !== null) throw new Error(`nsd exited ${nsd.exitCode}: ${nsdOut}`);
      const r = await exec('dig', ['@' + LAB_ADDRESSES.dns, '+short', '+time=1', '+tries=1', 'SOA', LAB_NAMES.domain], { timeoutMs: 5_000 });
      return r.code === 0 && r.stdout.includes('ns.example.test.');
    }, 20_000, () => `nsd did not answer: ${nsdOut}`);

    // Postfix.
    const pf = join(dir, 'postfix');
    const etc = postfixConfigDir(dir);
    await mkdir(join(pf, 'tls'), { recursive: true });
    await mkdir(etc, { recursive: true });
    // `postfix check` (run by start-fg) creates the queue's subdirectories, not the queue itself.
    await mkdir(join(pf, 'queue'), { recursive: true });
    await mkdir(join(pf, 'mail'), { mode: 0o1777 });
    await chmod(join(pf, 'mail'), 0o1777);
    await mustRun('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-subj', `/CN=${LAB_NAMES.mx}`,
      '-addext', `subjectAltName=DNS:${LAB_NAMES.mx},DNS:${LAB_NAMES.strictDomain}`,
      '-keyout', join(pf, 'tls', 'key.pem'), '-out', join(pf, 'tls', 'cert.pem'),
    ]);
    // An "unreadable" key for the tlsBroken listener: a PEM envelope around garbage.
    await writeFile(join(pf, 'tls', 'broken-key.pem'), '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    await writeFile(join(etc, 'main.cf'), postfixMainCf(dir));
    await writeFile(join(etc, 'master.cf'), postfixMasterCf());
    // texthash: postmap(1) format ("key value"), no database to build.
    await writeFile(join(etc, 'aliases'), `postmaster user\nuser ${join(pf, 'mail', 'user')}\n`);
    const postfix = spawn('ip', ['netns', 'exec', ns, '/usr/sbin/postfix', '-c', etc, 'start-fg'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(postfix);
    postfixStarted = true;
    postfix.stdout.setEncoding('utf8').on('data', (d: string) => (postfixOut += d));
    postfix.stderr.setEncoding('utf8').on('data', (d: string) => (postfixOut += d));
    for (const addr of [LAB_ADDRESSES.mx, LAB_ADDRESSES.strict, LAB_ADDRESSES.tlsBroken]) {
      await waitUntil(async () => {
        if (postfix.exitCode !== null) {
          throw new Error(`postfix start-fg exited ${postfix.exitCode}:\n${postfixOut}\n${readLog()}\n${await postfixDiagnosis(ns, etc)}`);
        }
        const r = await exec(process.execPath, ['-e', BANNER_WAIT, addr], { timeoutMs: 5_000 });
        return r.code === 0;
      }, 30_000, () => `Postfix did not answer on ${addr}:25\n${postfixOut}\n${readLog()}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const lab: Lab = {
    ns,
    dir,
    addresses: LAB_ADDRESSES,
    names: LAB_NAMES,
    exec,
    postfixLog: readLog,
    logMark: () => readLog().length,
    logSince: (mark) => readLog().slice(mark),
    waitForLog: async (pattern, mark = 0, timeoutMs = 10_000) => {
      const matches = typeof pattern === 'function' ? pattern : (log: string): boolean => pattern.test(log);
      await waitUntil(async () => matches(readLog().slice(mark)), timeoutMs, () => `no ${pattern} in Postfix log:\n${readLog().slice(mark)}`);
      return readLog().slice(mark);
    },
    nsdLog: () => nsdOut,
    stop,
  };
  return lab;
}

/**
 * Postfix prints fatal start-up errors on stderr only when stderr is a terminal (otherwise to
 * syslog, which the lab does not run); `script` gives it one so the reason reaches the test output.
 */
async function postfixDiagnosis(ns: string, etc: string): Promise<string> {
  const r = await run('script', ['-qec', `ip netns exec ${ns} /usr/sbin/postfix -c ${etc} check`, '/dev/null'], { timeoutMs: 20_000 }).catch(
    (e: unknown) => ({ stdout: '', stderr: String(e) }),
  );
  return `postfix check says:\n${r.stdout}${r.stderr}`;
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(describe());
    await sleep(100);
  }
}
