import { describe, expect, it } from 'vitest';
import type { Capabilities, SmtpReply } from '../../src/results.js';
import { KNOWN_EXTENSIONS, observedClientIp, parseCapabilities } from '../../src/smtp/capabilities.js';
import { ReplyParser } from '../../src/smtp/reply.js';

/** Build the reply the way the session does: wire bytes through the reply parser. */
function wire(...lines: string[]): SmtpReply {
  const replies = new ReplyParser().push(lines.map((l) => `${l}\r\n`).join(''));
  expect(replies).toHaveLength(1);
  return replies[0]!;
}

function caps(partial: Partial<Capabilities>): Capabilities {
  return {
    name: null,
    greeting: '',
    keywords: {},
    size: null,
    auth: [],
    starttls: false,
    pipelining: false,
    eightBitMime: false,
    smtpUtf8: false,
    chunking: false,
    dsn: false,
    enhancedStatusCodes: false,
    requireTls: false,
    ...partial,
  };
}

describe('parseCapabilities: real-world EHLO replies', () => {
  it('Postfix', () => {
    const r = wire('250-mx.example.org', '250-PIPELINING', '250-SIZE 10240000', '250-VRFY', '250-ETRN', '250-STARTTLS',
      '250-ENHANCEDSTATUSCODES', '250-8BITMIME', '250-DSN', '250-SMTPUTF8', '250 CHUNKING');
    expect(parseCapabilities(r)).toEqual(caps({
      name: 'mx.example.org',
      greeting: '',
      keywords: {
        PIPELINING: '', SIZE: '10240000', VRFY: '', ETRN: '', STARTTLS: '', ENHANCEDSTATUSCODES: '', '8BITMIME': '',
        DSN: '', SMTPUTF8: '', CHUNKING: '',
      },
      size: 10240000,
      starttls: true,
      pipelining: true,
      eightBitMime: true,
      smtpUtf8: true,
      chunking: true,
      dsn: true,
      enhancedStatusCodes: true,
    }));
    expect(observedClientIp(r)).toBeNull();
  });

  it('Exim', () => {
    const r = wire('250-mx.example.net Hello client.example.com [192.0.2.7]', '250-SIZE 52428800', '250-8BITMIME',
      '250-PIPELINING', '250-PIPECONNECT', '250-CHUNKING', '250-STARTTLS', '250-PRDR', '250 HELP');
    expect(parseCapabilities(r)).toEqual(caps({
      name: 'mx.example.net',
      greeting: 'Hello client.example.com [192.0.2.7]',
      keywords: { SIZE: '52428800', '8BITMIME': '', PIPELINING: '', PIPECONNECT: '', CHUNKING: '', STARTTLS: '', PRDR: '', HELP: '' },
      size: 52428800,
      starttls: true,
      pipelining: true,
      eightBitMime: true,
      chunking: true,
    }));
    expect(observedClientIp(r)).toBe('192.0.2.7');
  });

  it('Gmail', () => {
    const r = wire('250-mx.google.com at your service, [192.0.2.7]', '250-SIZE 157286400', '250-8BITMIME', '250-STARTTLS',
      '250-ENHANCEDSTATUSCODES', '250-PIPELINING', '250-CHUNKING', '250 SMTPUTF8');
    const c = parseCapabilities(r);
    expect(c.name).toBe('mx.google.com');
    expect(c.greeting).toBe('at your service, [192.0.2.7]');
    expect(c.size).toBe(157286400);
    expect(c.auth).toEqual([]);
    expect([c.starttls, c.pipelining, c.eightBitMime, c.smtpUtf8, c.chunking, c.enhancedStatusCodes]).toEqual([true, true, true, true, true, true]);
    expect([c.dsn, c.requireTls]).toEqual([false, false]);
    expect(Object.keys(c.keywords)).toEqual(['SIZE', '8BITMIME', 'STARTTLS', 'ENHANCEDSTATUSCODES', 'PIPELINING', 'CHUNKING', 'SMTPUTF8']);
    expect(observedClientIp(r)).toBe('192.0.2.7');
  });

  it('Microsoft Outlook.com (Exchange Online Protection)', () => {
    const r = wire('250-BN8NAM12FT003.mail.protection.outlook.com Hello [192.0.2.7]', '250-SIZE 157286400', '250-PIPELINING',
      '250-DSN', '250-ENHANCEDSTATUSCODES', '250-STARTTLS', '250-8BITMIME', '250-BINARYMIME', '250-CHUNKING', '250 SMTPUTF8');
    const c = parseCapabilities(r);
    expect(c.name).toBe('BN8NAM12FT003.mail.protection.outlook.com');
    expect(c.greeting).toBe('Hello [192.0.2.7]');
    expect(c.keywords.BINARYMIME).toBe('');
    expect(c.dsn).toBe(true);
    expect(c.size).toBe(157286400);
    expect(observedClientIp(r)).toBe('192.0.2.7');
  });

  it('Sendmail (SIZE without a limit, AUTH, IPv6 client)', () => {
    const r = wire('250-mail.example.com Hello client.example.com [IPv6:2001:DB8:0:0::7], pleased to meet you',
      '250-ENHANCEDSTATUSCODES', '250-PIPELINING', '250-8BITMIME', '250-SIZE', '250-DSN', '250-ETRN',
      '250-AUTH DIGEST-MD5 CRAM-MD5', '250-DELIVERBY', '250 HELP');
    const c = parseCapabilities(r);
    expect(c.name).toBe('mail.example.com');
    expect(c.keywords.SIZE).toBe('');
    expect(c.size).toBeNull();
    expect(c.auth).toEqual(['DIGEST-MD5', 'CRAM-MD5']);
    expect(c.keywords.AUTH).toBe('DIGEST-MD5 CRAM-MD5');
    expect(c.starttls).toBe(false);
    expect(observedClientIp(r)).toBe('2001:db8::7');
  });

  it('Exchange on-premises with the legacy AUTH= line', () => {
    const r = wire('250-mail.contoso.example Hello [198.51.100.9]', '250-SIZE 37748736', '250-PIPELINING', '250-DSN',
      '250-ENHANCEDSTATUSCODES', '250-STARTTLS', '250-X-ANONYMOUSTLS', '250-AUTH NTLM LOGIN', '250-AUTH=LOGIN',
      '250-X-EXPS GSSAPI NTLM', '250-8BITMIME', '250-BINARYMIME', '250-CHUNKING', '250 XRDST');
    const c = parseCapabilities(r);
    expect(c.auth).toEqual(['NTLM', 'LOGIN']);
    expect(c.keywords['AUTH=LOGIN']).toBe('');
    expect(c.keywords['X-EXPS']).toBe('GSSAPI NTLM');
    expect(observedClientIp(r)).toBe('198.51.100.9');
  });

  it('Postfix submission with broken_sasl_auth_clients: "AUTH=PLAIN LOGIN" merges with AUTH', () => {
    const r = wire('250-smtp.example.org', '250-AUTH PLAIN LOGIN', '250-AUTH=PLAIN LOGIN', '250 REQUIRETLS');
    const c = parseCapabilities(r);
    expect(c.auth).toEqual(['PLAIN', 'LOGIN']);
    expect(c.keywords['AUTH=PLAIN']).toBe('LOGIN');
    expect(c.requireTls).toBe(true);
  });

  it('legacy AUTH= alone still yields the mechanisms', () => {
    expect(parseCapabilities(wire('250-x', '250 AUTH=login cram-md5')).auth).toEqual(['LOGIN', 'CRAM-MD5']);
  });
});

