/**
 * `--queue-ca` was read with readFileSync: `--queue-ca /dev/zero` grew the process without bound
 * in one synchronous call. It is now read like `--ca-file` (src/io/small-file.ts): at most 1 MiB,
 * never binary (node:tls takes PEM here), a UsageError naming the option.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisSpec } from '../../src/fleet/redis.js';
import { UsageError } from '../../src/errors.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mxprobe-queue-ca-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const url = 'rediss://127.0.0.1:6390';

describe('--queue-ca is read with a cap', () => {
  it('/dev/zero is refused as binary at once', () => {
    if (!existsSync('/dev/zero')) return;
    expect(() => redisSpec(url, '/dev/zero')).toThrow(UsageError);
    expect(() => redisSpec(url, '/dev/zero')).toThrow(/^--queue-ca: \/dev\/zero is a binary file \(NUL byte\)/);
  });

  it('a DER (binary) file is refused: node:tls wants PEM here', () => {
    const f = join(dir, 'ca.der');
    writeFileSync(f, Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x00, 0x01]));
    expect(() => redisSpec(url, f)).toThrow(/--queue-ca: .*ca\.der is a binary file/);
  });

  it('a file above 1 MiB is refused naming the cap', () => {
    const f = join(dir, 'big.pem');
    writeFileSync(f, '-----BEGIN CERTIFICATE-----\n'.repeat(40_000));
    expect(() => redisSpec(url, f)).toThrow(/--queue-ca: .*big\.pem is larger than 1 MiB: not a PEM CA file/);
  });

  it('a PEM file is passed to TLS as its text; a missing one is a UsageError', () => {
    const f = join(dir, 'ca.pem');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(f, pem);
    expect(redisSpec(url, f)).toEqual({ url, tls: { ca: pem } });
    expect(() => redisSpec(url, join(dir, 'none.pem'))).toThrow(/--queue-ca: cannot read .*none\.pem: ENOENT/);
  });
});
