/**
 * The benchmark farm: many simulated Postfix receivers on loopback, in its own process (forked by
 * bench/run.mjs) so its CPU is measured apart from the prober's and never shares its event loop.
 *
 * Why a lean raw `node:net` responder instead of src/lab/smtp-responder.ts: the farm must be
 * provably cheaper than the client it measures. It keeps no log, builds every reply once, and
 * schedules one timer per reply (no promise chain per command).
 *
 * Latency model: each server "flight" leaves `latencyMs` after the client's bytes arrived, i.e. one
 * round trip of L per reply (RFC 5321 §4.3 lock-step: the client waits for each reply). Pipelined
 * commands arriving together get their replies together, as on a real link (RFC 2920 §3).
 * During STARTTLS (RFC 3207) the TLS handshake flights are delayed the same way by a wire shim, so
 * a TLS 1.3 handshake costs exactly one L (RFC 8446 §2: 1-RTT), TLS 1.2 two.
 *
 * Addresses: `count` addresses starting at index `offset` of a fixed 127.64.0.0/10 layout (see
 * addressAt), all on one port; 127.0.0.0/8 is local on Linux, so nothing leaves loopback.
 *
 * IPC (process.send): parent → {type:'stats'} | {type:'set', latencyMs} | {type:'close'};
 * farm → {type:'ready', port, listeners} | {type:'stats', ...} | {type:'error', message}.
 * Config comes as JSON in argv[2]: {offset, count, port, latencyMs, tls, hostname}.
 */
import { createServer } from 'node:net';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { addressAt } from './addresses.mjs';


const config = JSON.parse(process.argv[2] ?? '{}');
const offset = config.offset ?? 0;
const count = config.count ?? 100;
let latencyMs = config.latencyMs ?? 50;
const hostname = config.hostname ?? 'mx.bench.example';

let secureContext = null;
if (config.tls) {
  const here = dirname(fileURLToPath(import.meta.url));
  const { LAB_KEY, LAB_CERT } = await import(join(here, '..', 'dist', 'lab', 'cert.js'));
  secureContext = createSecureContext({ key: LAB_KEY, cert: LAB_CERT });
}

// Replies as Postfix 3.x sends them (banner, EHLO keywords, enhanced codes; RFC 2034, RFC 3463).
const R = {
  banner: Buffer.from(`220 ${hostname} ESMTP Postfix (Debian/GNU)\r\n`),
  helo: Buffer.from(`250 ${hostname}\r\n`),
  ehloPlain: Buffer.from(
    [`250-${hostname}`, '250-PIPELINING', '250-SIZE 10240000', '250-VRFY', '250-ETRN',
      ...(config.tls ? ['250-STARTTLS'] : []),
      '250-ENHANCEDSTATUSCODES', '250-8BITMIME', '250-DSN', '250-SMTPUTF8', '250 CHUNKING', ''].join('\r\n'),
  ),
  ehloTls: Buffer.from(
    [`250-${hostname}`, '250-PIPELINING', '250-SIZE 10240000', '250-VRFY', '250-ETRN',
      '250-ENHANCEDSTATUSCODES', '250-8BITMIME', '250-DSN', '250-SMTPUTF8', '250 CHUNKING', ''].join('\r\n'),
  ),
  starttls: Buffer.from('220 2.0.0 Ready to start TLS\r\n'),
  noTls: Buffer.from('502 5.5.1 Error: command not implemented\r\n'),
  mail: Buffer.from('250 2.1.0 Ok\r\n'),
  rcpt: Buffer.from('250 2.1.5 Ok\r\n'),
  ok: Buffer.from('250 2.0.0 Ok\r\n'),
  bye: Buffer.from('221 2.0.0 Bye\r\n'),
  data: Buffer.from('554 5.5.1 Error: no valid recipients\r\n'),
  needHelo: Buffer.from('503 5.5.1 Error: send HELO/EHLO first\r\n'),
  syntax: Buffer.from('501 5.5.4 Syntax: EHLO hostname\r\n'),
  unknown: Buffer.from('502 5.5.2 Error: command not recognized\r\n'),
  tooLong: Buffer.from('500 5.5.0 Error: line too long\r\n'),
};

const stats = { connections: 0, open: 0, peakOpen: 0, commands: 0, ehlos: 0, quits: 0, tlsSessions: 0, errors: 0 };

/**
 * The TLS handshake's wire: bytes from the client pass straight through, bytes to the client leave
 * after `delay` ms (in order: equal-delay timers fire in creation order).
 */
