/**
 * The relay-consistency report: per receiver, the verdict each vantage got for each identity kind,
 * side by side; the cells where vantages disagree, with the likely cause taken from each vantage's
 * own sender-side alignment (its source IP's PTR and FCrDNS, its HELO); acceptance per vantage and
 * identity kind. Pure: results in, a report out (rendered by renderConsistency).
 *
 * Disagreement matters because a receiver judges the relay, not the fleet: one relay with a stale
 * PTR (RFC 8601 §2.7.3 "iprev", Postfix reject_unknown_client_hostname) is refused while its
 * siblings are not, and nothing but probing from each relay shows it.
 */
import type { AlignmentCheck, IdentityKind, Outcome, ProbeResult, TargetResult } from '../results.js';
import { stripControl } from '../report/sanitize.js';

export interface VantageFacts {
  name: string;
  helo: string | null;
  sources: string[];
  /**
   * Sender-side checks that failed or warned for this vantage: from its own lint (the worker's
   * heartbeat) and its primary-identity probes only. The other identity kinds (localhost, a bare
   * literal, …) are test identities the prober picked, not the relay's HELO, so their lint belongs
   * to their cells, not to the relay.
   */
  problems: AlignmentCheck[];
  /**
   * Whether any sender-side check was run for this vantage (a lint from its worker, or the alignment
   * of a primary-identity probe). Without one, no problem found means nothing was judged, not "aligned".
   */
  judged?: boolean;
}

export interface Cell {
  outcome: Outcome;
  cause: string;
  code: number | null;
  stage: string | null;
  helo: string;
  sourceIp: string | null;
  problems: AlignmentCheck[];
}

export interface ReceiverRow {
  target: string;
  exchange: string;
  ip: string;
  port: number;
  kinds: Array<{
    kind: IdentityKind;
    byVantage: Record<string, Cell | undefined>;
    /** The vantages that judged this cell disagree (only judged vantages are compared). */
    differs: boolean;
    /**
     * The vantages that have no judgement for this cell: their run stopped before the receiver
     * judged the HELO (`not-judged`), or they have no cell at all (not tried, or their result is
     * missing). Nothing was judged there, so the cell is neither consistent nor inconsistent for them.
     */
    notJudged: string[];
    explanations: string[];
  }>;
}

export interface AcceptanceCount {
  probes: number;
  accepted: number;
  rejected: number;
  deferred: number;
  unknown: number;
  /** The run stopped before the receiver could judge the HELO: counted apart, never as acceptance. */
  'not-judged': number;
}

export interface ConsistencyReport {
  vantages: string[];
  receivers: ReceiverRow[];
  acceptance: Record<string, Partial<Record<IdentityKind, AcceptanceCount>>>;
  vantageFacts: Record<string, VantageFacts>;
  /** Number of (receiver, kind) cells where the vantages that judged them disagree. */
  inconsistencies: number;
  /**
   * Number of (receiver, kind) cells that some vantage did not judge (see `notJudged`): never
   * counted as inconsistent, never as consistent either.
   */
  notJudgedCells: number;
  /** Per vantage, the cells it did not judge. */
  notJudgedBy: Record<string, number>;
  /** Probes that carry no vantage (not a fleet run, or mixed in). */
  withoutVantage: number;
}

/** The sender-side checks that explain a receiver's different treatment of one relay. */
const SENDER_CHECKS = new Set(['ptr-exists', 'fcrdns', 'ptr-matches-helo', 'helo-resolves', 'helo-addresses-include-ip', 'helo-fqdn', 'helo-syntax', 'literal-matches-ip']);

function problemsOf(p: ProbeResult): AlignmentCheck[] {
  const a = p.alignment;
  if (!a) return [];
  const checks = a.observedIp ? a.observedIp.checks : a.checks;
  return checks.filter((c) => SENDER_CHECKS.has(c.id) && (c.status === 'fail' || c.status === 'warn'));
}

/**
 * A cell's rank: what "worse" means when comparing vantages. `not-judged` has none: a vantage whose
 * run stopped before the HELO was judged is not compared at all (session 11 ranked it with
 * `unknown`, so "accepted on relay1, not judged on relay2" counted as an inconsistency).
 */
const RANK: Record<Exclude<Outcome, 'not-judged'>, number> = { accepted: 0, deferred: 1, rejected: 2, unknown: 3 };

type JudgedCell = Cell & { outcome: Exclude<Outcome, 'not-judged'> };

function isJudged(c: Cell | undefined): c is JudgedCell {
  return c !== undefined && c.outcome !== 'not-judged';
}

export class ConsistencyBuilder {
  private readonly rows = new Map<string, ReceiverRow>();
  private readonly cells = new Map<string, Map<IdentityKind, Record<string, Cell | undefined>>>();
  private readonly vantages = new Set<string>();
  private readonly acceptance: ConsistencyReport['acceptance'] = {};
  private readonly facts: Record<string, VantageFacts> = {};
  private withoutVantage = 0;

