import { describe, expect, it } from 'vitest';
import { encodeCommand, parseRedisUrl, parseReply, redactRedisUrl, RedisReplyError } from '../../src/fleet/resp.js';
import { UsageError } from '../../src/errors.js';

describe('RESP2 codec', () => {
  it('encodes commands as arrays of bulk strings (binary-safe)', () => {
    expect(encodeCommand('SET', ['k', 'v\r\n', 5]).toString()).toBe('*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n$1\r\n5\r\n');
    expect(encodeCommand('X', [Buffer.from([0, 255])]).subarray(-4)).toEqual(Buffer.from([0, 255, 13, 10]));
  });
  it('parses every reply type, and waits for incomplete input', () => {
    const buf = Buffer.from('+OK\r\n-ERR no\r\n:42\r\n$4\r\nhé!\r\n$-1\r\n*2\r\n:1\r\n*1\r\n$1\r\nx\r\n');
    const out: unknown[] = [];
    let at = 0;
    for (let r = parseReply(buf, at); r; r = parseReply(buf, at)) {
      out.push(r[0]);
      at = r[1];
    }
    expect(out[0]).toBe('OK');
    expect(out[1]).toBeInstanceOf(RedisReplyError);
    expect(out.slice(2)).toEqual([42, 'hé!', null, [1, ['x']]]);
    expect(parseReply(Buffer.from('$5\r\nab'), 0)).toBeNull();
    expect(parseReply(Buffer.from('*2\r\n:1\r\n'), 0)).toBeNull();
  });
});

describe('Redis URLs', () => {
  it('reads host, port, db, user, password and TLS', () => {
    expect(parseRedisUrl('rediss://u:p%40ss@[::1]:6380/3')).toEqual({ tls: true, host: '::1', port: 6380, username: 'u', password: 'p@ss', db: 3 });
    expect(parseRedisUrl('redis://127.0.0.1')).toMatchObject({ tls: false, port: 6379, db: 0, password: null });
  });
  it('refuses what is not a redis URL, with a usage error', () => {
    for (const u of ['localhost:6379', 'http://x', 'redis://x/abc', 'redis://']) expect(() => parseRedisUrl(u)).toThrow(UsageError);
  });
  it('never shows the password', () => {
    expect(redactRedisUrl('redis://:secret@h:1/0')).not.toContain('secret');
  });
});
