/** pflogsumm's "Grand Totals" block, read for the cross-checks (test/logs/pflogsumm.test.ts, test/mta/logs.test.ts). */
export interface PfTotals {
  received: number;
  delivered: number;
  deferred: number;
  deferrals: number;
  bounced: number;
  rejected: number;
}

/** pflogsumm prints counts over 999,999 as "1234k"; the tests stay below that. */
export function pflogsummTotals(text: string): PfTotals {
  const n = (re: RegExp): number => {
    const m = re.exec(text);
    if (!m) throw new Error(`pflogsumm output has no ${re}:\n${text.slice(0, 1500)}`);
    return Number(m[1]);
  };
  return {
    received: n(/^\s*(\d+)\s+received$/m),
    delivered: n(/^\s*(\d+)\s+delivered$/m),
    deferred: n(/^\s*(\d+)\s+deferred/m),
    deferrals: /deferred\s+\((\d+)\s+deferrals\)/m.test(text) ? n(/deferred\s+\((\d+)\s+deferrals\)/m) : 0,
    bounced: n(/^\s*(\d+)\s+bounced$/m),
    rejected: n(/^\s*(\d+)\s+rejected \(/m),
  };
}
