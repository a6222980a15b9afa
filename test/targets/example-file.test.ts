import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readTargets, validateTargets } from '../../src/targets/read.js';
import type { Target } from '../../src/targets/parse.js';

const EXAMPLE = fileURLToPath(new URL('../../targets.example.txt', import.meta.url));

/** Only reserved/documentation names (RFC 2606, RFC 6761) and addresses (RFC 5737, RFC 3849). */
function isDocumentationTarget(t: Target): boolean {
  if (t.kind === 'ip') {
    if (t.family === 4) return /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/.test(t.name);
    return /^2001:db8(:|$)/.test(t.name);
  }
  return /(^|\.)(example\.(com|org|net)|example|test|xn--zckzah)$/.test(t.name);
}

describe('targets.example.txt', () => {
  it('is entirely valid and contains no duplicates', async () => {
    const res = await validateTargets({ args: [], files: [EXAMPLE] });
    expect(res.problems).toEqual([]);
    expect(res.duplicates).toBe(0);
    expect(res.count).toBeGreaterThan(10);
  });

  it('covers every form, using only documentation names and addresses', async () => {
    const targets: Target[] = [];
    for await (const line of readTargets({ args: [], files: [EXAMPLE] })) {
      if (line.ok === true) targets.push(line.target);
    }
    const offenders = targets.filter((t) => !isDocumentationTarget(t)).map((t) => t.origin);
    expect(offenders).toEqual([]);
    const has = (p: (t: Target) => boolean): boolean => targets.some(p);
    expect(has((t) => t.kind === 'domain' && t.display === t.name)).toBe(true);
    expect(has((t) => t.kind === 'domain' && t.display !== t.name)).toBe(true); // IDN
    expect(has((t) => t.kind === 'host' && t.port !== null)).toBe(true);
    expect(has((t) => t.family === 4 && t.port === null)).toBe(true);
    expect(has((t) => t.family === 4 && t.port !== null)).toBe(true);
    expect(has((t) => t.family === 6 && t.port === null && t.input.startsWith('['))).toBe(true);
    expect(has((t) => t.family === 6 && t.port !== null)).toBe(true);
    expect(has((t) => t.family === 6 && !t.input.startsWith('['))).toBe(true);
  });
});