class DelayedWire extends Duplex {
  constructor(raw, delay) {
    super();
    this.raw = raw;
    this.delay = delay;
    raw.on('data', (d) => {
      if (!this.push(d)) raw.pause();
    });
    raw.on('end', () => this.push(null));
    raw.on('close', () => this.destroy());
  }
  _read() {
    this.raw.resume();
  }
  _write(chunk, _enc, cb) {
    setTimeout(() => {
      if (!this.raw.destroyed) this.raw.write(chunk);
    }, this.delay);
    cb();
  }
  _final(cb) {
    setTimeout(() => {
      this.raw.end();
      cb();
    }, this.delay);
  }
  _destroy(err, cb) {
    this.raw.destroy();
    cb(err);
  }
}

const MAX_LINE = 4096;

function onConnection(raw) {
  stats.connections++;
  stats.open++;
  if (stats.open > stats.peakOpen) stats.peakOpen = stats.open;
  raw.setNoDelay(true);
  raw.on('error', () => {
    stats.errors++;
  });
  raw.on('close', () => {
    stats.open--;
  });

  let sock = raw;
  let secure = false;
  /** After TLS the wire shim already delays every flight. */
  let replyDelay = latencyMs;
  let greeted = false;
  let switching = false;
  let buf = '';
  let closing = false;

  const send = (bytes, then) => {
    const write = () => {
      if (sock.destroyed) return;
      sock.write(bytes);
      if (then) then();
    };
    if (replyDelay > 0) setTimeout(write, replyDelay);
    else write();
  };

  const command = (line) => {
    stats.commands++;
    const sp = line.indexOf(' ');
    const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp < 0 ? '' : line.slice(sp + 1).trim();
    switch (verb) {
      case 'EHLO':
        if (!arg) return send(R.syntax);
        stats.ehlos++;
        greeted = true;
        return send(secure ? R.ehloTls : R.ehloPlain);
      case 'HELO':
        if (!arg) return send(R.syntax);
        greeted = true;
        return send(R.helo);
      case 'STARTTLS':
        if (!secureContext || secure) return send(R.noTls);
        // RFC 3207 §4.2: nothing after STARTTLS in the same read may be acted on.
        switching = true;
        sock.removeListener('data', onData);
        return send(R.starttls, upgrade);
      case 'MAIL':
        return send(greeted ? R.mail : R.needHelo);
      case 'RCPT':
        return send(greeted ? R.rcpt : R.needHelo);
      case 'RSET':
      case 'NOOP':
        return send(R.ok);
      case 'QUIT':
        stats.quits++;
        closing = true;
        return send(R.bye, () => sock.end());
      case 'DATA':
      case 'BDAT':
        return send(R.data);
      default:
        return send(R.unknown);
    }
  };

  function onData(chunk) {
    if (closing || switching) return;
    buf += chunk.toString('latin1');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const end = i > 0 && buf.charCodeAt(i - 1) === 13 ? i - 1 : i;
      const line = buf.slice(0, end);
      buf = buf.slice(i + 1);
      command(line);
      if (closing || switching) return;
    }
    if (buf.length > MAX_LINE) {
      closing = true;
      send(R.tooLong, () => sock.end());
    }
  }

  function upgrade() {
    const wire = replyDelay > 0 ? new DelayedWire(raw, replyDelay) : raw;
    const tls = new TLSSocket(wire, { isServer: true, secureContext });
    tls.on('error', () => {
      stats.errors++;
      raw.destroy();
    });
    tls.on('secure', () => {
      stats.tlsSessions++;
    });
    tls.on('data', onData);
    sock = tls;
    secure = true;
    greeted = false;
    switching = false;
    buf = '';
    replyDelay = 0;
  }

  sock.on('data', onData);
  send(R.banner);
}

async function listenAll() {
  const servers = [];
  let port = config.port ?? 0;
  for (let i = 0; i < count; i++) {
    const host = addressAt(offset + i);
    const server = createServer({ noDelay: true }, onConnection);
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, backlog: 511 }, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    if (port === 0) port = server.address().port;
    servers.push(server);
  }
  return { servers, port };
}

let servers = [];
try {
  const r = await listenAll();
  servers = r.servers;
  process.send?.({ type: 'ready', port: r.port, listeners: servers.length, first: addressAt(offset), last: addressAt(offset + count - 1) });
} catch (err) {
  process.send?.({ type: 'error', message: String(err?.message ?? err) });
  process.exit(1);
}

process.on('message', (msg) => {
  if (msg?.type === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({ type: 'stats', id: msg.id, cpuUser: cpu.user, cpuSystem: cpu.system, rss: process.memoryUsage.rss(), ...stats });
    stats.peakOpen = stats.open;
  } else if (msg?.type === 'set') {
    if (typeof msg.latencyMs === 'number') latencyMs = msg.latencyMs;
    process.send?.({ type: 'set', id: msg.id, latencyMs });
  } else if (msg?.type === 'close') {
    for (const s of servers) s.close();
    process.exit(0);
  }
});
// The farm never outlives its parent.
process.on('disconnect', () => process.exit(0));
