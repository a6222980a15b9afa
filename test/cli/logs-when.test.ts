/**
 * `logs --since/--until`: a date that is not in the calendar is a usage error. Date.parse rolls a
 * day past the month's end over, so `--since 2026-02-30` silently meant 2 March.
 */
import { describe, expect, it } from 'vitest';
import { parseWhen } from '../../src/cli/logs.js';

const now = Date.UTC(2026, 11, 1, 12, 0, 0);

describe('logs --since/--until values', () => {
  it.each([
    ['2026-02-30'],
    ['2026-02-29'], // 2026 is not a leap year
    ['2026-04-31'],
    ['2026-11-31T10:00'],
    ['2026-00-10'],
    ['2026-13-01'],
    ['2026-11-00'],
    ['2026-11-01T24:30'],
    ['2026-11-01T25:00'],
    ['yesterday'],
    ['-5h'],
  ])('%j is refused', (v) => {
    expect(parseWhen(v, now)).toBeNull();
  });

  it.each([
    ['2028-02-29', Date.UTC(2028, 1, 29)],
    ['2026-12-31', Date.UTC(2026, 11, 31)],
    ['2026-11-30T23:59:59', Date.UTC(2026, 10, 30, 23, 59, 59)],
    ['2026-11-30 10:00+01:00', Date.UTC(2026, 10, 30, 9, 0)],
    ['2026-11-01T24:00', Date.UTC(2026, 10, 2)], // ISO 8601 end of day
    ['36h', now - 36 * 3_600_000],
    ['7d', now - 7 * 86_400_000],
  ])('%j is read', (v, t) => {
    expect(parseWhen(v, now)).toBe(t);
  });
});
