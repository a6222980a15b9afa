/**
 * A real Exim 4 from Debian for the logs tests, run from its unpacked package.
 *
 * exim4-daemon-light conflicts with postfix in apt (both are a mail-transport-agent), and the lab needs
 * Postfix installed, so .ci/run unpacks the Exim packages with `dpkg-deb -x` into EXIM_ROOT instead of
 * installing them; their libraries (libidn12, libgnutls-dane0) install without conflict. The binary
 * was built with the exim user "Debian-exim", which .ci/run creates. Nothing here uses the system's
 * mail setup: every run gets its own configuration (-C), spool and log directory, and talks only to
 * 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const EXIM_ROOT = process.env['MXPROBE_EXIM_ROOT'] ?? '/opt/mxprobe-ci/exim4';
export const EXIM_BIN = join(EXIM_ROOT, 'usr', 'sbin', 'exim4');
/** eximstats ships in exim4-base: the anchor tool for Exim logs, as pflogsumm is for Postfix. */
export const EXIMSTATS = join(EXIM_ROOT, 'usr', 'sbin', 'eximstats');

function ids(user: string): { uid: number; gid: number } | null {
  const r = spawnSync('getent', ['passwd', user], { encoding: 'utf8' });
  const f = r.status === 0 ? r.stdout.trim().split(':') : [];
  return f.length >= 4 ? { uid: Number(f[2]), gid: Number(f[3]) } : null;
}

/** Why Exim cannot run here, or null when it can. */
export function eximUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (Exim starts as root and drops to Debian-exim)';
  if (!existsSync(EXIM_BIN)) return `no Exim at ${EXIM_BIN} (.ci/run unpacks exim4-daemon-light there; MXPROBE_EXIM_ROOT overrides)`;
  if (!ids('Debian-exim')) return 'no Debian-exim user (.ci/run creates it)';
  const v = spawnSync(EXIM_BIN, ['-C', '/dev/null', '-bV'], { encoding: 'utf8' });
  if (!/Exim version 4\./.test(v.stdout)) return `Exim does not start: ${(v.stderr || v.stdout).slice(0, 300)}`;
  if (!existsSync(EXIMSTATS)) return `no eximstats at ${EXIMSTATS}`;
  return null;
}

export interface EximRoutes {
  /** Listening port of the inbound daemon (127.0.0.1). */
  inPort: number;
  /** Outbound: recipient domain -> port on 127.0.0.1 that receives it. */
  routes: Record<string, number>;
  primaryHostname: string;
}

/**
 * Exim's configuration: an inbound daemon with HELO checks in acl_smtp_helo / acl_smtp_rcpt (the
 * RFC 5321 §4.1.1.1 FQDN rule and a "you are not me" rule), and an outbound relay that sends each
 * test domain to a loopback receiver by manualroute (self = send, allow_localhost: the receivers
 * share 127.0.0.1 with the daemon). Retries every 10 s so a queue run (-qff) retries a deferral.
 */
export function eximConfig(dir: string, r: EximRoutes): string {
  const names = Object.keys(r.routes);
  const routers = names
    .map((d, i) => `r${i}:\n  driver = manualroute\n  domains = ${d}\n  route_list = * 127.0.0.1\n  transport = t${i}\n  self = send\n`)
    .join('');
  const transports = names
    .map((d, i) => `t${i}:\n  driver = smtp\n  port = ${r.routes[d]}\n  allow_localhost\n  hosts_avoid_tls = *\n`)
    .join('');
  return `exim_path = ${EXIM_BIN}
primary_hostname = ${r.primaryHostname}
spool_directory = ${dir}/spool
log_file_path = ${dir}/spool/log/%slog
keep_environment =
daemon_smtp_ports = ${r.inPort}
local_interfaces = 127.0.0.1
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
acl_smtp_helo = acl_helo
acl_smtp_rcpt = acl_rcpt

begin acl
acl_helo:
  deny    condition = \${if !match{$sender_helo_name}{\\N\\.\\N}}
          message = HELO must be a fully-qualified domain name
  accept
acl_rcpt:
  deny    condition = \${if eq{$sender_helo_name}{$primary_hostname}}
          message = Helo command rejected: you are not me
  accept  domains = ${r.primaryHostname}
  deny    message = relay not permitted

begin routers
${routers}local:
  driver = accept
  domains = ${r.primaryHostname}
  transport = devnull

begin transports
${transports}devnull:
  driver = appendfile
  file = /dev/null
  user = Debian-exim

begin retry
*  *  F,1h,10s
`;
}

