/**
 * The resume set read from what the real CLI writes: an NDJSON file (-o) of a run interrupted by
 * SIGINT, and one killed with SIGKILL. Cells finished before the signal count as complete; the
 * cells the interruption cut or never started do not. `--resume` itself is not wired into the CLI
 * yet; this proves the loader against real output.
 */
import { mkdtemp, readFile, rm, truncate } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, smtpScript, startCli, startHostile, waitFor, type HostileServer } from '../helpers/hostile.js';
import { startDnsServer, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import { loadCompleted } from '../../src/probe/resume.js';
import type { NdjsonRecord } from '../../src/results.js';

let dns: DnsServerHandle;
let fast: HostileServer;
let tarpit: HostileServer;
let dir: string;

beforeAll(async () => {
  if (!cliBuilt()) throw new Error('dist/ is missing: run `npm run build` first');
  dns = await startDnsServer(zone({}, { servfail: ['broken.example'] }), { host: '127.0.0.1', port: 0 });
  fast = await startHostile(smtpScript({}), '127.0.0.51');
  tarpit = await startHostile(smtpScript({ reply: () => null }), '127.0.0.52');
  dir = await mkdtemp(join(tmpdir(), 'mxprobe-resume-cli-'));
});
afterAll(async () => {
  await Promise.all([dns.close(), fast.close(), tarpit.close()]);
  await rm(dir, { recursive: true, force: true });
});

const FAST = () => `${fast.host}:${fast.port}`;
const TARPIT = () => `${tarpit.host}:${tarpit.port}`;

function start(out: string) {
  return startCli(
    [
      'probe', '--resolver', dns.address, '--helo', 'probe.example.org', '--no-alignment', '-q',
      '--identities', 'primary,localhost', '--stop-after', 'ehlo', '--host-gap', '0',
      '--timeout', '30000', '--deadline', '60000', '--format', 'ndjson', '-o', out,
      'broken.example', FAST(), TARPIT(),
    ],
    { timeoutMs: 30_000 },
  );
}

/** Wait until the fast host's line and the servfail target line are in the file, and the tarpit holds a session. */
async function untilHalfDone(out: string): Promise<void> {
  const tarpitBefore = tarpit.commands.filter((c) => c.some((l) => l.startsWith('EHLO'))).length;
  await waitFor(() => {
    let text = '';
    try {
      text = readFileSync(out, 'utf8');
    } catch {
      return false;
    }
    return text.includes(`"ip":"${fast.host}"`) && text.includes('"input":"broken.example"') &&
      tarpit.commands.filter((c) => c.some((l) => l.startsWith('EHLO'))).length > tarpitBefore;
  }, 10_000, 'the fast host line and a stuck tarpit session');
}

describe('loadCompleted on real CLI output', () => {
  it('after SIGINT: finished cells are complete; interrupted and never-started cells are not', async () => {
    const out = join(dir, 'sigint.ndjson');
    const cli = start(out);
    await untilHalfDone(out);
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);

    const set = await loadCompleted(out);
    expect(set.finished).toBe(true);
    expect(set.interrupted).toBe(true);
    expect(set.truncatedTail).toBe(false);
    expect(set.needsNewline).toBe(false);
    expect(set.has(FAST(), fast.host, 'primary', 'probe.example.org', null)).toBe(true);
    expect(set.has(FAST(), fast.host, 'localhost', 'localhost', null)).toBe(true);
    expect(set.has(TARPIT(), tarpit.host, 'primary', 'probe.example.org', null)).toBe(false);
    expect(set.has(TARPIT(), tarpit.host, 'localhost', 'localhost', null)).toBe(false);
    expect(set.hasTarget('broken.example')).toBe(true);
    expect(set.hasTarget(FAST())).toBe(true);
    expect(set.size).toBe(2);
    expect(set.runOptions?.['identities']).toEqual(['primary', 'localhost']);

    // Cross-check against the records themselves: the tarpit cells are really there, as cut/not-tried.
    const recs = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as NdjsonRecord);
    const tarpitHost = recs.find((x) => x.type === 'host' && x.ip === tarpit.host);
    const statuses = tarpitHost && tarpitHost.type === 'host' ? tarpitHost.probes.map((p) => [p.status, p.error?.code ?? p.notTried?.reason]) : [];
    expect(statuses).toEqual([['connection-closed', 'E_INTERRUPTED'], ['not-tried', 'run interrupted']]);
  });

  it('after SIGKILL (no summary), and with a torn last line, the finished hosts still count', async () => {
    const out = join(dir, 'sigkill.ndjson');
    const cli = start(out);
    await untilHalfDone(out);
    cli.child.kill('SIGKILL');
    await cli.done;
    const whole = await loadCompleted(out);
    expect(whole.finished).toBe(false);
    expect(whole.has(FAST(), fast.host, 'primary', 'probe.example.org', null)).toBe(true);
    expect(whole.has(TARPIT(), tarpit.host, 'primary', 'probe.example.org', null)).toBe(false);

    // Simulate the kill landing mid-write: cut the last line in half.
    const text = await readFile(out);
    const lastStart = text.lastIndexOf(0x0a, text.length - 2) + 1;
    const last = JSON.parse(text.subarray(lastStart).toString('utf8')) as NdjsonRecord;
    const lastWeight = last.type === 'host' ? last.probes.filter((p) => p.status !== 'not-tried' && p.error?.code !== 'E_INTERRUPTED').length : last.type === 'target' ? 1 : 0;
    await truncate(out, lastStart + Math.floor((text.length - lastStart) / 2));
    const torn = await loadCompleted(out);
    expect(torn.truncatedTail).toBe(true);
    expect(torn.validBytes).toBe(lastStart);
    // What the torn line held is forgotten, so a resumed run would redo it; the rest is kept.
    expect(torn.size + torn.targets).toBe(whole.size + whole.targets - lastWeight);
    expect(lastWeight).toBeGreaterThan(0);
  });
});
