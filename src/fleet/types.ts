/** Shapes shared by the worker, the coordinator and the results: no I/O here. */
import type { AlignmentCheck, TargetResult } from '../results.js';

export const KEY_PREFIX = 'mxprobe:';

export interface Heartbeat {
  vantage: string;
  worker: string;
  host: string;
  pid: number;
  helo: string;
  sources: Array<string | null>;
  concurrency: number;
  startedAt: string;
  at: string;
  /** The vantage's own sender-side alignment: lint of its HELO from each source address. */
  lint: Array<{ sourceIp: string | null; failed: boolean; problems: AlignmentCheck[] }>;
}

export interface FleetResult {
  vantage: string;
  worker: string;
  target: TargetResult;
}

