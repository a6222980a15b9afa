/**
 * B11: inspect streams and caps its input. Garbage is refused (not "message 1 of 1"); 300k
 * Received: lines are read to a bounded header (100 hops parsed, the rest counted); JSON
 * `selected` is 1-based like the table; "with ESMTPS" alone means TLS (RFC 3848).
 */
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { selectMessage, splitLines } from '../../src/analysis/inspect/select.js';
import { parseReceived } from '../../src/analysis/inspect/received.js';
import type { InspectResult } from '../../src/analysis/inspect.js';

async function* chunks(parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}
async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(l);
  return out;
}

describe('streaming selection (pure)', () => {
  it('splits lines across chunks and cuts an over-long line', async () => {
    expect(await collect(splitLines(chunks(['a\nb', 'c\r\n', 'x'.repeat(50), '\nlast']), 10))).toEqual(['a', 'bc\r', 'x'.repeat(10), 'last']);
  });
  it('keeps only the chosen message of an mbox, numbered from 1', async () => {
    const mbox = 'From a@b Mon Jan 1 00:00:00 2024\nSubject: one\nX-Mxprobe-Token: t1\n\nbody1\n\nFrom a@b Mon Jan 1 00:00:00 2024\nSubject: two\n\nbody2\n';
    const last = await selectMessage(splitLines(chunks([mbox])), undefined);
    expect([last.selected, last.messageCount]).toEqual([2, 2]);
    expect(last.text).toContain('Subject: two');
    const first = await selectMessage(splitLines(chunks([mbox])), 't1');
    expect(first.selected).toBe(1);
    expect(first.text).not.toContain('two');
  });
  it('refuses input that is not a message', async () => {
    await expect(selectMessage(splitLines(chunks(['\x00\x01garbage without any header\nmore\n'])), undefined)).rejects.toThrow(/not an e-mail message/);
    await expect(selectMessage(splitLines(chunks([])), undefined)).rejects.toThrow(/empty/);
  });
});

describe('ESMTPS means TLS', () => {
  it('a Received: with ESMTPS and no cipher comment records TLS', () => {
    const h = parseReceived('from a.example (a.example [192.0.2.1]) by mx.example with ESMTPS id 1; Tue, 7 Nov 2023 10:00:02 +0000');
    expect(h.tls).toMatch(/ESMTPS \(TLS/);
    expect(parseReceived('from a.example by mx.example with ESMTP id 1; Tue, 7 Nov 2023 10:00:02 +0000').tls).toBeNull();
  });
});

describe('inspect CLI limits', () => {
  it('8 MB of random bytes on stdin: exit 2, not "message 1 of 1"', async () => {
    let garbage = '';
    for (let i = 0; i < 8 * 1024; i++) garbage += String.fromCharCode(...Array.from({ length: 1024 }, (_, j) => 0x80 + ((i * 7 + j * 13) % 0x7f)));
    const r = await runCliProcess(['inspect', '-'], { input: garbage, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not an e-mail message/);
    expect(r.stdout).toBe('');
  }, 60_000);

  it('300k Received: lines: 100 parsed, the header cut at 1 MiB, JSON selected is 1-based', async () => {
    const hop = 'Received: from h.example (h.example [192.0.2.1]) by mx.example with ESMTP id x; Tue, 7 Nov 2023 10:00:02 +0000\n';
    const msg = `${hop.repeat(300_000)}Subject: loop\n\nHELO: probe.example\n`;
    const r = await runCliProcess(['inspect', '-', '--format', 'json'], { input: msg, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as InspectResult;
    expect(j.selected).toBe(1);
    expect(j.messageCount).toBe(1);
    expect(j.received).toHaveLength(100);
    expect(j.receivedOmitted).toBeGreaterThan(0);
    expect(j.headerTruncated).toBe(true);
  }, 60_000);
});
