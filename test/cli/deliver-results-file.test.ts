/**
 * `deliver --results` was read with readFileSync: /dev/zero or a huge file grew the process
 * without bound before anything was sent. It is now read like the other option files
 * (src/io/small-file.ts): refused as binary on a NUL byte, refused above 64 MiB, exit 2, nothing sent.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerDeliver } from '../../src/cli/deliver.js';
import { startSmtp, type SmtpFixture } from '../deliver/smtp-fixture.js';
import { runSub } from '../deliver/cli-harness.js';

let dir: string;
const open: SmtpFixture[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mxprobe-deliver-results-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

async function deliverWith(results: string): Promise<{ r: Awaited<ReturnType<typeof runSub>>; s: SmtpFixture }> {
  const s = await startSmtp();
  open.push(s);
  const r = await runSub(registerDeliver, ['deliver', '--to', 'seed@example.test', '--helo', 'h.example.test', '--via', `127.0.0.1:${s.port}`, '--results', results], { cwd: dir });
  return { r, s };
}

describe('deliver --results is read with a cap', () => {
  it('/dev/zero: refused as binary at once, exit 2, nothing sent', async () => {
    if (!existsSync('/dev/zero')) return;
    const t0 = Date.now();
    const { r, s } = await deliverWith('/dev/zero');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mxprobe deliver: --results: \/dev\/zero is a binary file \(NUL byte\)/);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(s.connections).toHaveLength(0);
  });

  it('a file with a NUL byte is refused as binary, not reported as a JSON error', async () => {
    writeFileSync(join(dir, 'nul.ndjson'), Buffer.concat([Buffer.from('{"type":"run"}\n'), Buffer.from([0, 1, 2])]));
    const { r, s } = await deliverWith('nul.ndjson');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--results: .*nul\.ndjson is a binary file/);
    expect(s.connections).toHaveLength(0);
  });

  it('a file above 64 MiB is refused naming the cap, nothing sent', async () => {
    // Whitespace only: it used to be read whole and taken as "no results", and the message went out.
    writeFileSync(join(dir, 'huge.ndjson'), Buffer.alloc(64 * 1024 * 1024 + 1, 0x20));
    const { r, s } = await deliverWith('huge.ndjson');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--results: .*huge\.ndjson is larger than 64 MiB: give a results file of only the hosts deliver sends to/);
    expect(s.connections).toHaveLength(0);
  });

  it('a missing file: exit 2 naming it (control: the ordinary error path still works)', async () => {
    const { r } = await deliverWith('nope.ndjson');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--results: cannot read .*nope\.ndjson: ENOENT/);
  });
});
