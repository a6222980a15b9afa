/**
 * Peak memory of the prober while many sessions face servers that try to exhaust it.
 *
 * Procedure:
 *  1. Fork this file as the hostile server process (so its send buffers do not count against us):
 *     "endless" answers EHLO with "250-" lines forever; "longline" sends "220 " + 1 MB, no CRLF.
 *  2. In this process (importing dist/), run N sessions at once (default 200) against one server,
 *     sampling process.memoryUsage().rss every 20 ms; read VmHWM from /proc/self/status. The
 *     kernel's peak is reset between phases (echo 5 > /proc/self/clear_refs) where allowed.
 *  3. Phases: endless, longline, both mixed; then the same endless flood with the reply caps
 *     lifted (maxReplyBytes/maxLines huge, 2 s deadline) to show what the caps are worth.
 *  4. Print one table line per phase: statuses, baseline RSS, peak sampled RSS, VmHWM, per session.
 *
 * Usage: npm run build && node bench/hostile-rss.mjs [sessions]
 * Loopback only (127.0.0.1). Needs Linux for VmHWM (prints "n/a" elsewhere).
 */
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const MB = 1024 * 1024;

async function serve() {
  const endless = createServer((s) => {
    s.on('error', () => {});
    s.write('220 endless.hostile.test ESMTP\r\n');
    let greeted = false;
    s.on('data', (d) => {
      if (greeted || !/^EHLO/im.test(d.toString('latin1'))) return;
      greeted = true;
      const chunk = '250-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n'.repeat(256);
      const pump = () => {
        while (!s.destroyed && s.writable) {
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
      };
      pump();
    });
  });
  const longline = createServer((s) => {
    s.on('error', () => {});
    s.write(`220 ${'x'.repeat(MB)}`);
  });
  await new Promise((r) => endless.listen({ host: '127.0.0.1', port: 0, backlog: 2048 }, r));
  await new Promise((r) => longline.listen({ host: '127.0.0.1', port: 0, backlog: 2048 }, r));
  process.send({ endless: endless.address().port, longline: longline.address().port });
  process.on('disconnect', () => process.exit(0));
}

function vmHwm() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function resetHwm() {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

const fmt = (b) => (b === null ? 'n/a' : `${(b / MB).toFixed(1)} MB`);

async function main() {
  const sessions = Number(process.argv[2] ?? 200);
  const { runSession } = await import('../dist/net/session-driver.js');
  const child = fork(fileURLToPath(import.meta.url), ['--server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ports = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (c) => reject(new Error(`server process exited with ${c}`)));
  });
  const config = { helo: 'probe.example.org', stopAfter: 'starttls', starttls: true, implicitTls: false, mailFrom: 'postmaster@example.org', rcpt: 'postmaster@example.net' };

  const phase = async (name, portFor, extra = {}) => {
    globalThis.gc?.();
    const hwmReset = resetHwm();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      const r = process.memoryUsage().rss;
      if (r > peak) peak = r;
    }, 20);
    const t0 = performance.now();
    const runs = await Promise.all(
      Array.from({ length: sessions }, (_, i) =>
        runSession(config, { ip: '127.0.0.1', port: portFor(i), servername: null, source: null, timeoutMs: 5000, deadlineMs: 10000, ...extra }),
      ),
    );
    const ms = performance.now() - t0;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const hwm = vmHwm();
    const statuses = {};
    for (const r of runs) {
      const k = `${r.status}${r.error ? `/${r.error.code}` : ''}`;
      statuses[k] = (statuses[k] ?? 0) + 1;
    }
    const row = {
      phase: name,
      sessions,
      ms: Math.round(ms),
      statuses,
      baselineRss: fmt(baseline),
      peakRss: fmt(peak),
      vmHwm: hwmReset ? fmt(hwm) : `${fmt(hwm)} (not reset: process lifetime)`,
      perSession: `${((peak - baseline) / sessions / 1024).toFixed(1)} KB`,
    };
    console.log(JSON.stringify(row));
    return row;
  };

  console.log(`node ${process.version}, ${sessions} concurrent sessions per phase, rss sampled every 20 ms`);
  await phase('endless-multiline', () => ports.endless);
  await phase('1MB-line', () => ports.longline);
  await phase('mixed', (i) => (i % 2 ? ports.endless : ports.longline));
  await phase('endless-multiline, caps lifted (2 s deadline)', () => ports.endless, {
    replyLimits: { maxReplyBytes: Number.MAX_SAFE_INTEGER, maxLines: Number.MAX_SAFE_INTEGER },
    deadlineMs: 2000,
    transcript: false,
  });
  child.disconnect();
  child.kill();
}

// Dispatch last: main() uses the helpers above (const bindings must be initialised first).
if (process.argv[2] === '--server') await serve();
else await main();