export interface EximLab {
  dir: string;
  conf: string;
  mainlog: string;
  inPort: number;
  /**
   * `exim -C conf args...` with stdin; resolves with the exit code and output. Asynchronous on
   * purpose: the receivers Exim delivers to run in this process, so a spawnSync would deadlock.
   */
  run(args: readonly string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  startDaemon(): Promise<void>;
  stop(): Promise<void>;
}

export function eximLab(dir: string, routes: EximRoutes): EximLab {
  const u = ids('Debian-exim');
  if (!u) throw new Error('no Debian-exim user');
  // mkdtemp makes the directory 0700; Exim, once it drops to Debian-exim, must reach its spool in it.
  chmodSync(dir, 0o711);
  mkdirSync(join(dir, 'spool', 'log'), { recursive: true });
  chownSync(join(dir, 'spool'), u.uid, u.gid);
  chownSync(join(dir, 'spool', 'log'), u.uid, u.gid);
  const conf = join(dir, 'exim.conf');
  writeFileSync(conf, eximConfig(dir, routes));
  let daemon: ChildProcess | null = null;
  return {
    dir,
    conf,
    mainlog: join(dir, 'spool', 'log', 'mainlog'),
    inPort: routes.inPort,
    run(args, stdin) {
      return new Promise((resolve, reject) => {
        const p = spawn(EXIM_BIN, ['-C', conf, ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        p.once('error', reject);
        p.once('close', (code) => resolve({ code, stdout, stderr }));
        p.stdin.end(stdin ?? '');
      });
    },
    async startDaemon() {
      // -bdf: the listening daemon in the foreground, so the test owns (and kills) the process.
      daemon = spawn(EXIM_BIN, ['-C', conf, '-bdf'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      daemon.stderr?.on('data', (b: Buffer) => (err += b.toString()));
      const deadline = Date.now() + 20_000;
      const net = await import('node:net');
      for (;;) {
        const ok = await new Promise<boolean>((res) => {
          const s = net.connect(routes.inPort, '127.0.0.1');
          s.once('data', () => (s.destroy(), res(true)));
          s.once('error', () => res(false));
        });
        if (ok) return;
        if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`exim daemon did not listen on ${routes.inPort}: ${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      const d = daemon;
      if (!d || d.exitCode !== null) return;
      await new Promise<void>((res) => {
        d.once('exit', () => res());
        d.kill('SIGTERM');
        setTimeout(() => d.kill('SIGKILL'), 5000).unref();
      });
    },
  };
}

/** eximstats's "Grand total summary": messages received and delivered, and rejects. */
export function eximstatsTotals(txt: string): { received: number; delivered: number; rejects: number } {
  const grab = (label: string): number => {
    // "  Received              2832          4   ..." : volume, then messages.
    const m = new RegExp(`^\\s*${label}\\s+(\\S+)\\s+(\\d+)`, 'm').exec(txt);
    if (label === 'Rejects') {
      const r = /^\s*Rejects\s+(\d+)/m.exec(txt);
      if (!r) throw new Error(`eximstats: no Rejects line in:\n${txt.slice(0, 1500)}`);
      return Number(r[1]);
    }
    if (!m) throw new Error(`eximstats: no ${label} line in:\n${txt.slice(0, 1500)}`);
    return Number(m[2]);
  };
  return { received: grab('Received'), delivered: grab('Delivered'), rejects: grab('Rejects') };
}
