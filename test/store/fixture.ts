/** Hosts and runs for the store tests, cloned from the sample results fixture and mutated per case. */
import { readFileSync } from 'node:fs';
import type { HostResult, ProbeResult, RunResult, TargetResult } from '../../src/results.js';

export const SAMPLE: RunResult = JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;

export function sampleTarget(): TargetResult {
  return structuredClone(SAMPLE.targets[0]!);
}

export function sampleHost(): HostResult {
  return structuredClone(SAMPLE.targets[0]!.hosts[0]!);
}

export function probe0(h: HostResult): ProbeResult {
  return h.probes[0]!;
}

/** A synthetic target with one host per index, for volume and ordering tests. */
export function syntheticTarget(i: number, mutate?: (h: HostResult) => void): TargetResult {
  const t = sampleTarget();
  const domain = `d${String(i).padStart(6, '0')}.example`;
  t.input = domain;
  t.domain = domain;
  t.origin = `targets.txt:${i + 1}`;
  t.mx = [{ exchange: `mx.${domain}`, priority: 10, implicit: false }];
  const h = sampleHost();
  h.exchange = `mx.${domain}`;
  h.ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  mutate?.(h);
  t.hosts = [h];
  return t;
}
