/**
 * `mxprobe diff A` (one run given) compares A with the newest FINISHED run. It took the newest run
 * whatever its state: a run whose writer was killed (or is still writing) has only some of its
 * hosts, so every other host was reported as "disappeared" and its target "removed", exit 0 with
 * "no rule violated", a wrong all-clear built on a run that never finished.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-diff-running-'));
const db = join(dir, 'runs.db');
const FIX = join(import.meta.dirname, '..', 'fixtures', 'results');

beforeAll(async () => {
  const r = await runCliProcess(['store', 'import', join(FIX, 'sample-run.json'), join(FIX, 'sample-run.json'), '--store', db]);
  expect(r.code, r.stderr).toBe(0);
  // Run 3: what `probe --store` leaves when it is killed before its first batch committed.
  const d = new Database(db);
  d.prepare("INSERT INTO runs (id, started_at, tool_version, options, state) VALUES (3, ?, '0.1.0', '{}', 'running')").run(new Date().toISOString());
  d.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('diff A with a newer run that never finished', () => {
  it('compares with the newest finished run and says which run it left out', async () => {
    const r = await runCliProcess(['diff', '1', '--store', db, '--fail-on-change', 'mx-changed']);
    expect(r.stdout).toMatch(/mxprobe diff: run 1 → run 2/);
    expect(r.stdout).not.toMatch(/disappeared|target removed/);
    expect(r.stderr).toMatch(/warning: left out run 3: not finished .*comparing with run 2, the newest finished run/);
    // The sample's two failed probes make any diff of it inconclusive (exit 1), never a clean 0.
    expect(r.code, r.stderr).toBe(1);
  });

  it('with no run given, the last two finished runs are compared and the unfinished one is named', async () => {
    const r = await runCliProcess(['diff', '--store', db]);
    expect(r.stdout).toMatch(/mxprobe diff: run 1 → run 2/);
    expect(r.stderr).toMatch(/warning: left out run 3: not finished/);
  });

  it('the unfinished run can still be named explicitly (warned)', async () => {
    const r = await runCliProcess(['diff', '1', '3', '--store', db]);
    expect(r.stdout).toMatch(/run 1 → run 3/);
    expect(r.stderr).toMatch(/run 3 has not finished/);
  });
});

/**
 * A stored run that SIGINT cut short is `interrupted` and holds only part of its targets. `diff` of
 * its results FILE says so ("the run was interrupted before all targets finished"); the same run
 * read from the store was compared without a word, as a default `diff` of a cron store picks it.
 */
describe('diff with an interrupted stored run, or of a run with itself', () => {
  const db2 = join(dir, 'interrupted.db');
  beforeAll(async () => {
    const r = await runCliProcess(['store', 'import', join(FIX, 'sample-run.json'), join(FIX, 'sample-run.json'), '--store', db2]);
    expect(r.code, r.stderr).toBe(0);
    const d = new Database(db2);
    d.prepare("UPDATE runs SET state = 'interrupted' WHERE id = 2").run();
    d.close();
  });

  it('the default pair, A alone and both ids: the interrupted run is named as partial', async () => {
    for (const args of [['diff'], ['diff', '1'], ['diff', '1', '2'], ['diff', '2', '1']]) {
      const r = await runCliProcess([...args, '--store', db2]);
      expect(r.stdout).toMatch(/mxprobe diff: run [12] → run [12]/);
      expect(r.stderr, args.join(' ')).toMatch(/warning: run 2 was interrupted before all targets finished: its results are partial/);
    }
  });

  it('a run compared with itself is warned about', async () => {
    const r = await runCliProcess(['diff', '1', '1', '--store', db2]);
    expect(r.stderr).toMatch(/warning: A and B are the same run \(1\): nothing can differ/);
  });

  it('control: two complete runs get neither warning', async () => {
    const r = await runCliProcess(['diff', '1', '2', '--store', db]);
    expect(r.stderr).not.toMatch(/interrupted|same run/);
  });
});
