/**
 * B6: --resume skips finished (target, ip, identity, source) CELLS, not whole targets: adding an
 * identity or a --source on resume probes exactly the new cells. Built CLI, real loopback receiver.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { startResponder, type ResponderHandle } from '../../src/lab/smtp-responder.js';
import type { RunResult } from '../../src/results.js';
import { dimsCover } from '../../src/probe/resume.js';

let rx: ResponderHandle;
let dir: string;
beforeAll(async () => {
  rx = await startResponder({ hostname: 'cells.resume.test', banner: () => ({ code: 220, lines: ['cells.resume.test ESMTP'] }) }, { host: '127.0.0.1' });
  dir = mkdtempSync(join(tmpdir(), 'mxprobe-resume-cells-'));
});
afterAll(async () => {
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});

const common = () => ['probe', `127.0.0.1:${rx.port}`, '--quiet', '--no-alignment', '--host-gap', '0', '--helo', 'probe.example.test', '--stop-after', 'rcpt'];

describe('--resume by cell', () => {
  it('adding an identity probes only the new cell', async () => {
    const file = join(dir, 'ids.ndjson');
    const first = await runCliProcess([...common(), '--identities', 'primary', '--format', 'ndjson', '-o', file]);
    expect(first.code).toBe(0);
    const before = rx.connections();
    const second = await runCliProcess([...common(), '--identities', 'primary,localhost', '--resume', file]);
    expect(second.code).toBe(0);
    expect(rx.connections() - before).toBe(1); // localhost only; primary was finished
    const report = await runCliProcess(['report', file, '--format', 'json']);
    const run = JSON.parse(report.stdout) as RunResult;
    expect(run.targets).toHaveLength(1);
    expect(run.targets[0]?.hosts[0]?.probes.map((p) => p.identity.kind).sort()).toEqual(['localhost', 'primary']);

    // The same matrix again: everything is done, nothing is probed.
    const third = await runCliProcess([...common(), '--identities', 'primary,localhost', '--resume', file]);
    expect(third.code).toBe(0);
    expect(rx.connections() - before).toBe(1);
  });

  it('adding a --source probes the cells from that source', async () => {
    const file = join(dir, 'src.ndjson');
    const first = await runCliProcess([...common(), '--format', 'ndjson', '-o', file]);
    expect(first.code).toBe(0);
    const before = rx.connections();
    const second = await runCliProcess([...common(), '--source', '127.0.0.1', '--resume', file]);
    expect(second.code).toBe(0);
    expect(rx.connections() - before).toBe(1);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('"source":"127.0.0.1"');
  });

  it('dimsCover: a matrix covers another when it has every identity and source', () => {
    const d = (identities: string[], sources: Array<string | null>, customIdentities: string[] = []) => ({ identities, sources, customIdentities });
    expect(dimsCover(d(['primary', 'localhost'], [null]), d(['primary'], [null]))).toBe(true);
    expect(dimsCover(d(['primary'], [null]), d(['primary', 'localhost'], [null]))).toBe(false);
    expect(dimsCover(d(['primary'], [null]), d(['primary'], ['127.0.0.1']))).toBe(false);
    expect(dimsCover(d(['primary'], [null]), d(['primary'], [null], ['x.example']))).toBe(false);
  });
});
