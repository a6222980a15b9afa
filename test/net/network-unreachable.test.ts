/**
 * Issue 12 B7: ENETUNREACH / EHOSTUNREACH mean no route from this side; the server never saw us.
 * They used to be reported as connection-refused (46k of 47k results in one large run).
 */
import { describe, expect, it } from 'vitest';
import { runSession } from '../../src/net/session-driver.js';
import { ConnectError, type Connector } from '../../src/net/connector.js';
import type { SessionConfig } from '../../src/smtp/session.js';

const cfg: SessionConfig = { helo: 'probe.example.org', stopAfter: 'starttls', starttls: true, implicitTls: false, mailFrom: '', rcpt: 'postmaster@example.org' };

function failing(code: string): Connector {
  return {
    connect: () => Promise.reject(new ConnectError(code, `connect ${code} 192.0.2.1:25`, 'tcp')),
    upgradeTls: () => Promise.reject(new Error('unused')),
  };
}

describe('connect errors with no route', () => {
  for (const code of ['ENETUNREACH', 'EHOSTUNREACH']) {
    it(`${code} -> network-unreachable, with the errno kept`, async () => {
      const run = await runSession(cfg, { ip: '192.0.2.1', port: 25, servername: null, source: null, timeoutMs: 1000, deadlineMs: 2000, connector: failing(code) });
      expect(run.status).toBe('network-unreachable');
      expect(run.error?.code).toBe(code);
    });
  }
  it('ECONNREFUSED stays connection-refused', async () => {
    const run = await runSession(cfg, { ip: '192.0.2.1', port: 25, servername: null, source: null, timeoutMs: 1000, deadlineMs: 2000, connector: failing('ECONNREFUSED') });
    expect(run.status).toBe('connection-refused');
  });
});