describe('parseCapabilities: odd content is kept, never thrown on', () => {
  it('keywords are upper-cased, params verbatim, first occurrence wins', () => {
    const c = parseCapabilities(wire('250-mx', '250-size 1000', '250-SIZE 2000', '250-x-Custom  two  spaces ', '250 starttls'));
    expect(c.keywords).toEqual({ SIZE: '1000', 'X-CUSTOM': ' two  spaces ', STARTTLS: '' });
    expect(c.size).toBe(1000);
    expect(c.starttls).toBe(true);
  });

  it('AUTH mechanisms are de-duplicated case-insensitively', () => {
    expect(parseCapabilities(wire('250-mx', '250 AUTH plain PLAIN Login   login')).auth).toEqual(['PLAIN', 'LOGIN']);
  });

  const sizes: Array<[string, number | null]> = [
    ['SIZE 0', null],
    ['SIZE', null],
    ['SIZE abc', null],
    ['SIZE -5', null],
    ['SIZE 1e6', null],
    ['SIZE 99999999999999999999', null],
    ['SIZE 35882577', 35882577],
  ];
  for (const [line, expected] of sizes) {
    it(`${line} -> size ${String(expected)} with SIZE still listed`, () => {
      const c = parseCapabilities(wire('250-mx', `250 ${line}`));
      expect(c.size).toBe(expected);
      expect(Object.hasOwn(c.keywords, 'SIZE')).toBe(true);
    });
  }

  it('single-line reply: name and greeting only', () => {
    expect(parseCapabilities(wire('250 mx.example.org greets you'))).toEqual(caps({ name: 'mx.example.org', greeting: 'greets you' }));
  });

  it('empty first line: no name', () => {
    const c = parseCapabilities(wire('250-', '250 PIPELINING'));
    expect(c.name).toBeNull();
    expect(c.pipelining).toBe(true);
  });

  it('blank keyword lines are skipped', () => {
    expect(parseCapabilities(wire('250-mx', '250-', '250 DSN')).keywords).toEqual({ DSN: '' });
  });

  it('a non-2xx reply yields no keywords, its text kept as greeting', () => {
    const c = parseCapabilities(wire('502-5.5.2 Error: command not recognized', '502 5.5.2 STARTTLS'));
    expect(c).toEqual(caps({ greeting: '5.5.2 Error: command not recognized' }));
  });

  it('keyword names like __proto__ do not pollute', () => {
    const c = parseCapabilities(wire('250-mx', '250-__proto__ x', '250 constructor'));
    expect(c.keywords.__PROTO__).toBe('x');
    expect(Object.getPrototypeOf(c.keywords)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('observedClientIp', () => {
  const cases: Array<[string, string | null]> = [
    ['250-mx Hello host [192.0.2.7]', '192.0.2.7'],
    ['250 mx.example Hello [203.0.113.250], pleased to meet you', '203.0.113.250'],
    ['250-mx Hello host [IPv6:2001:db8::1]', '2001:db8::1'],
    ['250-mx Hello host [2001:db8::1]', '2001:db8::1'],
    ['250-mx Hello [IPV6:2001:0DB8:0000:0000:0000:0000:0000:0001]', '2001:db8::1'],
    ['250-mx Hello [2001:db8:0:1:0:0:0:1]', '2001:db8:0:1::1'],
    ['250-mx Hello [::ffff:192.0.2.9]', '192.0.2.9'],
    ['250-mx Hello [::1]', '::1'],
    ['250-mx Hello host [unknown] [192.0.2.8]', '192.0.2.8'],
    ['250-mx Hello [256.1.1.1]', null],
    ['250-mx Hello [01.2.3.4]', null],
    ['250-mx Hello [1.2.3]', null],
    ['250-mx Hello [2001:db8::1::2]', null],
    ['250-mx Hello [12345::1]', null],
    ['250-mx Hello 192.0.2.7', null],
    ['250-mx.example.org', null],
  ];
  for (const [line, expected] of cases) {
    it(`${line} -> ${String(expected)}`, () => {
      expect(observedClientIp(wire(line.replace(/^250-/, '250 ')))).toBe(expected);
    });
  }

  it('only the first line counts', () => {
    expect(observedClientIp(wire('250-mx.example', '250 X-NOTE [192.0.2.7]'))).toBeNull();
  });

  it('works on a HELO reply too', () => {
    expect(observedClientIp(wire('250 mx.example.net Hello bad.example [198.51.100.20]'))).toBe('198.51.100.20');
  });
});

describe('KNOWN_EXTENSIONS', () => {
  it('names the defining RFC of the typed keywords', () => {
    expect(KNOWN_EXTENSIONS).toMatchObject({
      SIZE: 'RFC 1870', AUTH: 'RFC 4954', STARTTLS: 'RFC 3207', PIPELINING: 'RFC 2920', '8BITMIME': 'RFC 6152',
      SMTPUTF8: 'RFC 6531', CHUNKING: 'RFC 3030', DSN: 'RFC 3461', ENHANCEDSTATUSCODES: 'RFC 2034', REQUIRETLS: 'RFC 8689',
    });
    for (const k of Object.keys(KNOWN_EXTENSIONS)) expect(k).toBe(k.toUpperCase());
  });
});
