/** loadCompleted: which cells an earlier NDJSON results file already holds (for --resume). */
import { mkdtemp, readFile, rm, writeFile, appendFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCompleted, resumeKey } from '../../src/probe/resume.js';
import { UsageError } from '../../src/errors.js';
import { ndjsonHost, ndjsonRun, ndjsonSummary, ndjsonTarget } from '../../src/report/json.js';
import type { HostResult, Identity, ProbeResult, ProbeStatus, Summary } from '../../src/results.js';
import type { TargetInfo } from '../../src/probe/run.js';

const fixtures = new URL('../fixtures/results/', import.meta.url);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxprobe-resume-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function probe(identity: Identity, status: ProbeStatus, extra: Partial<ProbeResult> = {}): ProbeResult {
  return {
    identity,
    status,
    verdict: { outcome: 'unknown', stage: null, code: null, enhanced: null, text: null, cause: 'unknown' },
    reached: null,
    local: null,
    banner: null,
    greeting: null,
    capabilities: { plain: null, tls: null },
    tls: null,
    mail: null,
    rcpt: null,
    observedClientIp: null,
    timings: { connect: null, banner: null, ehlo: null, helo: null, tls: null, ehloTls: null, mail: null, rcpt: null, total: 0 },
    transcript: [],
    ...extra,
  };
}
function host(ip: string, probes: ProbeResult[]): HostResult {
  return { exchange: `mx.${ip}`, ip, port: 25, family: ip.includes(':') ? 6 : 4, probes };
}
const info = (input: string): TargetInfo => ({ input, origin: `t.txt:1`, kind: 'domain', domain: input, mx: [] });
const meta = { tool: { name: 'mxprobe' as const, version: '0.1.0' }, startedAt: '2026-01-01T00:00:00.000Z', options: { helo: 'probe.example.org' } };
const emptySummary = { targets: 0 } as unknown as Summary;
const primary: Identity = { kind: 'primary', name: 'probe.example.org', source: null };

