import { describe, expect, it } from 'vitest';
import { CommandUnsafeError } from '../../src/errors.js';
import {
  assertSafeArgument,
  displayCommand,
  ehloCommand,
  formatCommand,
  heloCommand,
  mailFromCommand,
  PROBE_VERBS,
  rcptToCommand,
  type Verb,
} from '../../src/smtp/command.js';

describe('formatCommand: well-formed commands', () => {
  const cases: Array<[string, string]> = [
    [ehloCommand('mx.example.org'), 'EHLO mx.example.org\r\n'],
    [heloCommand('[192.0.2.7]'), 'HELO [192.0.2.7]\r\n'],
    [ehloCommand('[IPv6:2001:db8::1]'), 'EHLO [IPv6:2001:db8::1]\r\n'],
    [ehloCommand(''), 'EHLO\r\n'],
    [formatCommand('STARTTLS'), 'STARTTLS\r\n'],
    [formatCommand('RSET'), 'RSET\r\n'],
    [formatCommand('QUIT'), 'QUIT\r\n'],
    [formatCommand('NOOP'), 'NOOP\r\n'],
    [formatCommand('NOOP', 'ping'), 'NOOP ping\r\n'],
    [mailFromCommand('probe@example.org'), 'MAIL FROM:<probe@example.org>\r\n'],
    [mailFromCommand(''), 'MAIL FROM:<>\r\n'],
    [mailFromCommand('<>'), 'MAIL FROM:<>\r\n'],
    [mailFromCommand('a@b.example', ['SIZE=1000', 'BODY=8BITMIME']), 'MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME\r\n'],
    [mailFromCommand('', ['SMTPUTF8']), 'MAIL FROM:<> SMTPUTF8\r\n'],
    [rcptToCommand('postmaster@example.org'), 'RCPT TO:<postmaster@example.org>\r\n'],
    [rcptToCommand('Postmaster'), 'RCPT TO:<Postmaster>\r\n'],
    [ehloCommand('bücher.example'), 'EHLO bücher.example\r\n'],
  ];
  for (const [got, expected] of cases) {
    it(JSON.stringify(expected), () => {
      expect(got).toBe(expected);
    });
  }
});

describe('command guard: CR, LF and NUL never reach the wire', () => {
  const injections = ['\r', '\n', '\0', '\r\n', '\r\nDATA', '\r\nDATA\r\n', 'x\r\nRCPT TO:<victim@example.org>', '\n.\n', 'a\0b', '\r\n.\r\nMAIL FROM:<spoof@example.org>'];
  const builders: Array<[string, (v: string) => string]> = [
    ['EHLO', (v) => ehloCommand(`mx.example${v}`)],
    ['HELO', (v) => heloCommand(`${v}mx.example`)],
    ['NOOP', (v) => formatCommand('NOOP', v)],
    ['MAIL address', (v) => mailFromCommand(`a${v}@example.org`)],
    ['MAIL param', (v) => mailFromCommand('a@example.org', [`SIZE=1${v}`])],
    ['RCPT address', (v) => rcptToCommand(`b@example.org${v}`)],
    ['MAIL verb arg', (v) => formatCommand('MAIL', `FROM:<a@b>${v}`)],
  ];
  for (const [field, build] of builders) {
    for (const inj of injections) {
      it(`${field} with ${JSON.stringify(inj)} throws CommandUnsafeError`, () => {
        expect(() => build(inj)).toThrow(CommandUnsafeError);
      });
    }
  }

  it('assertSafeArgument names the field and the character', () => {
    expect(() => assertSafeArgument('mx\r\nDATA', '--helo')).toThrow(/--helo contains CR at position 2/);
    expect(() => assertSafeArgument('mx\nDATA', '--helo')).toThrow(/--helo contains LF/);
    expect(() => assertSafeArgument('mx\0', '--mail-from')).toThrow(/--mail-from contains NUL/);
    expect(() => assertSafeArgument('mx.example.org', '--helo')).not.toThrow();
  });

  it('the error has the stable code E_COMMAND_UNSAFE', () => {
    try {
      ehloCommand('a\r\nb');
      expect.unreachable();
    } catch (err) {
      expect((err as CommandUnsafeError).code).toBe('E_COMMAND_UNSAFE');
    }
  });

  it('non-string arguments from JS callers are refused', () => {
    expect(() => assertSafeArgument(42 as unknown as string, '--helo')).toThrow(CommandUnsafeError);
    expect(() => ehloCommand({ toString: () => 'x\r\nDATA' } as unknown as string)).toThrow(CommandUnsafeError);
  });
});

