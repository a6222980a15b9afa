import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadResults } from '../../src/report/load.js';

const sample = readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8');

describe('loading a malformed results file', () => {
  it('names the place of a probe without capabilities instead of crashing a renderer later', async () => {
    const run = JSON.parse(sample) as { targets: Array<{ hosts: Array<{ probes: Array<Record<string, unknown>> }> }> };
    const probe = run.targets.find((t) => t.hosts.length > 0)?.hosts[0]?.probes[0];
    if (!probe) throw new Error('fixture has no probe');
    delete probe['capabilities'];
    const file = join(mkdtempSync(join(tmpdir(), 'mxprobe-load-')), 'bad.json');
    writeFileSync(file, JSON.stringify(run));
    await expect(loadResults(file)).rejects.toMatchObject({ code: 'E_RESULTS_INPUT', message: expect.stringMatching(/probes\[0\]: capabilities \{plain, tls\} missing/) });
  });

  it('a port that is not a number is refused (it is printed into HTML)', async () => {
    const run = JSON.parse(sample) as { targets: Array<{ hosts: Array<Record<string, unknown>> }> };
    const host = run.targets.find((t) => t.hosts.length > 0)?.hosts[0];
    if (!host) throw new Error('fixture has no host');
    host['port'] = '25<a href="https://evil.example/">';
    const file = join(mkdtempSync(join(tmpdir(), 'mxprobe-load-')), 'bad.json');
    writeFileSync(file, JSON.stringify(run));
    await expect(loadResults(file)).rejects.toMatchObject({ code: 'E_RESULTS_INPUT' });
  });
});
