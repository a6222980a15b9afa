/**
 * The streaming reader of the `-o json` document (store/json-stream.ts): whatever the chunking,
 * it yields the same fields and targets as JSON.parse of the whole text; a cut document is
 * "truncated" (with a line), a broken one is a syntax error (with a line).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonDocumentScanner, JsonStreamError, type JsonStreamEvent } from '../../src/store/json-stream.js';

function scan(text: string, sizes: number[]): JsonStreamEvent[] {
  const sc = new JsonDocumentScanner();
  const out: JsonStreamEvent[] = [];
  let i = 0;
  let k = 0;
  while (i < text.length) {
    const n = Math.max(1, sizes[k++ % sizes.length] ?? 1);
    out.push(...sc.feed(text.slice(i, i + n)));
    i += n;
  }
  sc.end();
  return out;
}

const tricky = {
  schemaVersion: 1,
  n: -1.5e3,
  t: true,
  z: null,
  note: 'a "quoted" } ] , : \\ back\\slash \u001b \u2028 é 😀 {[',
  targets: [{ input: 'x', hosts: [{ s: '}]"', a: [1, [2, {}], []] }] }, {}, [], 'str"]', 7, null],
  summary: { k: [] },
};

describe('JsonDocumentScanner', () => {
  it('equals JSON.parse for every chunking, pretty or compact', () => {
    for (const text of [JSON.stringify(tricky), JSON.stringify(tricky, null, 2), ` \n${JSON.stringify(tricky, null, '\t')}\r\n`]) {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), (sizes) => {
          const ev = scan(text, sizes);
          const fields = Object.fromEntries(ev.filter((e) => e.kind === 'field').map((e) => [(e as { key: string }).key, e.value]));
          const { targets, ...rest } = tricky;
          expect(fields).toEqual(rest);
          expect(ev.filter((e) => e.kind === 'target').map((e) => e.value)).toEqual(targets);
        }),
        { numRuns: 60 },
      );
    }
  });

  it('a cut document is truncated; a broken one is a syntax error on its line', () => {
    const text = JSON.stringify(tricky, null, 2);
    for (const at of [1, 40, text.indexOf('"targets"') + 20, text.length - 2]) {
      const e = (() => {
        try {
          scan(text.slice(0, at), [7]);
        } catch (err) {
          return err;
        }
        return null;
      })();
      expect(e).toBeInstanceOf(JsonStreamError);
      expect((e as JsonStreamError).truncated).toBe(true);
    }
    const broken = text.replace('"input": "x"', '"input" "x"');
    const line = text.slice(0, text.indexOf('"input": "x"')).split('\n').length;
    try {
      scan(broken, [5]);
      expect.fail('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(JsonStreamError);
      expect((err as JsonStreamError).truncated).toBe(false);
      // The error names the line where the broken target starts (or the line of the break).
      expect((err as JsonStreamError).line).toBeLessThanOrEqual(line);
      expect((err as JsonStreamError).line).toBeGreaterThan(1);
    }
    expect(() => scan('{"a":1} x', [3])).toThrow(/after the end/);
  });

  it('a string left open by a broken writer is a syntax error on its line; a cut inside a string is truncated', () => {
    const text = JSON.stringify(tricky, null, 2);
    // The closing quote of "input": "x" lost: the string runs into the line break after it.
    const at = text.indexOf('"input": "x"') + '"input": "x'.length;
    const broken = text.slice(0, at) + text.slice(at + 1);
    const line = text.slice(0, at).split('\n').length;
    for (const sizes of [[1], [5], [4096]]) {
      const err = (() => {
        try {
          scan(broken, sizes);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(JsonStreamError);
      expect((err as JsonStreamError).truncated).toBe(false);
      expect((err as JsonStreamError).line).toBe(line);
      expect(String((err as Error).message)).toMatch(/string is not closed/);
    }
    // A raw tab inside a string: the same (JSON.stringify writes \t).
    expect(() => scan('{"a": "x\ty"}', [2])).toThrow(/string is not closed/);
    // The file ends inside that string (nothing after it): a cut, not a syntax error.
    const cut = (() => {
      try {
        scan(text.slice(0, at), [3]);
      } catch (e) {
        return e as JsonStreamError;
      }
      return null;
    })();
    expect(cut?.truncated).toBe(true);
    expect(() => scan('{"targets": 5}', [3])).toThrow(/not an array/);
  });
});
