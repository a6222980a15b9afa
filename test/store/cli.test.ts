/**
 * The store commands through the built CLI: bad stores are clear errors before any probing (no
 * connection reaches the receiver, -o is not created), import with report's merge rules, prune,
 * runs, history and diff on files.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { runCliProcess } from '../helpers/cli.js';
import { startPolicyServer, type PolicyServer } from '../helpers/smtp-server.js';
import { PG_REASON, SKIP_PG, startPg, type PgServer } from './pg-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-cli-'));
chmodSync(dir, 0o777);
const FIX = join(import.meta.dirname, '..', 'fixtures', 'results');
let mx: PolicyServer;
beforeAll(async () => {
  mx = await startPolicyServer({ tls: false });
});
afterAll(async () => {
  await mx.close();
  rmSync(dir, { recursive: true, force: true });
});

function probeArgs(store: string, out: string): string[] {
  return ['probe', `127.0.0.1:${mx.port}`, '--helo', 'probe.example.test', '--host-gap', '0', '--no-alignment', '--quiet', '--format', 'json', '-o', out, '--store', store];
}

describe('probe --store: a bad store stops the run before anything is probed', () => {
  async function refused(store: string, pattern: RegExp, env: Record<string, string> = {}): Promise<void> {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
    const before = mx.sessions.length + mx.commands.length;
    const r = await runCliProcess(probeArgs(store, out), { env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(mx.sessions.length + mx.commands.length).toBe(before);
    expect(existsSync(out)).toBe(false);
  }

  it('an empty --store (an unset shell variable) is a usage error, not a run that stores nothing', async () => {
    await refused('', /--store: empty value/);
    await refused('  ', /--store: empty value/);
  });

  it('--metrics-file empty, or in a directory that does not exist: refused before probing, not after the whole run', async () => {
    for (const [metrics, pattern] of [
      ['', /--metrics-file: empty path/],
      [join(dir, 'no-such-dir', 'm.prom'), /--metrics-file .*no-such-dir.*: cannot write into .*ENOENT/],
    ] as const) {
      const out = join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
      const before = mx.sessions.length + mx.commands.length;
      const args = probeArgs(join(dir, 'metrics-unused.db'), out).slice(0, -2);
      const r = await runCliProcess([...args, '--metrics-file', metrics]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(mx.sessions.length + mx.commands.length).toBe(before);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('--metrics-file that is a directory, or the run\'s own -o, targets file or SQLite store: refused before probing, the file untouched', async () => {
    const sub = mkdtempSync(join(dir, 'own-'));
    const targets = join(sub, 'targets.prom');
    writeFileSync(targets, `127.0.0.1:${mx.port}\n`);
    const existingOut = join(sub, 'results.prom');
    writeFileSync(existingOut, 'earlier results\n');
    mkdirSync(join(sub, 'dir.prom'));
    const base = ['probe', '--helo', 'probe.example.test', '--host-gap', '0', '--no-alignment', '--quiet', '--format', 'json'];
    for (const [args, pattern, untouched] of [
      // A directory named x.prom: the rename failed only after the whole run (a warning, exit 1).
      [[`127.0.0.1:${mx.port}`, '-o', join(sub, 'a.json'), '--metrics-file', join(sub, 'dir.prom')], /--metrics-file .*dir\.prom: is a directory/, null],
      // -o and --metrics-file on one path: the results were replaced by the metrics, exit 0.
      [[`127.0.0.1:${mx.port}`, '-o', existingOut, '--metrics-file', existingOut], /is the same file as -o /, existingOut],
      [[`127.0.0.1:${mx.port}`, '-o', join(sub, 'new.prom'), '--metrics-file', join(sub, '.', 'new.prom')], /is the same file as -o /, null],
      [['-f', targets, '-o', join(sub, 'b.json'), '--metrics-file', targets], /is the same file as --targets-file /, targets],
      [[`127.0.0.1:${mx.port}`, '-o', join(sub, 'c.json'), '--store', `sqlite:${join(sub, 'store.prom')}`, '--metrics-file', join(sub, 'store.prom')], /is the same file as --store /, null],
    ] as const) {
      const before = mx.sessions.length + mx.commands.length;
      const kept = untouched === null ? null : readFileSync(untouched, 'utf8');
      const r = await runCliProcess([...base, ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(mx.sessions.length + mx.commands.length).toBe(before);
      if (untouched !== null) expect(readFileSync(untouched, 'utf8')).toBe(kept);
    }
    expect(existsSync(join(sub, 'new.prom'))).toBe(false);
    expect(existsSync(join(sub, 'store.prom'))).toBe(false);
    // Control: a metrics file of its own is written, and the run stored.
    const ok = await runCliProcess([...base, `127.0.0.1:${mx.port}`, '-o', join(sub, 'd.json'), '--metrics-file', join(sub, 'ok.prom')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(sub, 'ok.prom'), 'utf8')).toMatch(/^mxprobe_run_targets 1$/m);
  }, 90_000);

  it('not a store URL', async () => {
    await refused('mysql://x/y', /--store: mysql:\/\/x\/y: not a store URL; use sqlite:PATH/);
  });

  it('a bad MXPROBE_STORE is named as the variable, not as a --store the user never typed (probe and history)', async () => {
    const out = join(dir, 'env-store.json');
    const before = mx.sessions.length + mx.commands.length;
    const r = await runCliProcess(probeArgs('x', out).slice(0, -2), { env: { MXPROBE_STORE: 'garbage' } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^mxprobe: MXPROBE_STORE: garbage: not a store URL/m);
    expect(r.stderr).not.toMatch(/--store/);
    expect(mx.sessions.length + mx.commands.length).toBe(before);
    const h = await runCliProcess(['history', '127.0.0.1'], { env: { MXPROBE_STORE: 'garbage' } });
    expect(h.code, h.stderr).toBe(2);
    expect(h.stderr).toMatch(/^mxprobe: MXPROBE_STORE: garbage: not a store URL/m);
  });

  it('a corrupt SQLite file', async () => {
    const p = join(dir, 'corrupt.db');
    writeFileSync(p, 'this is not a database, just text '.repeat(200));
    await refused(p, /corrupt.db: open: not an SQLite database or corrupt/);
  });

  it('a store corrupt only where the run would append (a hosts, probes or index page): refused at open, not after probing', async () => {
    // A real store: one run through the CLI (the control: the intact copy takes a second run).
    const good = join(dir, 'append-good.db');
    const first = await runCliProcess(probeArgs(good, join(dir, 'append-good-1.json')));
    expect(first.code, first.stderr).toBe(0);
    const meta = new Database(good, { readonly: true });
    const pageSize = meta.pragma('page_size', { simple: true }) as number;
    const roots = new Map((meta.prepare("SELECT name, rootpage FROM sqlite_master WHERE name IN ('hosts', 'probes', 'targets', 'probes_run', 'hosts_run_ip')").all() as Array<{ name: string; rootpage: number }>).map((r) => [r.name, r.rootpage]));
    meta.close();
    expect(roots.size).toBe(5);
    const bytes = readFileSync(good);
    for (const [name, page] of roots) {
      // The b-tree page header (its first bytes) overwritten: SQLITE_CORRUPT when the page is read.
      const copy = Buffer.from(bytes);
      copy.fill(0xff, (page - 1) * pageSize, (page - 1) * pageSize + 64);
      const p = join(dir, `append-${name}.db`);
      writeFileSync(p, copy);
      // Before: the header and the runs table were fine, so the run probed the receiver, then
      // warned "store write failed", marked its run failed and exited 1.
      await refused(p, new RegExp(`append-${name}\\.db: open: not an SQLite database or corrupt`));
    }
    const again = await runCliProcess(probeArgs(good, join(dir, 'append-good-2.json')));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
  });

  it('a directory named like a store: said to be a directory (probe and history)', async () => {
    const p = join(dir, 'a-dir.db');
    mkdirSync(p);
    // Before: "cannot write (unable to open database file); the file and its directory must be writable".
    await refused(p, /a-dir\.db: is a directory, not a store file/);
    const h = await runCliProcess(['history', 'example.com', '--store', p]);
    expect(h.code).toBe(2);
    expect(h.stderr).toMatch(/a-dir\.db: is a directory, not a store file/);
  });

  it('a read-only SQLite file', async () => {
    const p = join(dir, 'ro.db');
    new Database(p).close();
    chmodSync(p, 0o444);
    if (process.getuid?.() === 0) {
      // root writes anyway: run the CLI as nobody, for whom the file is read-only.
      const out = join(dir, 'ro-out.json');
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, join(import.meta.dirname, '..', '..', 'bin', 'mxprobe.js'), ...probeArgs(p, out)], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/ro\.db: open: cannot write .*readonly/i);
      expect(existsSync(out)).toBe(false);
    } else {
      await refused(p, /ro\.db: open: cannot write/);
    }
  });

  it('an SQLite file locked by another writer longer than the busy timeout', async () => {
    const p = join(dir, 'locked.db');
    const holder = new Database(p);
    holder.pragma('journal_mode = WAL');
    holder.exec('CREATE TABLE x (a)');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      await refused(p, /locked by another process for more than 300 ms/, { MXPROBE_STORE_BUSY_MS: '300' });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  it('an unreachable PostgreSQL', async () => {
    await refused('postgres://postgres:pw@127.0.0.1:1/audit', /postgres:\*\*\*@127\.0\.0\.1:1\/audit: open: .*ECONNREFUSED.*is PostgreSQL running/);
  });

  it('a PostgreSQL unix socket with no server behind it: the same hint (qa12: a bare "connect ENOENT")', async () => {
    await refused(`postgres://postgres:pw@/audit?host=${encodeURIComponent(dir)}&port=1`, /open: .*ENOENT.*is PostgreSQL running/);
  });

  describe.skipIf(SKIP_PG)('with a real PostgreSQL', () => {
    let pg: PgServer;
    beforeAll(async () => {
      pg = await startPg();
      await pg.createDb('audit');
    }, 120_000);
    afterAll(async () => pg?.stop(), 60_000);

    it('wrong credentials, and the password never printed', async () => {
      await refused(pg.url('audit', 'wrong-password'), /password authentication failed.*wrong user name or password/);
      const r = await runCliProcess(probeArgs(pg.url('audit', 'wrong-password'), join(dir, 'x.json')));
      expect(r.stderr).not.toContain('wrong-password');
    });

    it('diff, history and store runs on a database without a store: "does not exist", exit 2, no tables created', async () => {
      await pg.createDb('empty');
      for (const args of [['diff'], ['history', 'example.com'], ['store', 'runs']]) {
        const r = await runCliProcess([...args, '--store', pg.url('empty')]);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/does not exist: the database holds no mxprobe store/);
      }
      // Reading created nothing: a writer still finds an empty database and migrates it.
      const pgmod = await import('pg');
      const c = new pgmod.default.Client({ connectionString: pg.url('empty') });
      await c.connect();
      try {
        expect((await c.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0].n).toBe(0);
      } finally {
        await c.end();
      }
    }, 60_000);

    it('two probe --store processes at once on one PostgreSQL and on one SQLite file both land', async () => {
      for (const store of [pg.url('audit'), join(dir, 'two.db')]) {
        const [a, b] = await Promise.all([runCliProcess(probeArgs(store, join(dir, 'a.json'))), runCliProcess(probeArgs(store, join(dir, 'b.json')))]);
        expect(a.code, a.stderr).toBe(0);
        expect(b.code, b.stderr).toBe(0);
        const runs = await runCliProcess(['store', 'runs', '--store', store, '--json']);
        const rows = runs.stdout.trim().split('\n').map((l) => JSON.parse(l) as { state: string; hostCount: number });
        expect(rows.filter((x) => x.state === 'complete' && x.hostCount === 1)).toHaveLength(2);
        const d = await runCliProcess(['diff', '--store', store]);
        expect(d.code, d.stderr).toBe(0);
        expect(d.stdout).toMatch(/0 change\(s\); compared 1 target\(s\), 1 host\(s\); no changes/);
      }
    }, 120_000);
  });
  if (SKIP_PG) console.warn(`[store] cli PostgreSQL cases SKIPPED: ${PG_REASON}`);
});

describe('store import, runs, prune; diff and history', () => {
  const db = join(dir, 'import.db');

  it('imports a JSON and an interrupted NDJSON run, refuses an unknown schemaVersion', async () => {
    const r = await runCliProcess(['store', 'import', join(FIX, 'sample-run.json'), join(FIX, 'interrupted-run.ndjson'), '--store', `sqlite:${db}`]);
    // The interrupted fixture is cut mid-line: what was complete is stored, and the exit says not all was.
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/sample-run\.json: imported as run 1 /);
    expect(r.stdout).toMatch(/interrupted-run\.ndjson: imported as run 2 .*truncated file/);
    const bad = join(dir, 'v9.json');
    writeFileSync(bad, JSON.stringify({ ...JSON.parse(readFileSync(join(FIX, 'sample-run.json'), 'utf8')), schemaVersion: 9 }));
    const r2 = await runCliProcess(['store', 'import', bad, '--store', db]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/v9\.json: unsupported schemaVersion 9/);
    const runs = await runCliProcess(['store', 'runs', '--store', db]);
    expect(runs.stdout.trim().split('\n')).toHaveLength(2);
    expect(runs.stdout).toMatch(/interrupted/);
  });

  it('history of a stored host, and of nothing (exit 1)', async () => {
    const t = JSON.parse(readFileSync(join(FIX, 'sample-run.json'), 'utf8')) as { targets: Array<{ hosts: Array<{ ip: string }> }> };
    const ip = t.targets[0]!.hosts[0]!.ip;
    const h = await runCliProcess(['history', ip, '--store', db, '--format', 'json']);
    expect(h.code, h.stderr).toBe(0);
    const doc = JSON.parse(h.stdout) as { changes: Array<{ kind: string; when: string }> };
    expect(doc.changes[0]).toMatchObject({ kind: 'host-appeared' });
    const none = await runCliProcess(['history', '198.51.100.250', '--store', db]);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/nothing stored for 198\.51\.100\.250/);
    // An empty name (an unset shell variable) is a usage error, not "nothing stored for ".
    const empty = await runCliProcess(['history', '', '--store', db]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/history: give a domain, an MX host name or an IP address/);
  });

  it('diff and history -o on a full disk: exit 5 naming the file, never an internal error', async () => {
    const t = JSON.parse(readFileSync(join(FIX, 'sample-run.json'), 'utf8')) as { targets: Array<{ hosts: Array<{ ip: string }> }> };
    const full = join(dir, 'full-disk.db');
    const imp = await runCliProcess(['store', 'import', join(FIX, 'sample-run.json'), '--store', full]);
    expect(imp.code, imp.stderr).toBe(0);
    for (const args of [['diff', join(FIX, 'sample-run.json'), join(FIX, 'sample-run.json')], ['history', t.targets[0]!.hosts[0]!.ip, '--store', full]]) {
      for (const format of ['table', 'json', 'html']) {
        const r = await runCliProcess([...args, '--format', format, '-o', '/dev/full']);
        expect(r.code, `${args[0]} ${format}: ${r.stderr}`).toBe(5);
        expect(r.stderr).toMatch(/cannot write results to \/dev\/full: no space left on device \(ENOSPC\); output is incomplete/);
        expect(r.stderr).not.toMatch(/internal error|    at /);
      }
    }
  });

  it('diff of two files in every format; markdown and html escape server text', async () => {
    const a = JSON.parse(readFileSync(join(FIX, 'sample-run.json'), 'utf8')) as { targets: Array<{ hosts: Array<{ probes: Array<{ banner: { lines: string[] } | null }> }> }> };
    const b = structuredClone(a);
    b.targets[0]!.hosts[0]!.probes[0]!.banner = { ...b.targets[0]!.hosts[0]!.probes[0]!.banner!, lines: ['220 <script>alert(1)</script> | \x1b[31mred'] };
    const fa = join(dir, 'a.json');
    const fb = join(dir, 'b.json');
    writeFileSync(fa, JSON.stringify(a));
    writeFileSync(fb, JSON.stringify(b));
    // The sample has two failed probes (connection-refused, io-timeout): inconclusive, exit 1.
    const html = await runCliProcess(['diff', fa, fb, '--format', 'html']);
    expect(html.code, html.stderr).toBe(1);
    expect(html.stdout).toContain('&lt;script&gt;');
    expect(html.stdout).not.toContain('<script>');
    const md = await runCliProcess(['diff', fa, fb, '--format', 'markdown']);
    expect(md.stdout).toMatch(/banner changed: .*\\<script\\>.*\\\|/);
    const table = await runCliProcess(['diff', fa, fb]);
    expect(table.stdout).not.toContain('\x1b');
    expect(table.stdout).toMatch(/banner changed/);
    const same = await runCliProcess(['diff', fa, fa, '--fail-on-change', 'starttls-lost,cert-changed,mx-changed']);
    expect(same.code).toBe(1);
    expect(same.stdout).toMatch(/primary: probe failed \(connection-refused\): inconclusive/);
    expect(same.stdout).toMatch(/2 probe\(s\) failed in .*: inconclusive for those cells/);
    const fired = await runCliProcess(['diff', fa, fb, '--fail-on-change', 'new-refusal']);
    expect(fired.code).toBe(3);
    const bad = await runCliProcess(['diff', fa, fb, '--fail-on-change', 'everything']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown rule "everything"/);
    // `--fail-on-change "$RULES"` with RULES empty: a usage error, not a diff that can never fire.
    const empty = await runCliProcess(['diff', fa, fb, '--fail-on-change', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--fail-on-change: no rule given/);
  });

  it('prune --keep removes runs older than the window', async () => {
    const keep = await runCliProcess(['store', 'prune', '--keep', '36500d', '--store', db]);
    expect(keep.stdout).toMatch(/pruned 0 run/);
    const all = await runCliProcess(['store', 'prune', '--keep', '1h', '--store', db]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/pruned 2 run/);
    const bad = await runCliProcess(['store', 'prune', '--keep', 'forever', '--store', db]);
    expect(bad.code).toBe(2);
    // A window of zero kept nothing: every run deleted, exit 0. Now refused before the store is touched.
    for (const zero of ['0d', '0h', '000w']) {
      const z = await runCliProcess(['store', 'prune', '--keep', zero, '--store', db]);
      expect(z.code, z.stderr).toBe(2);
      expect(z.stderr).toMatch(/keeps nothing/);
    }
    for (const nonsense of ['-1d', '90x', '']) expect((await runCliProcess(['store', 'prune', '--keep', nonsense, '--store', db])).code).toBe(2);
    // A cut-off before the first date a Date holds was an internal RangeError with a stack trace.
    const huge = await runCliProcess(['store', 'prune', '--keep', '99999999999d', '--store', db]);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/^mxprobe: --keep: "99999999999d" is longer than 10000 years/);
    expect(huge.stderr).not.toMatch(/internal error|RangeError/);
  }, 90_000);
});

describe('MXPROBE_STORE_BUSY_MS', () => {
  it('unset or empty means the 15 s default, not 0 (two writers on one SQLite file must wait, not fail)', async () => {
    const { busyMs } = await import('../../src/store/open.js');
    expect(busyMs({})).toBe(15_000);
    expect(busyMs({ MXPROBE_STORE_BUSY_MS: '' })).toBe(15_000);
    expect(busyMs({ MXPROBE_STORE_BUSY_MS: ' ' })).toBe(15_000);
    expect(busyMs({ MXPROBE_STORE_BUSY_MS: 'soon' })).toBe(15_000);
    expect(busyMs({ MXPROBE_STORE_BUSY_MS: '300' })).toBe(300);
    expect(busyMs({ MXPROBE_STORE_BUSY_MS: '0' })).toBe(0);
  });
});

describe('store readers on a missing or empty store; broken and cut JSON documents', () => {
  it('diff, history, store runs and store prune on a missing SQLite file: "does not exist", exit 2, no file created', async () => {
    const missing = join(dir, 'missing.db');
    for (const args of [['diff'], ['diff', '1', '2'], ['history', 'example.com'], ['store', 'runs'], ['store', 'runs', '--json'], ['store', 'prune', '--keep', '1d']]) {
      const r = await runCliProcess([...args, '--store', missing]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/store .*missing\.db does not exist/);
      expect(r.stderr).not.toMatch(/cannot write/);
      expect(existsSync(missing)).toBe(false);
      expect(existsSync(`${missing}-wal`)).toBe(false);
    }
  });

  it('store runs on an empty store: "no runs stored" on stderr, nothing on stdout, exit 0 (table and --json)', async () => {
    const empty = join(dir, 'empty.db');
    // An empty store, made as probe --store makes one (prune no longer creates a store).
    await (await openStore(empty, { cwd: dir, env: {} })).close();
    for (const extra of [[], ['--json']]) {
      const r = await runCliProcess(['store', 'runs', '--store', empty, ...extra]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/no runs stored in .*empty\.db/);
    }
  });

  it('a JSON document with a string left open is a syntax error at file:line (exit 2); one cut mid-string is interrupted (exit 1)', async () => {
    const text = readFileSync(join(FIX, 'sample-run.json'), 'utf8');
    const at = text.indexOf('"legacy.example.net"') + '"legacy.example.net'.length;
    const line = text.slice(0, at).split('\n').length;
    const broken = join(dir, 'open-string.json');
    writeFileSync(broken, text.slice(0, at) + text.slice(at + 1));
    const db = join(dir, 'json-rule.db');
    const r = await runCliProcess(['store', 'import', broken, '--store', db]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`open-string.json:${line}: a string is not closed`);
    const cut = join(dir, 'cut-string.json');
    writeFileSync(cut, text.slice(0, at));
    const c = await runCliProcess(['store', 'import', cut, '--store', db]);
    expect(c.code, c.stderr).toBe(1);
    expect(c.stdout).toMatch(/cut-string\.json: imported as run \d+ .*truncated file/);
  });
});

describe('probe --store: the writer thread and the in-thread writer store what -o wrote', () => {
  // ndjson: the thread gets the very lines -o got; json: the hook makes the lines for the thread alone.
  for (const worker of ['1', '0'])
    for (const format of ['ndjson', 'json']) {
      it(`MXPROBE_STORE_WORKER=${worker}, --format ${format}: every stored probe and host record is the one of the output, byte for byte`, async () => {
        const db = join(dir, `same-${worker}-${format}.db`);
        const out = join(dir, `same-${worker}.${format}`);
        const args = probeArgs(db, out).map((a) => (a === 'json' ? format : a));
        const r = await runCliProcess([...args, '--identities', 'primary,literal'], { env: { MXPROBE_STORE_WORKER: worker } });
        expect(r.code, r.stderr).toBe(0);
        const text = readFileSync(out, 'utf8');
        const hosts: Array<Record<string, unknown> & { probes: unknown[] }> =
          format === 'ndjson'
            ? text
                .split('\n')
                .filter((l) => l.startsWith('{"type":"host"'))
                .map((l) => {
                  const { type: _t, target: _g, ...h } = JSON.parse(l) as Record<string, unknown> & { probes: unknown[] };
                  return h as Record<string, unknown> & { probes: unknown[] };
                })
            : (JSON.parse(text) as { targets: Array<{ hosts: Array<Record<string, unknown> & { probes: unknown[] }> }> }).targets.flatMap((t) => t.hosts);
        const fromOutput = hosts.flatMap((h) => h.probes.map((p) => JSON.stringify(p)));
        const s = new Database(db, { readonly: true });
        try {
          const stored = (s.prepare('SELECT record FROM probes ORDER BY id').all() as Array<{ record: string }>).map((x) => x.record);
          expect(fromOutput.length).toBe(2);
          expect(stored).toEqual(fromOutput);
          const hostRecords = (s.prepare('SELECT record FROM hosts ORDER BY id').all() as Array<{ record: string }>).map((x) => JSON.parse(x.record) as Record<string, unknown>);
          expect(hostRecords.map(({ target: _t, ...h }) => h)).toEqual(hosts.map(({ probes: _p, ...h }) => h));
          expect(s.prepare('SELECT state, host_count AS hosts, probe_count AS probes, target_count AS targets FROM runs').all()).toEqual([{ state: 'complete', hosts: 1, probes: 2, targets: 1 }]);
          expect(s.prepare('SELECT count(*) AS n FROM targets').get()).toEqual({ n: 1 });
        } finally {
          s.close();
        }
      });
    }
});