describe('command guard: verbs', () => {
  it('PROBE_VERBS is exactly the probe set and frozen', () => {
    expect([...PROBE_VERBS].sort()).toEqual(['EHLO', 'HELO', 'MAIL', 'NOOP', 'QUIT', 'RCPT', 'RSET', 'STARTTLS']);
    expect(Object.isFrozen(PROBE_VERBS)).toBe(true);
  });

  const forbidden = ['DATA', 'BDAT', 'AUTH', 'VRFY', 'EXPN', 'ETRN', 'TURN', 'ehlo', 'Ehlo', 'EHLO ', 'EHLO\r\nDATA', '', 'X-ANYTHING'];
  for (const verb of forbidden) {
    it(`refuses verb ${JSON.stringify(verb)}`, () => {
      expect(() => formatCommand(verb as Verb, 'x')).toThrow(CommandUnsafeError);
      expect(() => formatCommand(verb as Verb)).toThrow(CommandUnsafeError);
    });
  }

  it('refuses a non-string verb', () => {
    expect(() => formatCommand(undefined as unknown as Verb)).toThrow(CommandUnsafeError);
  });

  for (const verb of ['STARTTLS', 'RSET', 'QUIT'] as const) {
    it(`${verb} takes no argument`, () => {
      expect(() => formatCommand(verb, 'extra')).toThrow(CommandUnsafeError);
    });
  }
});

describe('command guard: addresses and parameters', () => {
  const badAddresses = ['<a@b>', 'a@b> SIZE=1', 'a<b@c', 'a@b>'];
  for (const a of badAddresses) {
    it(`MAIL FROM refuses ${JSON.stringify(a)}`, () => {
      expect(() => mailFromCommand(a)).toThrow(CommandUnsafeError);
    });
    it(`RCPT TO refuses ${JSON.stringify(a)}`, () => {
      expect(() => rcptToCommand(a)).toThrow(CommandUnsafeError);
    });
  }

  it('RCPT TO refuses the null path', () => {
    expect(() => rcptToCommand('')).toThrow(CommandUnsafeError);
    expect(() => rcptToCommand('<>')).toThrow(CommandUnsafeError);
  });

  it('MAIL FROM refuses empty or multi-word parameters', () => {
    expect(() => mailFromCommand('a@b', [''])).toThrow(CommandUnsafeError);
    expect(() => mailFromCommand('a@b', ['SIZE=1 BODY=8BITMIME'])).toThrow(CommandUnsafeError);
  });
});

describe('command guard: RFC 5321 §4.5.3.1.4 line length', () => {
  it('512 octets including CRLF is allowed, 513 is not', () => {
    // "EHLO " (5) + name + CRLF (2) = 512 -> name of 505.
    const ok = ehloCommand('a'.repeat(505));
    expect(Buffer.byteLength(ok)).toBe(512);
    expect(() => ehloCommand('a'.repeat(506))).toThrow(CommandUnsafeError);
  });

  it('counts octets, not characters', () => {
    // 'ü' is 2 octets in UTF-8: 253 of them plus "EHLO " and CRLF = 513 octets in 260 characters.
    expect(() => ehloCommand('ü'.repeat(253))).toThrow(/513 octets/);
    expect(Buffer.byteLength(ehloCommand('ü'.repeat(252)))).toBe(511);
  });
});

describe('displayCommand', () => {
  const cases: Array<[string, string]> = [
    ['EHLO mx.example\r\n', 'EHLO mx.example'],
    ['QUIT\n', 'QUIT'],
    ['NOOP', 'NOOP'],
    ['EHLO a\r\nDATA\r\n', 'EHLO a<CR><LF>DATA'],
    ['HELO a\0b\r\n', 'HELO a<NUL>b'],
    ['EHLO x\r\r\n', 'EHLO x<CR>'],
  ];
  for (const [line, shown] of cases) {
    it(`${JSON.stringify(line)} -> ${JSON.stringify(shown)}`, () => {
      expect(displayCommand(line)).toBe(shown);
    });
  }

  it('round-trips every formatted command to a single line without CRLF', () => {
    expect(displayCommand(mailFromCommand('a@b.example', ['SIZE=5']))).toBe('MAIL FROM:<a@b.example> SIZE=5');
  });
});
