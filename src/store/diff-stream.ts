/**
 * Diff of two runs as a merge-join of two key-ordered streams: targets first (MX set, DNS), then
 * hosts. Each side is read a page at a time, so memory stays at two pages however large the runs
 * (100k hosts each); changes are yielded as they are found, in key order.
 */
import type { HostResult, TargetResult } from '../results.js';
import { loadResultsDetailed } from '../report/load.js';
import { diffHost, diffTarget, diffUnchanged, type Change, type DiffOptions } from './diff.js';
import { parseBriefHeader } from './rows.js';
import { compareKeys, hostKey, showHostKey, targetKey, type Store } from './types.js';

export interface KeyedHost {
  hkey: string;
  host: HostResult;
  /** The stored brief, when read from one: byte-equal briefs are compared without parsing. */
  brief?: string;
}
export interface KeyedTarget {
  tkey: string;
  target: Omit<TargetResult, 'hosts'>;
  /** The stored record, when read from a store: byte-equal records are compared without parsing. */
  raw?: string;
}

/** One side of a diff: both streams ordered by compareKeys. */
export interface DiffSide {
  label: string;
  startedAt: string;
  targets(): AsyncIterable<KeyedTarget>;
  hosts(): AsyncIterable<KeyedHost>;
}

export interface DiffRow {
  /** The target (tkey) or host (readable hkey) the change is about. */
  where: string;
  change: Change;
}

async function* paged<T>(next: (after: string | null) => Promise<T[]>, key: (t: T) => string): AsyncGenerator<T> {
  let after: string | null = null;
  for (;;) {
    const page = await next(after);
    for (const item of page) yield item;
    if (page.length === 0) return;
    const last = page[page.length - 1]!;
    after = key(last);
    // Keyset pagination ("key > last"): host keys are unique within a run, since targets are
    // de-duplicated before probing and a resumed file's hosts are merged (report/load.ts) on import.
  }
}

/** A stored run as a diff side, read in pages of `pageSize`. */
export function storeSide(store: Store, run: { id: number; startedAt: string }, pageSize = 1000): DiffSide {
  return {
    label: `run ${run.id}`,
    startedAt: run.startedAt,
    targets: () => paged((after) => store.targetPage(run.id, after, pageSize), (t) => t.tkey),
    hosts: () => paged((after) => store.hostPage(run.id, after, pageSize, { brief: true }), (h) => h.hkey),
  };
}

/** A results file as a diff side (a file is read whole, as `report` does; sorted here). */
export async function fileSide(path: string): Promise<{ side: DiffSide; warnings: string[] }> {
  const { run, warnings } = await loadResultsDetailed(path);
  const targets: KeyedTarget[] = run.targets.map((t) => {
    const { hosts: _h, ...rest } = t;
    return { tkey: targetKey(t), target: rest };
  });
  const hosts: KeyedHost[] = run.targets.flatMap((t) => t.hosts.map((h) => ({ hkey: hostKey(targetKey(t), h), host: h })));
  targets.sort((x, y) => compareKeys(x.tkey, y.tkey));
  hosts.sort((x, y) => compareKeys(x.hkey, y.hkey));
  return {
    side: {
      label: path,
      startedAt: run.startedAt,
      targets: async function* () {
        yield* targets;
      },
      hosts: async function* () {
        yield* hosts;
      },
    },
    warnings,
  };
}

async function* mergeJoin<T>(a: AsyncIterable<T>, b: AsyncIterable<T>, key: (t: T) => string): AsyncGenerator<[T | null, T | null]> {
  const ia = a[Symbol.asyncIterator]();
  const ib = b[Symbol.asyncIterator]();
  let ra = await ia.next();
  let rb = await ib.next();
  while (!ra.done || !rb.done) {
    if (rb.done || (!ra.done && compareKeys(key(ra.value), key(rb.value)) < 0)) {
      yield [ra.value as T, null];
      ra = await ia.next();
    } else if (ra.done || compareKeys(key(ra.value), key(rb.value)) > 0) {
      yield [null, rb.value];
      rb = await ib.next();
    } else {
      yield [ra.value, rb.value];
      ra = await ia.next();
      rb = await ib.next();
    }
  }
}

export interface DiffCounts {
  targetsCompared: number;
  hostsCompared: number;
}

/** Every change from side A to side B, in key order. `counts` is filled as the stream is read. */
export async function* diffSides(a: DiffSide, b: DiffSide, opts: DiffOptions, counts: DiffCounts = { targetsCompared: 0, hostsCompared: 0 }): AsyncGenerator<DiffRow> {
  for await (const [ta, tb] of mergeJoin(a.targets(), b.targets(), (t) => t.tkey)) {
    counts.targetsCompared++;
    // Equal records are equal targets: diffTarget(x, x) is empty unless a lookup was
    // indeterminate (then it says "inconclusive"), so only those are parsed.
    if (ta?.raw !== undefined && ta.raw === tb?.raw && !ta.raw.includes('"indeterminate"')) continue;
    const where = (ta ?? tb)!.tkey;
    for (const change of diffTarget(ta?.target ?? null, tb?.target ?? null)) yield { where, change };
  }
  for await (const [ha, hb] of mergeJoin(a.hosts(), b.hosts(), (h) => h.hkey)) {
    counts.hostsCompared++;
    let list: Change[];
    // Byte-equal briefs: diffHost(a, b) = diffHost(b, b), which the brief's header answers
    // (rows.ts parseBriefHeader) unless the newer side has something to say alone.
    const header = ha?.brief !== undefined && ha.brief === hb?.brief ? parseBriefHeader(hb.brief) : null;
    if (header !== null && !header.solo) list = diffUnchanged(header, opts);
    else list = diffHost(ha?.host ?? null, hb?.host ?? null, opts);
    if (list.length === 0) continue;
    const where = showHostKey((ha ?? hb)!.hkey);
    for (const change of list) yield { where, change };
  }
}
