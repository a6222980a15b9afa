/**
 * JSON and NDJSON serialisation, in pieces so that a run can be streamed: the JSON document is
 * written as header, one target at a time, footer; NDJSON as run, host…, target…, summary lines.
 * Server text stays verbatim: JSON.stringify escapes every control character.
 */
import type { HostResult, NdjsonRecord, RunResult, Summary, TargetResult } from '../results.js';
import { SCHEMA_VERSION } from '../results.js';
import type { TargetInfo } from '../probe/run.js';

export interface RunMeta {
  tool: { name: 'mxprobe'; version: string };
  startedAt: string;
  options: Record<string, unknown>;
}

export function jsonHeader(meta: RunMeta): string {
  const head = JSON.stringify({ schemaVersion: SCHEMA_VERSION, tool: meta.tool, startedAt: meta.startedAt, options: meta.options }, null, 2);
  // Re-open the object to append "targets": [ … ] as they finish.
  return `${head.slice(0, head.lastIndexOf('}')).trimEnd()},\n  "targets": [`;
}

export function jsonTarget(target: TargetResult, first: boolean): string {
  const body = JSON.stringify(target, null, 2).replace(/\n/g, '\n    ');
  return `${first ? '\n    ' : ',\n    '}${body}`;
}

export function jsonFooter(finishedAt: string, summary: Summary, interrupted: boolean): string {
  const tail = JSON.stringify({ finishedAt, ...(interrupted ? { interrupted: true } : {}), summary }, null, 2);
  // The body of the tail object, one level in (it already carries two spaces of indentation).
  return `\n  ],\n${tail.slice(1, tail.lastIndexOf('}')).replace(/^\n/, '').trimEnd()}\n}\n`;
}

/** The whole document at once (for `report` re-rendering and tests). */
export function renderJson(run: RunResult): string {
  return `${JSON.stringify(run, null, 2)}\n`;
}

export function ndjsonRun(meta: RunMeta): string {
  const rec: NdjsonRecord = { type: 'run', schemaVersion: SCHEMA_VERSION, tool: meta.tool, startedAt: meta.startedAt, options: meta.options };
  return `${JSON.stringify(rec)}\n`;
}

export function ndjsonResume(startedAt: string, options: Record<string, unknown>, skippedCells: number): string {
  const rec: NdjsonRecord = { type: 'resume', startedAt, options, skippedCells };
  return `${JSON.stringify(rec)}\n`;
}

export function ndjsonHost(host: HostResult, target: TargetInfo): string {
  const rec: NdjsonRecord = { type: 'host', target: { input: target.input, origin: target.origin, kind: target.kind, domain: target.domain, mx: target.mx }, ...host };
  return `${JSON.stringify(rec)}\n`;
}

export function ndjsonTarget(target: TargetResult): string {
  const { hosts: _hosts, ...rest } = target;
  const rec: NdjsonRecord = { type: 'target', ...rest };
  return `${JSON.stringify(rec)}\n`;
}

export function ndjsonSummary(finishedAt: string, summary: Summary, interrupted: boolean): string {
  const rec: NdjsonRecord = { type: 'summary', finishedAt, summary, ...(interrupted ? { interrupted: true } : {}) };
  return `${JSON.stringify(rec)}\n`;
}
