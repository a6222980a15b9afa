/** The per-probe copy of the shared sender-side alignment result (issue 13: cheaper than structuredClone). */
import { describe, expect, it } from 'vitest';
import { copySenderChecks } from '../../src/probe/enrich.js';

describe('copySenderChecks', () => {
  it('gives an equal result that shares no object with the cached one', () => {
    const cached = {
      checks: [{ id: 'ptr-exists', status: 'pass' as const, detail: 'PTR of 127.0.0.1 is probe.bench.example' }],
      observedIp: { ip: '192.0.2.1', checks: [{ id: 'fcrdns', status: 'fail' as const, detail: 'no PTR name' }] },
    };
    const copy = copySenderChecks(cached);
    expect(copy).toEqual(cached);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(cached));
    expect(copy.checks).not.toBe(cached.checks);
    expect(copy.checks[0]).not.toBe(cached.checks[0]);
    expect(copy.observedIp).not.toBe(cached.observedIp);
    expect(copy.observedIp?.checks[0]).not.toBe(cached.observedIp.checks[0]);
    // Editing the copy (as a caller may) leaves the cached result for the next probe intact.
    if (copy.checks[0]) copy.checks[0].status = 'fail';
    expect(cached.checks[0]?.status).toBe('pass');
  });

  it('no observedIp key when the cached result has none', () => {
    const copy = copySenderChecks({ checks: [] });
    expect(copy).toEqual({ checks: [] });
    expect('observedIp' in copy).toBe(false);
  });
});
