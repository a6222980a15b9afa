import { describe, expect, it } from 'vitest';
import { demoLogsSection } from '../../src/lab/demo-logs.js';

describe('mxprobe demo: the logs part over the lab sample log', () => {
  it('shows per-relay refusals with HELO/PTR causes, inbound HELO checks, spam symbols and the next step', async () => {
    const out = await demoLogsSection();
    expect(out).toMatch(/relay2\s+grey\.demo\.test\s+fcrdns-fail\*\s+2\s+0/);
    expect(out).toMatch(/relay2\s+exim\.demo\.test\s+helo-mismatch\*\s+0\s+1/);
    expect(out).toMatch(/relay1\s+3\s+1\s+1\s+0\s+1\s+100\.0%/);
    expect(out).toMatch(/exim_helo_verify\s+1/);
    expect(out).toMatch(/HFILTER_HOSTNAME_UNKNOWN\s+1\s+2\.5/);
    expect(out).toContain('(0 unparsed)');
    expect(out).toContain('mxprobe probe -f FILE --identities all');
  });
});