  /** Adds what a vantage's worker said about itself (its lint), if known. */
  addVantage(f: VantageFacts): void {
    this.vantages.add(f.name);
    const prev = this.facts[f.name];
    const judged = (prev?.judged ?? false) || (f.judged ?? false);
    this.facts[f.name] = prev ? { ...prev, ...f, problems: dedupe([...prev.problems, ...f.problems]), judged } : { ...f, judged };
  }

  addTarget(t: TargetResult): void {
    for (const h of t.hosts) {
      const key = `${t.input}\u0000${h.ip}\u0000${h.port}`;
      let row = this.rows.get(key);
      if (!row) {
        row = { target: t.input, exchange: h.exchange, ip: h.ip, port: h.port, kinds: [] };
        this.rows.set(key, row);
        this.cells.set(key, new Map());
      }
      const byKind = this.cells.get(key)!;
      for (const p of h.probes) {
        const vantage = p.vantage;
        if (vantage === undefined) {
          this.withoutVantage++;
          continue;
        }
        this.vantages.add(vantage);
        if (p.status === 'not-tried') continue;
        // A greylisted cell's retry says what the receiver finally decided.
        const verdict = p.greylistRetry?.verdict ?? p.verdict;
        const problems = problemsOf(p);
        const cell: Cell = {
          outcome: verdict.outcome,
          cause: verdict.cause,
          code: verdict.code,
          stage: verdict.stage,
          helo: p.identity.name,
          sourceIp: p.local?.address ?? p.identity.source,
          problems,
        };
        let cells = byKind.get(p.identity.kind);
        if (!cells) {
          cells = {};
          byKind.set(p.identity.kind, cells);
        }
        cells[vantage] ??= cell;
        const acc = ((this.acceptance[vantage] ??= {})[p.identity.kind] ??= { probes: 0, accepted: 0, rejected: 0, deferred: 0, unknown: 0, 'not-judged': 0 });
        acc.probes++;
        acc[verdict.outcome]++;
        const f = (this.facts[vantage] ??= { name: vantage, helo: null, sources: [], problems: [], judged: false });
        if (cell.sourceIp && !f.sources.includes(cell.sourceIp)) f.sources.push(cell.sourceIp);
        // Only the primary identity is the relay's own HELO: the other kinds' lint stays in their cells.
        if (p.identity.kind === 'primary') {
          if (f.helo === null) f.helo = p.identity.name;
          if (p.alignment) f.judged = true;
          f.problems = dedupe([...f.problems, ...problems]);
        }
      }
    }
  }

  build(): ConsistencyReport {
    const vantages = [...this.vantages].sort();
    let inconsistencies = 0;
    let notJudgedCells = 0;
    const notJudgedBy: Record<string, number> = {};
    const receivers: ReceiverRow[] = [];
    for (const [key, row] of this.rows) {
      const byKind = this.cells.get(key)!;
      const kinds: ReceiverRow['kinds'] = [];
      for (const [kind, byVantage] of byKind) {
        const judgedBy = vantages.filter((v) => isJudged(byVantage[v]));
        const notJudged = vantages.filter((v) => !isJudged(byVantage[v]));
        const cell = (v: string) => byVantage[v] as JudgedCell;
        const outcomes = new Set(judgedBy.map((v) => cell(v).outcome));
        const differs = judgedBy.length > 1 && outcomes.size > 1;
        if (notJudged.length > 0) {
          notJudgedCells++;
          for (const v of notJudged) notJudgedBy[v] = (notJudgedBy[v] ?? 0) + 1;
        }
        const explanations: string[] = [];
        if (differs) {
          inconsistencies++;
          const best = Math.min(...judgedBy.map((v) => RANK[cell(v).outcome]));
          const good = judgedBy.filter((v) => RANK[cell(v).outcome] === best);
          const others = treatmentOf(good.map((v) => [v, cell(v)] as const));
          for (const v of judgedBy) {
            const c = cell(v);
            if (RANK[c.outcome] === best) continue;
            const why = c.problems.length > 0
              ? c.problems.map((p) => `${p.detail} (${p.id} ${p.status})`).join('; ')
              : `no sender-side DNS problem seen for ${c.sourceIp ?? 'its source'} / ${c.helo}: look at the receiver's reply`;
            explanations.push(`${v}: ${why} — ${row.exchange} [${row.ip}] ${VERB[c.outcome]} ${v} (${replyOf(c)}) but ${others}`);
          }
        }
        kinds.push({ kind, byVantage, differs, notJudged, explanations });
      }
      receivers.push({ ...row, kinds });
    }
    return { vantages, receivers, acceptance: this.acceptance, vantageFacts: this.facts, inconsistencies, notJudgedCells, notJudgedBy, withoutVantage: this.withoutVantage };
  }
}

/** What a receiver did to a vantage, as a verb (the receiver is the subject). */
const VERB: Record<Outcome, string> = {
  accepted: 'accepts',
  deferred: 'defers',
  rejected: 'rejects',
  unknown: 'gives no verdict to',
  'not-judged': 'was not asked to judge',
};

