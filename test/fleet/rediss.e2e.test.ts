/**
 * rediss:// works end to end: a real redis-server with TLS only (its own self-signed certificate),
 * a worker and the coordinator trusting it through --queue-ca; without the CA the certificate is
 * refused with a usage error before anything is enqueued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import { runCliProcess } from '../helpers/cli.js';
import { makeCert, redisMissing, startReceiver, startRedis, startWorkerProc, type Receiver, type RedisHandle, type WorkerProc } from './harness.js';

const missing = redisMissing() ?? (spawnSync('openssl', ['version']).status === 0 ? null : 'openssl is not installed');
const CI = process.env['CI'] === 'true';
if (missing && CI) throw new Error(`rediss e2e under CI=true: ${missing}`);

describe.skipIf(missing !== null && !CI)('fleet over rediss:// (real redis-server with TLS)', () => {
  let dir: string;
  let redis: RedisHandle;
  let dns: DnsServerHandle;
  let rx: Receiver;
  let worker: WorkerProc | undefined;
  let ca: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mxprobe-rediss-'));
    const tls = makeCert(dir);
    ca = tls.cert;
    redis = await startRedis({ tls });
    dns = await startDnsServer(withPtr(zone({ 'good.example.test': { A: ['127.0.0.10'] } }), '127.0.0.10', 'good.example.test'));
    rx = await startReceiver('127.0.0.33');
  }, 60_000);

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await rx?.close();
    await dns?.close();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses an untrusted certificate before anything is written', async () => {
    expect(redis.url.startsWith('rediss://')).toBe(true);
    const r = await runCliProcess(['probe', '--queue', redis.url, '-o', join(dir, 'x.ndjson'), '127.0.0.1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--queue: cannot use Redis at rediss:.*(self.signed|certificate)/i);
  });

  it('a worker and the coordinator work over TLS with --queue-ca', async () => {
    worker = await startWorkerProc(['--queue', redis.url, '--queue-ca', ca, '--vantage', 'tls1', '--helo', 'good.example.test', '--source', '127.0.0.10', '--resolver', dns.address, '--heartbeat', '500']);
    const out = join(dir, 'tls.ndjson');
    const r = await runCliProcess(['probe', '--queue', redis.url, '--queue-ca', ca, '--vantages', 'tls1', '--format', 'ndjson', '-o', out, '--quiet', '--wait', '60', '--stop-after', 'ehlo', `${rx.host}:${rx.port}`], { timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    const host = (await readFile(out, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; probes?: Array<{ vantage?: string; status: string }> }).find((x) => x.type === 'host');
    expect(host?.probes?.[0]).toMatchObject({ vantage: 'tls1', status: 'success' });
    expect(rx.connections.map((c) => c.remote)).toEqual(['127.0.0.10']);
  }, 120_000);
});
