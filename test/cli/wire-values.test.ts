/**
 * B8: every wire value is checked for syntax before any connection, as --helo is. Pure checks,
 * then the built CLI against a loopback listener that must see no connection at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainName, heloName, identityWord, mailboxValue } from '../../src/cli/wire-values.js';
import { runCliProcess } from '../helpers/cli.js';
import { startRawServer, type RawServer } from '../helpers/raw-server.js';

describe('wire value syntax (pure)', () => {
  it('HELO names: Domain or address literal', () => {
    expect(heloName('--helo', 'mail.example.org')).toBe('mail.example.org');
    expect(heloName('--helo', '[192.0.2.1]')).toBe('[192.0.2.1]');
    expect(heloName('--helo', 'bücher.example')).toBe('xn--bcher-kva.example');
    for (const bad of ['bad name', 'under_score.example', 'a..b', '192.0.2.1', '[300.1.1.1]', 'x.example.']) {
      expect(() => heloName('--helo', bad), bad).toThrow(/--helo/);
    }
  });
  it('--mismatch-name must be a domain', () => {
    expect(domainName('--mismatch-name', 'www.example.org')).toBe('www.example.org');
    expect(() => domainName('--mismatch-name', 'bad name')).toThrow(/--mismatch-name: "bad name" is not a domain name/);
    expect(() => domainName('--mismatch-name', '[192.0.2.1]')).toThrow(/not a domain name/);
  });
  it('--identity: one printable word (odd names are the point of a custom identity)', () => {
    expect(identityWord('--identity', 'localhost')).toBe('localhost');
    expect(identityWord('--identity', '192.0.2.1')).toBe('192.0.2.1');
    expect(() => identityWord('--identity', 'two words')).toThrow(/one word/);
  });
  it('mailboxes: RFC 5321 §4.1.2, <> only as a reverse-path, Postmaster alone for RCPT', () => {
    expect(mailboxValue('--rcpt', '<postmaster@example.org>', { nullAllowed: false })).toBe('postmaster@example.org');
    expect(mailboxValue('--rcpt', '"john doe"@example.org', { nullAllowed: false })).toBe('"john doe"@example.org');
    expect(mailboxValue('--rcpt', 'user@[192.0.2.1]', { nullAllowed: false })).toBe('user@[192.0.2.1]');
    expect(mailboxValue('--rcpt', 'Postmaster', { nullAllowed: false, postmasterAlone: true })).toBe('Postmaster');
    expect(mailboxValue('--mail-from', '<>', { nullAllowed: true })).toBe('');
    expect(() => mailboxValue('--rcpt', '<>', { nullAllowed: false })).toThrow(/null path/);
    for (const bad of ['user', '@example.org', 'user@', 'us..er@example.org', 'user@bad_domain.example', 'a(b)@example.org', 'user@192.0.2.1']) {
      expect(() => mailboxValue('--mail-from', bad, { nullAllowed: true }), bad).toThrow(/--mail-from/);
    }
  });
});

describe('bad wire values never reach a server (built CLI)', () => {
  let server: RawServer;
  beforeAll(async () => {
    server = await startRawServer((s) => s.end('220 x ESMTP\r\n'));
  });
  afterAll(async () => {
    await server.close();
  });
  const cases: Array<[string[], RegExp]> = [
    [['--identities', 'primary,mismatch', '--mismatch-name', 'bad name'], /--mismatch-name: "bad name" is not a domain name/],
    [['--rcpt', '<>'], /--rcpt: "<>" is the null path/],
    [['--rcpt', 'nobody'], /--rcpt: "nobody" is not a mailbox/],
    [['--mail-from', 'a@b@'], /--mail-from/],
    [['--helo', 'bad_name.example'], /--helo: "bad_name.example" is not a host name/],
    [['--identity', 'x y'], /--identity/],
  ];
  for (const [extra, msg] of cases) {
    it(`${extra.join(' ')} → exit 2, no connection`, async () => {
      const before = server.connections();
      const r = await runCliProcess(['probe', '-q', '--no-alignment', '--helo', 'probe.example.test', ...extra, `${server.host}:${server.port}`]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(server.connections()).toBe(before);
    });
  }
});
