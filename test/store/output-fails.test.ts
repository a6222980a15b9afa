/**
 * `probe --store -o FILE` when FILE cannot be written: the output is lost (exit 5, the file named),
 * but the store is never left with a run that looks like a process is still writing it.
 * - an -o that cannot be opened (no such directory) is refused before the store opens a run;
 * - an -o whose writes fail (/dev/full: ENOSPC) ends the run, and the store run is finished with
 *   what it holds, in the prober's thread and through the writer thread alike.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResponder } from '../../src/lab/smtp-responder.js';
import { runCliProcess } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-outfail-'));
let rcv: Awaited<ReturnType<typeof startResponder>>;
beforeAll(async () => {
  rcv = await startResponder({ hostname: 'mx.outfail.test', banner: () => ({ code: 220, lines: ['mx.outfail.test ESMTP'] }) }, { host: '127.0.0.1' });
});
afterAll(async () => {
  await rcv.close();
  rmSync(dir, { recursive: true, force: true });
});

const args = (out: string, db: string) => ['probe', `${rcv.host}:${rcv.port}`, '--helo', 'probe.example.test', '--stop-after', 'ehlo', '--no-starttls', '--host-gap', '0', '--no-alignment', '--format', 'ndjson', '-o', out, '--store', db];

describe('probe --store with an -o that fails', () => {
  for (const worker of ['0', '1']) {
    it(`MXPROBE_STORE_WORKER=${worker}: an -o in a missing directory is exit 5 before the store opens a run`, async () => {
      const db = join(dir, `missing-${worker}.db`);
      const before = rcv.connections();
      const r = await runCliProcess(args(join(dir, 'no-such-dir', 'out.ndjson'), db), { env: { MXPROBE_STORE_WORKER: worker } });
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/cannot write results to .*no-such-dir\/out\.ndjson: no such file or directory \(ENOENT\)/);
      // Nothing probed, no store created (a new store file would have been made by the open).
      expect(rcv.connections()).toBe(before);
      expect(existsSync(db)).toBe(false);
    });

    it(`MXPROBE_STORE_WORKER=${worker}: -o /dev/full is exit 5, and the store run is finished with the host, not left running`, async () => {
      const db = join(dir, `full-${worker}.db`);
      const r = await runCliProcess(args('/dev/full', db), { env: { MXPROBE_STORE_WORKER: worker } });
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/cannot write results to \/dev\/full: no space left on device \(ENOSPC\)/);
      const s = new Database(db, { readonly: true });
      try {
        const runs = s.prepare('SELECT state, host_count AS hosts FROM runs').all() as Array<{ state: string; hosts: number }>;
        expect(runs).toHaveLength(1);
        expect(runs[0]!.state).not.toBe('running');
        expect(s.prepare('SELECT count(*) AS n FROM hosts').get()).toEqual({ n: 1 });
        expect(runs[0]!.hosts).toBe(1);
      } finally {
        s.close();
      }
    });
  }
});
