/**
 * Diff of two runs as a merge-join of two key-ordered streams: targets first (MX set, DNS), then
 * hosts. Each side is read a page at a time, so memory stays at two pages however large the runs
 * (100k hosts each); changes are yielded as they are found, in key order.
 *
 * A fleet run (`probe --queue … --vantages a,b`) observes each host once per vantage: the store and
 * a .json file hold one host record per vantage under the same key, an .ndjson file read back
 * (report/load.ts mergeHost) one record with every vantage's probes. Either way the hosts are
 * compared vantage by vantage (relay1 in A with relay1 in B), and each change names its vantage:
 * comparing relay1's certificate with relay2's, or printing relay1's and relay2's expiry line twice
 * under one host with nothing to tell them apart (session 11), is not a diff of the same thing.
 */
import type { HostResult, TargetResult } from '../results.js';
import { loadResultsDetailed } from '../report/load.js';
import { diffHost, diffTarget, diffUnchanged, splitByVantage, type Change, type DiffOptions } from './diff.js';
import { parseBriefHeader } from './rows.js';
import { compareKeys, hostKey, showHostKey, targetKey, type Store, type StoredHost } from './types.js';

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
  /** The target (tkey) or host (readable hkey, then " via VANTAGE" in a fleet run) the change is about. */
  where: string;
  /** The vantage (relay) that observed the host, in a fleet run. */
  vantage?: string;
  change: Change;
}

/**
 * Whether a stored run is a fleet run: the coordinator records its vantages in the run's options
 * (cli/fleet-probe.ts, `fleet.vantages`). Migration 11 matches the same test in SQL.
 */
export function isFleetRun(options: Record<string, unknown>): boolean {
  const fleet = options['fleet'];
  return typeof fleet === 'object' && fleet !== null && Array.isArray((fleet as Record<string, unknown>)['vantages']);
}

/**
 * The pages of a host stream. The store pages by key ("hkey > last"), and a fleet run holds one
 * host record per vantage under the same hkey: a page that ends inside such a group would lose the
 * group's rest. So a full page gives back its last key's rows and the next page starts before them
 * (a page that is one key alone is asked for again, twice as large).
 */
async function* hostPages(next: (after: string | null, limit: number) => Promise<StoredHost[]>, pageSize: number): AsyncGenerator<StoredHost> {
  let after: string | null = null;
  let limit = pageSize;
  for (;;) {
    const page = await next(after, limit);
    if (page.length < limit) {
      yield* page;
      return;
    }
    const lastKey = page[page.length - 1]!.hkey;
    let cut = page.length;
    while (cut > 0 && page[cut - 1]!.hkey === lastKey) cut--;
    if (cut === 0) {
      limit *= 2;
      continue;
    }
    for (let i = 0; i < cut; i++) yield page[i]!;
    after = page[cut - 1]!.hkey;
    limit = pageSize;
  }
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

/** Hosts per page of a fleet run, read from full records (see storeSide). */
const FLEET_PAGE = 200;

/** A stored run as a diff side, read in pages of `pageSize`. */
export function storeSide(store: Store, run: { id: number; startedAt: string; options?: Record<string, unknown> }, pageSize = 1000): DiffSide {
  // Hosts from their briefs: a fleet run's briefs name each probe's vantage (migration 11); hosts
  // without a brief are read from their full records by the store. A fleet run's pages are
  // smaller: those of a fleet run stored before migration 11 are all full records (~10x a brief).
  const fleet = isFleetRun(run.options ?? {});
  return {
    label: `run ${run.id}`,
    startedAt: run.startedAt,
    targets: () => paged((after) => store.targetPage(run.id, after, pageSize), (t) => t.tkey),
    hosts: () => hostPages((after, limit) => store.hostPage(run.id, after, limit, { brief: true }), fleet ? Math.min(pageSize, FLEET_PAGE) : pageSize),
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
  for await (const [ga, gb] of mergeJoin(groups(a.hosts()), groups(b.hosts()), (g) => g.hkey)) {
    const hkey = (ga ?? gb)!.hkey;
    const va = ga ? byVantage(ga.hosts) : new Map<string, KeyedHost[]>();
    const vb = gb ? byVantage(gb.hosts) : new Map<string, KeyedHost[]>();
    for (const v of [...new Set([...va.keys(), ...vb.keys()])].sort(compareKeys)) {
      const la = va.get(v) ?? [];
      const lb = vb.get(v) ?? [];
      for (let i = 0; i < Math.max(la.length, lb.length); i++) {
        const ha = la[i];
        const hb = lb[i];
        counts.hostsCompared++;
        let list: Change[];
        // Byte-equal briefs: diffHost(a, b) = diffHost(b, b), which the brief's header answers
        // (rows.ts parseBriefHeader) unless the newer side has something to say alone.
        const header = ha?.brief !== undefined && ha.brief === hb?.brief ? parseBriefHeader(hb.brief) : null;
        if (header !== null && !header.solo) list = diffUnchanged(header, opts);
        else list = diffHost(ha?.host ?? null, hb?.host ?? null, opts);
        if (list.length === 0) continue;
        const where = v === '' ? showHostKey(hkey) : `${showHostKey(hkey)} via ${v}`;
        for (const change of list) yield v === '' ? { where, change } : { where, vantage: v, change };
      }
    }
  }
}

/** Consecutive hosts with the same key: one, or (a fleet run) one per vantage. */
async function* groups(hosts: AsyncIterable<KeyedHost>): AsyncGenerator<{ hkey: string; hosts: KeyedHost[] }> {
  let cur: { hkey: string; hosts: KeyedHost[] } | null = null;
  for await (const h of hosts) {
    if (cur !== null && cur.hkey === h.hkey) {
      cur.hosts.push(h);
      continue;
    }
    if (cur !== null) yield cur;
    cur = { hkey: h.hkey, hosts: [h] };
  }
  if (cur !== null) yield cur;
}

/**
 * A key's hosts by the vantage that observed them ('' for none: not a fleet run). A host
 * holding several vantages' probes (an .ndjson fleet file, merged by report/load.ts) is split into
 * one host per vantage, each with its own probes.
 */
function byVantage(list: readonly KeyedHost[]): Map<string, KeyedHost[]> {
  const out = new Map<string, KeyedHost[]>();
  const add = (v: string, h: KeyedHost) => {
    const l = out.get(v);
    if (l) l.push(h);
    else out.set(v, [h]);
  };
  for (const kh of list) {
    // A brief names a probe's vantage only in a fleet run (migration 11): one without that key is
    // not parsed here. The key cannot occur inside a value: JSON escapes the quotes of a string.
    if (kh.brief !== undefined && !kh.brief.includes('"vantage":')) {
      add('', kh);
      continue;
    }
    const split = splitByVantage(kh.host);
    if (split.length === 1) add(split[0]![0], kh);
    else for (const [v, host] of split) add(v, { hkey: kh.hkey, host });
  }
  return out;
}
