import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { startResponder } from '../../src/lab/smtp-responder.js';
import { LAB_CERT, LAB_KEY } from '../../src/lab/cert.js';

describe('lab SMTP responder', () => {
  it('drops commands pipelined with STARTTLS instead of running them after the switch (RFC 3207 §5)', async () => {
    const r = await startResponder({ hostname: 'mx.lab.test', tls: { key: LAB_KEY, cert: LAB_CERT }, banner: () => ({ code: 220, lines: ['mx.lab.test ESMTP'] }) });
    try {
      const plain = connect(r.port, r.host);
      let text = '';
      plain.on('data', (d) => (text += d.toString('latin1')));
      await new Promise((res) => setTimeout(res, 100));
      plain.write('EHLO a.test\r\n');
      await new Promise((res) => setTimeout(res, 100));
      plain.removeAllListeners('data');
      // One write: STARTTLS plus an injected command that must not survive the switch.
      plain.write('STARTTLS\r\nEHLO injected.test\r\n');
      await new Promise((res) => setTimeout(res, 100));
      const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
      let after = '';
      secure.on('data', (d) => (after += d.toString('latin1')));
      await new Promise((res) => secure.once('secureConnect', res));
      await new Promise((res) => setTimeout(res, 150));
      expect(after).toBe('');
      secure.write('MAIL FROM:<a@a.test>\r\n');
      await new Promise((res) => setTimeout(res, 100));
      expect(after).toMatch(/^503 /);
      secure.destroy();
    } finally {
      await r.close();
    }
  });

  it('answers DATA with 554 and logs it, so a test can prove the prober never sent it', async () => {
    const r = await startResponder({ hostname: 'mx.lab.test', banner: () => ({ code: 220, lines: ['mx.lab.test ESMTP'] }) });
    try {
      const s = connect(r.port, r.host);
      let text = '';
      s.on('data', (d) => (text += d.toString('latin1')));
      s.write('EHLO a.test\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\nDATA\r\nQUIT\r\n');
      await new Promise((res) => s.once('close', res));
      expect(text).toMatch(/554 5\.5\.1 Error: this lab receiver never accepts a message/);
      expect(r.log.some((l) => l.endsWith(': DATA'))).toBe(true);
    } finally {
      await r.close();
    }
  });
});
