/**
 * A real PostgreSQL 15 for the store tests: initdb + pg_ctl in a temp dir, listening on 127.0.0.1
 * at a free port (password auth, so wrong credentials can be tested), stopped after. PostgreSQL
 * refuses to run as root: as root the cluster runs as user `postgres` (runuser). Without the
 * package (or root/postgres user), the tests skip with the reason; under CI=true that is a failure.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const PG_PASSWORD = 'mxprobe-test-secret';

export function pgUnavailableReason(): string | null {
  if (!existsSync(join(PG_BIN, 'initdb'))) return `PostgreSQL 15 not installed (${PG_BIN}/initdb missing; apt-get install postgresql)`;
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) return 'running as root without runuser';
  return null;
}

export const IN_CI = process.env['CI'] === 'true';
export const PG_REASON = pgUnavailableReason();
export const SKIP_PG = PG_REASON !== null && !IN_CI;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface PgServer {
  port: number;
  /** A URL for a fresh database `name` (created on demand with createDb). */
  url(db?: string, password?: string): string;
  /** A URL over the unix socket (trust auth): reachable from inside a network namespace too. */
  socketUrl(db: string): string;
  createDb(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startPg(): Promise<PgServer> {
  if (PG_REASON !== null) throw new Error(`PostgreSQL unavailable: ${PG_REASON}`);
  const asRoot = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args));
  const dir = await mkdtemp(join(tmpdir(), 'mxprobe-pg-'));
  await chmod(dir, 0o755);
  const pw = join(dir, 'pw');
  await writeFile(pw, `${PG_PASSWORD}\n`);
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: g } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(g.trim()));
    await chown(pw, Number(stdout.trim()), Number(g.trim()));
  }
  const data = join(dir, 'data');
  await as(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--pwfile', pw, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  await as(join(PG_BIN, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`, 'start']);
  const url = (db = 'postgres', password = PG_PASSWORD) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
  return {
    port,
    url,
    socketUrl: (db) => `postgres://postgres@localhost/${db}?host=${encodeURIComponent(dir)}&port=${port}`,
    async createDb(name) {
      await as(join(PG_BIN, 'createdb'), ['-h', dir, '-p', String(port), '-U', 'postgres', name]);
    },
    async stop() {
      await as(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
