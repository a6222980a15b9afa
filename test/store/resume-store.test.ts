/**
 * `probe --resume FILE --store …`: the stored run is the run the file now holds (the earlier cells
 * and the new ones, merged as `report` merges them), not only the cells the resumed invocation
 * added. Built CLI, real loopback receivers, a real SQLite store.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { startResponder, type ResponderHandle } from '../../src/lab/smtp-responder.js';

let a: ResponderHandle;
let b: ResponderHandle;
const dir = mkdtempSync(join(tmpdir(), 'mxprobe-resume-store-'));
beforeAll(async () => {
  const policy = (name: string) => ({ hostname: name, banner: () => ({ code: 220, lines: [`${name} ESMTP`] }) });
  a = await startResponder(policy('a.resume-store.test'), { host: '127.0.0.1' });
  b = await startResponder(policy('b.resume-store.test'), { host: '127.0.0.1' });
});
afterAll(async () => {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

interface RunJson {
  id: number;
  state: string;
  targetCount: number;
  hostCount: number;
  probeCount: number;
  targetsDigest: string;
}

async function runs(db: string): Promise<RunJson[]> {
  const r = await runCliProcess(['store', 'runs', '--store', db, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as RunJson);
}

describe('probe --resume with --store', () => {
  it('stores the whole resumed file as a new run, equal to importing that file', async () => {
    const file = join(dir, 'results.ndjson');
    const db = join(dir, 'audit.db');
    const common = ['--quiet', '--no-alignment', '--host-gap', '0', '--helo', 'probe.example.test', '--identities', 'primary,localhost', '--store', db];
    const first = await runCliProcess(['probe', `127.0.0.1:${a.port}`, '--format', 'ndjson', '-o', file, ...common]);
    expect(first.code, first.stderr).toBe(0);
    // A crash mid-write leaves a torn last line; --resume cuts it off.
    appendFileSync(file, '{"type":"host","target":{"inp');
    const second = await runCliProcess(['probe', `127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`, '--resume', file, ...common]);
    expect(second.code, second.stderr).toBe(0);
    const [latest, earlier] = await runs(db);
    expect(earlier).toMatchObject({ targetCount: 1, hostCount: 1, probeCount: 2 });
    // Both targets, all four cells: not only the target the resumed invocation probed.
    expect(latest).toMatchObject({ state: 'complete', targetCount: 2, hostCount: 2, probeCount: 4 });
    const imp = await runCliProcess(['store', 'import', file, '--store', db]);
    expect(imp.code, imp.stderr).toBe(0);
    const [imported] = await runs(db);
    expect({ ...imported, id: 0 }).toMatchObject({ ...latest, id: 0 });
    const diff = await runCliProcess(['diff', String(latest!.id), String(imported!.id), '--store', db, '--format', 'json']);
    expect(JSON.parse(diff.stdout).changes).toEqual([]);
  });
});