async function file(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

describe('loadCompleted on the sample results', () => {
  it('knows every cell of a finished run, and every target record', async () => {
    const set = await loadCompleted(new URL('sample-run.ndjson', fixtures).pathname);
    expect(set.exists).toBe(true);
    expect(set.size).toBe(9);
    expect(set.has('example.com', '192.0.2.10', 'primary', 'probe.example.org', null)).toBe(true);
    expect(set.has('example.com', '198.51.100.20', 'localhost', 'localhost', null)).toBe(true);
    // Same identity, other host or other target: not done.
    expect(set.has('example.com', '198.51.100.21', 'primary', 'probe.example.org', null)).toBe(false);
    expect(set.has('example.net', '192.0.2.10', 'primary', 'probe.example.org', null)).toBe(false);
    // Other name, kind or source: not done.
    expect(set.has('example.com', '192.0.2.10', 'primary', 'other.example.org', null)).toBe(false);
    expect(set.has('example.com', '192.0.2.10', 'custom', 'probe.example.org', null)).toBe(false);
    expect(set.has('example.com', '192.0.2.10', 'primary', 'probe.example.org', '192.0.2.7')).toBe(false);
    // A DNS failure has no host record, but its target record says it is done.
    expect(set.hasTarget('broken.example')).toBe(true);
    expect(set.targets).toBe(4);
    expect(set.finished).toBe(true);
    expect(set.interrupted).toBe(false);
    expect(set.truncatedTail).toBe(false);
    expect(set.runOptions?.['helo']).toBe('probe.example.org');
    expect(set.validBytes).toBe((await stat(new URL('sample-run.ndjson', fixtures))).size);
  });

  it('ignores a torn last line (killed mid-write) and says where the valid part ends', async () => {
    const path = new URL('interrupted-run.ndjson', fixtures).pathname;
    const text = await readFile(path);
    const set = await loadCompleted(path);
    expect(set.truncatedTail).toBe(true);
    expect(set.finished).toBe(false);
    expect(set.size).toBe(6);
    expect(set.hasTarget('example.com')).toBe(true);
    expect(set.hasTarget('legacy.example.net')).toBe(false);
    expect(set.has('legacy.example.net', '203.0.113.25', 'primary', 'probe.example.org', null)).toBe(false);
    // validBytes is right after the last LF: cutting there leaves only whole lines.
    expect(text[set.validBytes - 1]).toBe(0x0a);
    expect(text.indexOf(0x0a, set.validBytes)).toBe(-1);
  });
});

describe('loadCompleted: what counts as complete', () => {
  it('cells made by the interruption itself are not complete; a 421 back-off is', async () => {
    const a: Identity = { kind: 'localhost', name: 'localhost', source: null };
    const b: Identity = { kind: 'short', name: 'probe', source: null };
    const c: Identity = { kind: 'bare-ip', name: '192.0.2.7', source: '192.0.2.7' };
    const text =
      ndjsonRun(meta) +
      ndjsonHost(
        host('192.0.2.10', [
          probe(primary, 'success'),
          probe(a, 'connection-closed', { error: { code: 'E_INTERRUPTED', message: 'interrupted by signal' } }),
          probe(b, 'not-tried', { notTried: { reason: 'run interrupted' } }),
          probe(c, 'not-tried', { notTried: { reason: 'host answered 421 at connect; backing off' } }),
        ]),
        info('example.com'),
      ) +
      ndjsonSummary('2026-01-01T00:01:00.000Z', emptySummary, true);
    const set = await loadCompleted(await file('interrupted.ndjson', text));
    expect(set.has('example.com', '192.0.2.10', 'primary', 'probe.example.org', null)).toBe(true);
    expect(set.has('example.com', '192.0.2.10', 'localhost', 'localhost', null)).toBe(false);
    expect(set.has('example.com', '192.0.2.10', 'short', 'probe', null)).toBe(false);
    expect(set.has('example.com', '192.0.2.10', 'bare-ip', '192.0.2.7', '192.0.2.7')).toBe(true);
    expect(set.size).toBe(2);
    expect(set.interrupted).toBe(true);
    expect(set.finished).toBe(true);
    expect(set.hasTarget('example.com')).toBe(false);
  });

  it('IPv6 addresses compare case-insensitively', async () => {
    const text = ndjsonRun(meta) + ndjsonHost(host('2001:db8::a', [probe(primary, 'success')]), info('v6.example'));
    const set = await loadCompleted(await file('v6.ndjson', text));
    expect(set.has('v6.example', '2001:DB8::A', 'primary', 'probe.example.org', null)).toBe(true);
  });

  it('a valid last record without its LF is kept, and the caller is told to add the newline', async () => {
    const text = ndjsonRun(meta) + ndjsonHost(host('192.0.2.10', [probe(primary, 'success')]), info('a.example')).trimEnd();
    const path = await file('nolf.ndjson', text);
    const set = await loadCompleted(path);
    expect(set.size).toBe(1);
    expect(set.truncatedTail).toBe(false);
    expect(set.needsNewline).toBe(true);
    expect(set.validBytes).toBe(Buffer.byteLength(text));
  });

  it('CRLF line ends and blank lines are accepted', async () => {
    const text = (ndjsonRun(meta) + '\n' + ndjsonTarget({ input: 'a.example', origin: 'x:1', kind: 'domain', domain: 'a.example', port: 25, dns: { status: 'nxdomain' }, mx: [], hosts: [] })).replace(/\n/g, '\r\n');
    const set = await loadCompleted(await file('crlf.ndjson', text));
    expect(set.hasTarget('a.example')).toBe(true);
  });

  it('streams a large file: 20,000 host records with 4 cells each', async () => {
    const path = join(dir, 'big.ndjson');
    await writeFile(path, ndjsonRun(meta));
    const ids: Identity[] = ['primary', 'literal', 'short', 'localhost'].map((k) => ({ kind: k as Identity['kind'], name: `${k}.example`, source: null }));
    for (let batch = 0; batch < 20; batch++) {
      let chunk = '';
      for (let i = 0; i < 1000; i++) {
        const n = batch * 1000 + i;
        chunk += ndjsonHost(host(`127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, ids.map((id) => probe(id, 'success'))), info(`t${n}.example`));
      }
      await appendFile(path, chunk);
    }
    const set = await loadCompleted(path);
    expect(set.size).toBe(80_000);
    expect(set.has('t19999.example', '127.0.78.31', 'localhost', 'localhost.example', null)).toBe(true);
    expect(set.has('t19999.example', '127.0.78.31', 'dynamic', 'localhost.example', null)).toBe(false);
  });
});

describe('loadCompleted: bad input', () => {
  it('a missing file is an empty set (first run with --resume)', async () => {
    const set = await loadCompleted(join(dir, 'does-not-exist.ndjson'));
    expect(set.exists).toBe(false);
    expect(set.size).toBe(0);
    expect(set.has('a', '192.0.2.1', 'primary', 'x', null)).toBe(false);
  });

  it('garbage before the last line is a usage error naming file:line', async () => {
    const path = await file('garbage.ndjson', `${ndjsonRun(meta)}{"type":"host",oops\n${ndjsonSummary('x', emptySummary, false)}`);
    const err = await loadCompleted(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain(`${path}:2: not valid JSON`);
  });

  it('a record of another schema version or unknown type is refused', async () => {
    const v2 = await file('v2.ndjson', `${ndjsonRun(meta).replace('"schemaVersion":1', '"schemaVersion":2')}`);
    await expect(loadCompleted(v2)).rejects.toThrow(/:1: schemaVersion 2 is not 1/);
    const odd = await file('odd.ndjson', `${ndjsonRun(meta)}{"type":"banana"}\n`);
    await expect(loadCompleted(odd)).rejects.toThrow(/:2: unknown record type "banana"/);
    const noIdentity = await file('noid.ndjson', `${ndjsonRun(meta)}{"type":"host","target":{"input":"a"},"ip":"192.0.2.1","probes":[{"status":"success"}]}\n`);
    await expect(loadCompleted(noIdentity)).rejects.toThrow(/:2: probe without identity/);
  });

  it('a directory is a usage error, not a crash', async () => {
    await expect(loadCompleted(dir)).rejects.toBeInstanceOf(UsageError);
  });

  it('resumeKey keeps parts apart (no ambiguity from concatenation)', () => {
    expect(resumeKey('ab', '192.0.2.1', 'primary', 'x', null)).not.toBe(resumeKey('a', 'b192.0.2.1', 'primary', 'x', null));
    expect(resumeKey('a', '192.0.2.1', 'primary', 'x', null)).not.toBe(resumeKey('a', '192.0.2.1', 'primary', 'x', '192.0.2.1'));
  });
});

describe('loadCompleted: generated identity names', () => {
  it('hasIdentity matches an nxdomain cell whatever random label the new run drew; other kinds match exactly', async () => {
    const nx: Identity = { kind: 'nxdomain', name: 'nx-bcdfghjkmn.example.org', source: null };
    const custom: Identity = { kind: 'custom', name: 'one.example.org', source: null };
    const text = ndjsonRun(meta) + ndjsonHost(host('192.0.2.10', [probe(nx, 'success'), probe(custom, 'success')]), info('a.example'));
    const set = await loadCompleted(await file('nx.ndjson', text));
    expect(set.size).toBe(2);
    expect(set.hasIdentity('a.example', '192.0.2.10', { ...nx, name: 'nx-zzzzzzzzzz.example.org' })).toBe(true);
    expect(set.hasIdentity('a.example', '192.0.2.10', { ...nx, source: '192.0.2.7' })).toBe(false);
    expect(set.hasIdentity('a.example', '192.0.2.11', nx)).toBe(false);
    expect(set.hasIdentity('a.example', '192.0.2.10', custom)).toBe(true);
    expect(set.hasIdentity('a.example', '192.0.2.10', { ...custom, name: 'two.example.org' })).toBe(false);
    // `has` stays exact.
    expect(set.has('a.example', '192.0.2.10', 'nxdomain', 'nx-zzzzzzzzzz.example.org', null)).toBe(false);
    expect(set.has('a.example', '192.0.2.10', 'nxdomain', nx.name, null)).toBe(true);
  });
});
