/**
 * Files given to options (`--policy`, `--ca-file`) are small by nature, but were read whole with
 * readFileSync: `probe --policy /dev/zero` grew to 16 GB of memory over ~9 minutes, synchronously,
 * so SIGTERM/SIGINT (handled by mxprobe) could not stop it either. They are now read with a cap
 * (1 MiB) and refused as binary on NUL: exit 2 at once, one line, nothing probed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli, smtpScript, startHostile, type HostileServer } from '../helpers/hostile.js';
import { readSmallTextFile } from '../../src/io/small-file.js';

let dir: string;
let server: HostileServer;
beforeAll(async () => {
  if (!cliBuilt()) throw new Error('dist/ is missing: run `npm run build` first');
  dir = await mkdtemp(join(tmpdir(), 'mxprobe-small-files-'));
  server = await startHostile(smtpScript({}));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const probe = (extra: string[]) =>
  runCli(['probe', '--helo', 'probe.example.org', '--no-alignment', '-q', '--timeout', '1000', '--deadline', '3000', `${server.host}:${server.port}`, ...extra], { timeoutMs: 20_000 });

describe('option files are read with a cap', () => {
  it('probe --policy /dev/zero: exit 2 within seconds, nothing probed', async () => {
    if (!existsSync('/dev/zero')) return;
    const before = server.connections();
    const t0 = Date.now();
    const r = await probe(['--policy', '/dev/zero']);
    expect(r.code).toBe(2);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.stderr).toMatch(/--policy.*binary/);
    expect(server.connections()).toBe(before);
  });

  it('report --policy /dev/zero: exit 2 within seconds', async () => {
    if (!existsSync('/dev/zero')) return;
    const results = join(dir, 'r.ndjson');
    const ok = await probe(['--format', 'ndjson', '-o', results]);
    expect(ok.code).toBe(0);
    const r = await runCli(['report', results, '--policy', '/dev/zero'], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/binary/);
  });

  it('a 2 MiB policy file is refused as too large, naming the cap', async () => {
    const f = join(dir, 'big.policy');
    await writeFile(f, `${'# comment\n'.repeat(210_000)}no-starttls\n`);
    const r = await probe(['--policy', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/larger than 1 MiB/);
  });

  it('probe --ca-file /dev/zero: exit 2 within seconds', async () => {
    if (!existsSync('/dev/zero')) return;
    const r = await probe(['--ca-file', '/dev/zero']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--ca-file.*binary/);
  });

  it('a normal policy file still works (control): a violated rule exits 3', async () => {
    const f = join(dir, 'ok.policy');
    await writeFile(f, '# our rules\ncert-invalid\n');
    const r = await probe(['--policy', f]);
    expect(r.code).toBe(3);
  });

  it('readSmallTextFile reads a small file whole', () => {
    expect(readSmallTextFile(join(dir, 'ok.policy'), '--policy')).toBe('# our rules\ncert-invalid\n');
  });
});