function replyOf(c: Cell): string {
  return c.code !== null ? `${c.code} at ${c.stage ?? '?'}, cause ${c.cause}` : `cause ${c.cause}`;
}

/**
 * The best-treated vantages, each named with what it actually got: the best rank is not
 * necessarily acceptance (a deferral beats a rejection), and saying "accepts" about a deferred
 * relay would be a wrong ok. Vantages with the same outcome, code, stage and cause share a clause.
 */
function treatmentOf(cells: ReadonlyArray<readonly [string, Cell]>): string {
  const groups = new Map<string, { c: Cell; names: string[] }>();
  for (const [v, c] of cells) {
    const k = `${c.outcome}\u0000${c.code}\u0000${c.stage}\u0000${c.cause}`;
    const g = groups.get(k);
    if (g) g.names.push(v);
    else groups.set(k, { c, names: [v] });
  }
  return [...groups.values()]
    .map(({ c, names }) => `${VERB[c.outcome]} ${names.join(', ')}${c.outcome === 'accepted' ? '' : ` (${replyOf(c)})`}`)
    .join(' and ');
}

function dedupe(checks: AlignmentCheck[]): AlignmentCheck[] {
  const seen = new Set<string>();
  return checks.filter((c) => {
    const k = `${c.id}\u0000${c.detail}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function consistencyOf(targets: Iterable<TargetResult>): ConsistencyReport {
  const b = new ConsistencyBuilder();
  for (const t of targets) b.addTarget(t);
  return b.build();
}

const clean = (s: string) => stripControl(s);

/** Plain text for a terminal; every server- or DNS-derived string goes through stripControl. */
export function renderConsistency(r: ConsistencyReport): string {
  const out: string[] = [];
  out.push(`Relay consistency: ${r.vantages.length} vantage(s): ${r.vantages.map(clean).join(', ') || '(none)'}`);
  if (r.vantages.length === 0) {
    out.push('No probe in these results carries a vantage: this is not a fleet run (mxprobe probe --queue … --vantages …).');
    return `${out.join('\n')}\n`;
  }
  out.push('');
  out.push('Vantages (sender side, from the relays themselves):');
  for (const v of r.vantages) {
    const f = r.vantageFacts[v];
    const probs = f && f.problems.length > 0
      ? f.problems.map((p) => `${p.id} ${p.status}: ${p.detail}`).join('; ')
      : f?.judged === true
        ? 'aligned (no failing sender check)'
        : 'not checked (no worker lint and no primary-identity alignment in these results)';
    out.push(`  ${clean(v)}: helo ${clean(f?.helo ?? '?')}, source ${clean(f?.sources.join(', ') || '?')}: ${clean(probs)}`);
  }
  out.push('');
  for (const row of r.receivers) {
    out.push(`${clean(row.target)}  ${clean(row.exchange)} [${clean(row.ip)}]:${row.port}`);
    for (const k of row.kinds) {
      const cells = r.vantages.map((v) => {
        const c = k.byVantage[v];
        return `${clean(v)}=${c ? `${c.outcome}${c.code !== null ? ` ${c.code}` : ''}${c.cause !== 'none' ? ` (${c.cause})` : ''}` : '-'}`;
      });
      out.push(`  ${k.differs ? '!!' : k.notJudged.length > 0 ? '??' : '  '} ${k.kind.padEnd(9)} ${cells.join('   ')}`);
      for (const e of k.explanations) out.push(`       ${clean(e)}`);
      if (k.notJudged.length > 0) out.push(`       not judged on ${k.notJudged.map(clean).join(', ')}: not compared there`);
    }
  }
  out.push('');
  out.push('Acceptance per vantage and identity kind:');
  for (const v of r.vantages) {
    const kinds = r.acceptance[v] ?? {};
    const parts = Object.entries(kinds).map(([kind, a]) => `${kind} ${a.accepted}/${a.probes}`);
    out.push(`  ${clean(v)}: ${parts.join(', ') || 'no probes'}`);
  }
  out.push('');
  // "The same way" only when every relay was judged in every cell: a relay with nothing judged
  // is neither evidence of consistency nor of an inconsistency.
  if (r.inconsistencies > 0) out.push(`${r.inconsistencies} cell(s) where the relays are treated differently (marked !!).`);
  if (r.notJudgedCells > 0) {
    const by = Object.entries(r.notJudgedBy).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([v, n]) => `${clean(v)} ${n}`);
    out.push(`${r.notJudgedCells} cell(s) not judged on some relay (marked ??; not judged on ${by.join(', ')}): ${r.inconsistencies > 0 ? 'not compared there' : 'no judged cell differs, but consistency is unknown there'}.`);
  }
  if (r.inconsistencies === 0 && r.notJudgedCells === 0) out.push('Every receiver treated every relay the same way.');
  return `${out.join('\n')}\n`;
}
