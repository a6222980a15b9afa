import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactRedisUrl } from '../../src/fleet/url.js';
import { UsageError } from '../../src/errors.js';

describe('Redis URLs', () => {
  it('reads host, port, db, user, password and TLS', () => {
    expect(parseRedisUrl('rediss://u:p%40ss@[::1]:6380/3')).toEqual({ tls: true, host: '::1', port: 6380, username: 'u', password: 'p@ss', db: 3 });
    expect(parseRedisUrl('redis://127.0.0.1')).toMatchObject({ tls: false, port: 6379, db: 0, password: null });
  });
  it('refuses what is not a redis URL, with a usage error', () => {
    for (const u of ['localhost:6379', 'http://x', 'redis://x/abc', 'redis://x/-1', 'redis://']) expect(() => parseRedisUrl(u)).toThrow(UsageError);
  });
  it('never shows the password', () => {
    expect(redactRedisUrl('redis://:secret@h:1/0')).not.toContain('secret');
    expect(() => parseRedisUrl('redis://:secret@/0')).toThrow(/^(?!.*secret)/);
  });
});
