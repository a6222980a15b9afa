/**
 * Flag parsing helpers shared by subcommands: every bad value is a UsageError (exit 2) with the
 * flag's name in the message, raised before any connection is made.
 */
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import { assertSafeArgument } from '../smtp/command.js';
import { STOP_AFTER, type StopAfter } from '../results.js';

export function intOption(flag: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag}: "${value}" is not a whole number`);
    const n = Number(value);
    if (n < min || n > max) throw new UsageError(`${flag}: ${n} is out of range (${min}-${max})`);
    return n;
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function choice<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag}: "${value}" is not one of ${allowed.join(', ')}`);
    return value as T;
  };
}

export const stopAfterOption = choice<StopAfter>('--stop-after', STOP_AFTER);

export function ipOption(flag: string) {
  return (value: string, previous: string[] = []): string[] => {
    const v = value.replace(/^\[|\]$/g, '');
    if (isIP(v) === 0) throw new UsageError(`${flag}: "${value}" is not an IPv4 or IPv6 address`);
    // One spelling per address, so "::1" and "0:0:0:0:0:0:0:1" are one source, not two.
    const canonical = isIP(v) === 6 ? new URL(`http://[${v}]/`).hostname.slice(1, -1) : v;
    return previous.includes(canonical) ? previous : [...previous, canonical];
  };
}

/**
 * A --source must be an address of this machine: binding it once up front turns a typo into a
 * usage error, instead of every probe failing with EADDRNOTAVAIL blamed on the server.
 */
export async function assertLocalAddress(flag: string, ip: string): Promise<void> {
  const { createServer } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => reject(new UsageError(`${flag}: ${ip} is not usable as a local address (${err.code ?? err.message})`)));
    srv.listen({ host: ip, port: 0 }, () => srv.close(() => resolve()));
  });
}

/** CR, LF or NUL in anything that goes on the wire is refused before any connection. */
export function safeWireValue(flag: string, value: string): string {
  assertSafeArgument(value, flag);
  // Beyond the CR/LF/NUL guard: no other control character (ESC, BEL, DEL…) belongs in a host
  // name or mailbox, and echoed back by a server it could reach a terminal.
  if (/[\x00-\x1f\x7f]/.test(value)) throw new UsageError(`${flag}: control characters are not allowed (${JSON.stringify(value)})`);
  return value;
}

/** A bare address for MAIL FROM / RCPT TO: strip one pair of angle brackets, refuse the unsafe. */
export function mailbox(flag: string, value: string): string {
  safeWireValue(flag, value);
  const v = value.trim().replace(/^<(.*)>$/, '$1');
  if (/[<>\s]/.test(v)) throw new UsageError(`${flag}: "${value}" is not a mailbox (no spaces or angle brackets inside)`);
  return v;
}
