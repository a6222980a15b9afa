/**
 * The light SPF loader (src/analysis/spf-light.ts) against mailauth's SPF entry point as it is:
 * the same judgement, the same texts and lookup counts for every record shape below, on a real
 * DNS server on loopback; and a built run that checks SPF without loading joi, libmime or tldts.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLightSpf } from '../../src/analysis/spf-light.js';
import { heloSpf, loadSpf, mailauthResolver } from '../../src/analysis/spf.js';
import { createResolver } from '../../src/dns/resolver.js';
import type { DnsServerHandle } from '../helpers/dns-zone.js';
import { startSpfDns } from './spf-zone.js';
import { ROOT } from '../helpers/cli.js';

let server: DnsServerHandle;
let resolver: ReturnType<typeof createResolver>;

beforeAll(async () => {
  ({ server, resolver } = await startSpfDns());
});
afterAll(async () => server.close());

// HELO names that exercise the domain check the light loader reproduces without joi: valid ones,
// and ones joi's string().domain({ allowUnicode: false, tlds: false }) refuses (SPF none then).
const CASES: Array<[string, string]> = [
  ['pass.test', '127.0.0.10'], ['pass.test', '127.0.0.11'], ['pass.test', '::ffff:127.0.0.10'],
  ['mxmech.test', '127.0.0.20'], ['ptrmech.test', '127.0.0.30'], ['ptrmech.test', '127.0.0.31'],
  ['ptr6.test', '2001:db8::30'], ['ptr6.test', '2001:db8::31'],
  ['fail.test', '127.0.0.10'], ['soft.test', '127.0.0.10'], ['neutral.test', '127.0.0.10'],
  ['none.test', '127.0.0.10'], ['nonexistent.test', '127.0.0.10'], ['perm.test', '127.0.0.10'],
  ['two.test', '127.0.0.10'], ['incl.test', '127.0.0.10'], ['redir.test', '127.0.0.10'],
  ['v6.test', '2001:db8::7'], ['dual.test', '127.0.0.77'], ['dual.test', '2001:db8::ffff'], ['dual.test', '10.1.1.1'],
  ['macro.test', '127.0.0.10'], ['macro.test', '127.0.0.11'], ['void.test', '127.0.0.10'], ['many.test', '127.0.0.10'],
  ['badcidr.test', '127.0.0.10'], ['badmech.test', '127.0.0.10'], ['temp.test', '127.0.0.10'],
  ['PASS.Test', '127.0.0.10'], ['bücher.test', '127.0.0.10'], ['xn--bcher-kva.test', '127.0.0.10'],
  ['under_score.test', '127.0.0.10'], ['a..test', '127.0.0.10'], ['single', '127.0.0.10'], ['-lead.test', '127.0.0.10'],
  ['trail-.test', '127.0.0.10'], ['1.2.3.4', '127.0.0.10'], ['sub.123', '127.0.0.10'], ['pct%41.test', '127.0.0.10'],
  [`${'x'.repeat(64)}.test`, '127.0.0.10'], [`${'a.'.repeat(130)}test`, '127.0.0.10'], ['pass.test.', '127.0.0.10'],
  ['pass.test', 'not-an-ip'],
];

describe('light SPF loader', () => {
  it('loads with this mailauth (the fallback to the whole graph is not what runs)', () => {
    expect(typeof loadLightSpf()).toBe('function');
  });

  const seen = new Set<string>();
  afterAll(() => {
    // The cases must cover every outcome, or "the same as mailauth" would prove little.
    expect([...seen].sort()).toEqual(['fail', 'neutral', 'none', 'pass', 'permerror', 'softfail', 'temperror']);
  });

  it.each(CASES)('%s from %s: the same result as mailauth as it is', async (helo, ip) => {
    const full = (await import('mailauth/lib/spf/index.js')).spf;
    const light = loadLightSpf();
    const opts = { ip, helo, sender: `postmaster@${helo}`, mta: 'mxprobe', resolver: mailauthResolver(resolver) };
    const a = (await full(opts as never)) as unknown as Record<string, unknown>;
    const b = (await light(opts)) as unknown as Record<string, unknown>;
    // Everything but the header text, which the light copy does not build.
    const { header: _h, info: _i, ...fullRest } = a;
    expect(b).toEqual(fullRest);
    seen.add((b['status'] as { result: string }).result);
    expect(b).not.toHaveProperty('header');
    expect(b).not.toHaveProperty('info');
  });

  it('judges 300 generated HELO names (the domain check it does without joi) as mailauth does', async () => {
    // A fixed-seed generator (xorshift32): names from letters, digits, '-', '_', '.', '%', upper
    // case and non-ASCII, in shapes joi's string().domain() accepts and refuses.
    let x = 0x9e3779b9;
    const rnd = (n: number): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    const alphabet = ['a', 'b', 'z', 'Q', '0', '9', '-', '_', '.', '.', '%', 'é', 'ß', ' ', 'x'];
    const full = (await import('mailauth/lib/spf/index.js')).spf;
    const light = loadLightSpf();
    const outcomes = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const len = 1 + rnd(24);
      let helo = Array.from({ length: len }, () => alphabet[rnd(alphabet.length)]).join('');
      if (rnd(2) === 0) helo += ['.test', '.pass.test', '.123', '.t-', ''][rnd(5)];
      const opts = { ip: '127.0.0.10', helo, sender: `postmaster@${helo}`, mta: 'mxprobe', resolver: mailauthResolver(resolver) };
      const a = (await full(opts as never)) as unknown as Record<string, unknown>;
      const { header: _h, info: _i, ...fullRest } = a;
      expect(await light(opts), helo).toEqual(fullRest);
      // A name the domain check accepts is looked up (NXDOMAIN here: one void lookup); a refused
      // one never reaches DNS. Both kinds must be among the generated names.
      outcomes.add((fullRest['lookups'] as { void: number }).void > 0 ? 'looked up' : 'refused before DNS');
    }
    expect([...outcomes].sort()).toEqual(['looked up', 'refused before DNS']);
  });

  it('heloSpf goes through it', async () => {
    expect(await loadSpf()).not.toBe((await import('mailauth/lib/spf/index.js')).spf);
    expect((await heloSpf('incl.test', '127.0.0.10', resolver)).result).toBe('pass');
  });

  it('a built run checks SPF without loading joi, libmime, tldts or mailauth/lib/tools.js', async () => {
    if (!existsSync(new URL('../../dist/analysis/spf.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build`');
    const script = `
      import { createRequire } from 'node:module';
      import { heloSpf } from ${JSON.stringify(`${ROOT}dist/analysis/spf.js`)};
      import { createResolver } from ${JSON.stringify(`${ROOT}dist/dns/resolver.js`)};
      const r = await heloSpf('incl.test', '127.0.0.10', createResolver({ servers: [${JSON.stringify(server.address)}], timeoutMs: 1000 }));
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      process.stdout.write(JSON.stringify({ result: r.result, loaded }));`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let s = '';
      child.stdout.on('data', (d) => (s += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(s) : reject(new Error(`exit ${code}`))));
    });
    const { result, loaded } = JSON.parse(out) as { result: string; loaded: string[] };
    expect(result).toBe('pass');
    // It did load mailauth's SPF code (through ipaddr.js, which only it requires here)…
    expect(loaded.some((f) => f.includes('/ipaddr.js/'))).toBe(true);
    // …and nothing of the graph it avoids.
    expect(loaded.filter((f) => /\/(joi|libmime|tldts|iconv-lite|encoding-japanese)\/|mailauth\/lib\/tools\.js$/.test(f))).toEqual([]);
  });
});
