/**
 * The store writer thread's input (store/line-feed.ts): NDJSON lines in chunks, read back in order,
 * whatever the characters and wherever a chunk ends; a line longer than a chunk travels alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ndjsonHost, ndjsonTarget } from '../../src/report/json.js';
import { chunkLines, LineChunker, parseLine, type LineChunk } from '../../src/store/line-feed.js';
import { StoreError } from '../../src/store/types.js';
import { SAMPLE } from './fixture.js';

function roundTrip(lines: string[], size: number): { back: string[]; chunks: LineChunk[] } {
  const c = new LineChunker(size);
  const chunks: LineChunk[] = [];
  for (const l of lines) chunks.push(...c.add(l));
  const last = c.take();
  if (last) chunks.push(last);
  const back: string[] = [];
  for (const ch of chunks) {
    back.push(...chunkLines(ch.buf, ch.len));
    // The thread gives each chunk back; a reused one is filled from its start again.
    c.reuse(ch.buf);
  }
  return { back, chunks };
}

describe('LineChunker and chunkLines', () => {
  it('any JSON lines come back as they went, in order, at any chunk size (two-, three- and four-byte characters, lone surrogates)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 200 }), { maxLength: 60 }), fc.integer({ min: 16, max: 2048 }), (values, size) => {
        // JSON.stringify of any string: no raw LF, lone surrogates escaped (what ndjsonHost writes).
        const lines = values.map((v) => `${JSON.stringify({ v })}\n`);
        const { back } = roundTrip(lines, size);
        expect(back).toEqual(lines.map((l) => l.slice(0, -1)));
      }),
      { numRuns: 300 },
    );
  });

  it('a line longer than a chunk goes alone, after what was pending; chunks never exceed their size otherwise', () => {
    const long = `${JSON.stringify({ v: 'x'.repeat(500) })}\n`;
    const { back, chunks } = roundTrip(['{"a":1}\n', long, '{"b":"é"}\n', '{"c":3}\n'], 256);
    expect(back).toEqual(['{"a":1}', long.slice(0, -1), '{"b":"é"}', '{"c":3}']);
    expect(chunks.map((c) => c.len)).toEqual([8, long.length, 11 + 8]);
    expect(chunks[0]!.buf.length).toBe(256);
  });

  it('bytes past `len` in a reused chunk are never read as lines', () => {
    const c = new LineChunker(64);
    const first = c.add('{"a":"aaaaaaaaaa"}\n').concat(c.take() ?? []);
    expect(first).toHaveLength(1);
    c.reuse(first[0]!.buf);
    c.add('{"b":2}\n');
    const second = c.take()!;
    expect(second.buf).toBe(first[0]!.buf);
    expect([...chunkLines(second.buf, second.len)]).toEqual(['{"b":2}']);
    expect(c.take()).toBeNull();
  });

  it('a chunk has its own ArrayBuffer, so it can be moved to the thread', () => {
    const c = new LineChunker(1024);
    c.add('{"a":1}\n');
    const ch = c.take()!;
    expect(ch.buf.byteOffset).toBe(0);
    expect(ch.buf.buffer.byteLength).toBe(1024);
  });
});

describe('parseLine', () => {
  it('a host line gives the host with its own keys in their order, and its target identity', () => {
    const t = SAMPLE.targets[0]!;
    const h = t.hosts[0]!;
    const info = { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx };
    const fed = parseLine(ndjsonHost(h, info).slice(0, -1));
    if (fed.kind !== 'host') throw new Error(`expected a host, got ${fed.kind}`);
    expect(Object.keys(fed.host)).toEqual(Object.keys(h));
    expect(JSON.stringify(fed.host)).toBe(JSON.stringify(h));
    expect(fed.target).toEqual(info);
  });

  it('a target line gives the target without its hosts', () => {
    const t = SAMPLE.targets[0]!;
    const fed = parseLine(ndjsonTarget(t).slice(0, -1));
    if (fed.kind !== 'target') throw new Error(`expected a target, got ${fed.kind}`);
    const { hosts: _hosts, ...rest } = t;
    expect(JSON.stringify(fed.target)).toBe(JSON.stringify(rest));
  });

  it('any other line is a StoreError (E_STORE_WRITE), never stored as something else', () => {
    for (const line of ['{"type":"summary","summary":{}}', '{"a":1}']) {
      expect(() => parseLine(line)).toThrow(StoreError);
      try {
        parseLine(line);
      } catch (e) {
        expect((e as StoreError).code).toBe('E_STORE_WRITE');
      }
    }
    expect(() => parseLine('{"type":"host"')).toThrow(SyntaxError);
  });
});
