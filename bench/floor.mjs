/**
 * The floor under `align-c200` (issue 13 part 3): what a bare Node client costs per session on this
 * machine, measured the same way as mxprobe (user+sys of the whole client process under
 * /usr/bin/time, spawn to exit). Per session: net.connect, read the banner, write EHLO, read the
 * reply, write QUIT, read the 221, destroy: 3 reads, 2 writes, one connect and one close, the
 * least any SMTP client at `--stop-after ehlo` does. No DNS, no parsing beyond "last line has a
 * space after the code", no results written.
 *
 *   node bench/floor.mjs            # 4000 sessions, C=200, L=50 ms, against bench/farm.mjs
 *
 * Env: FLOOR_TARGETS (4000), FLOOR_C (200), BENCH_LATENCY_MS (50). Loopback only.
 */
import { fork, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addressAt } from './addresses.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.FLOOR_TARGETS ?? 4000);
const C = Number(process.env.FLOOR_C ?? 200);

if (process.argv[2] === 'client') {
  const port = Number(process.argv[3]);
  let next = 0;
  let done = 0;
  const one = (ip) =>
    new Promise((resolve) => {
      const s = connect({ host: ip, port });
      let stage = 0;
      s.setEncoding('latin1');
      s.on('data', (d) => {
        if (!/(^|\n)\d{3} [^\n]*\r\n$/.test(d)) return;
        if (stage === 0) s.write('EHLO probe.bench.example\r\n');
        else if (stage === 1) s.write('QUIT\r\n');
        else {
          s.destroy();
          resolve();
        }
        stage++;
      });
      s.on('error', () => resolve());
    });
  const lane = async () => {
    while (next < N) {
      await one(addressAt(next++));
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: C }, lane));
  process.stderr.write(`FLOOR sessions ${done} wall ${((performance.now() - t0) / 1000).toFixed(2)}\n`);
} else {
  const farm = fork(join(here, 'farm.mjs'), [JSON.stringify({ offset: 0, count: N, port: 0, latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 50), tls: false })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    farm.on('message', (m) => (m.type === 'ready' ? resolve(m.port) : m.type === 'error' ? reject(new Error(m.message)) : null));
  });
  const child = spawn('/usr/bin/time', ['-f', 'BENCHTIME %e %U %S %M', process.execPath, fileURLToPath(import.meta.url), 'client', String(port)], { stdio: ['ignore', 'inherit', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise((r) => child.on('close', r));
  farm.send({ type: 'close' });
  const m = /BENCHTIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(err);
  const s = /FLOOR sessions (\d+)/.exec(err);
  if (!m || !s) {
    process.stderr.write(err);
    process.exit(1);
  }
  const cpu = Number(m[2]) + Number(m[3]);
  process.stdout.write(`floor: ${s[1]} bare sessions (connect, 3 reads, 2 writes, close), C=${C}: wall ${m[1]} s, CPU ${cpu.toFixed(2)} s (user ${m[2]} + sys ${m[3]}) = ${((cpu / Number(s[1])) * 1000).toFixed(3)} ms per session, peak RSS ${Math.round(Number(m[4]) / 1024)} MB\n`);
}
