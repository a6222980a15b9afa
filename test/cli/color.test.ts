/**
 * One colour rule for the tables and the spinner (cli/color.ts): --no-color, or NO_COLOR present
 * and not empty (https://no-color.org). Before, the tables treated NO_COLOR='' as set and the
 * spinner ignored NO_COLOR altogether (test/cli/progress-tty.test.ts has the pty case).
 */
import { describe, expect, it } from 'vitest';
import { colorAllowed } from '../../src/cli/color.js';

describe('colorAllowed', () => {
  it.each([
    [undefined, {}, true],
    [true, {}, true],
    [false, {}, false],
    [undefined, { NO_COLOR: '1' }, false],
    [undefined, { NO_COLOR: '0' }, false], // any value, "regardless of its value"
    [undefined, { NO_COLOR: '' }, true], // empty is unset
    [false, { NO_COLOR: '' }, false],
  ] as const)('--color=%s env=%j -> %s', (flag, env, want) => {
    expect(colorAllowed(flag, env)).toBe(want);
  });
});
