import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { RunResult } from '../../src/results.js';
import type { CliContext } from '../../src/cli/context.js';
import { evaluatePolicy, formatViolations, parsePolicy, parsePolicyFile, type PolicyRule } from '../../src/analysis/policy.js';
import { registerReport } from '../../src/cli/report.js';

const FIXTURE = new URL('../fixtures/results/sample-run.json', import.meta.url).pathname;
const run = JSON.parse(readFileSync(FIXTURE, 'utf8')) as RunResult;
/** The fixture's run date; mx2's certificate expires 2026-02-10, mx1's 2026-12-31. */
const NOW = new Date('2026-02-01T10:00:00Z');

function hits(rules: PolicyRule[] | string, r: RunResult = run, now = NOW): Array<[string, string, string | null]> {
  return evaluatePolicy(r, typeof rules === 'string' ? parsePolicy(rules) : rules, now).map((v) => [v.rule, v.target, v.exchange]);
}
/** The run with only the well-behaved host: the negative case for every host rule. */
function cleanRun(): RunResult {
  const r = structuredClone(run);
  r.targets = r.targets.slice(0, 1);
  const t = r.targets[0];
  if (t === undefined) throw new Error('fixture changed');
  t.hosts = t.hosts.slice(0, 1);
  return r;
}

describe('policy rules: positive on the sample run, negative on a clean host', () => {
  it.each([
    ['no-starttls', [['no-starttls', 'legacy.example.net', 'legacy.example.net']]],
    ['tls-below:1.3', [['tls-below', 'example.com', 'mx2.example.com']]],
    ['cert-invalid', [['cert-invalid', 'example.com', 'mx2.example.com']]],
    ['cert-name-mismatch', [['cert-name-mismatch', 'example.com', 'mx2.example.com']]],
    ['cert-expires-within:14d', [['cert-expires-within', 'example.com', 'mx2.example.com']]],
    ['auth-before-tls', [['auth-before-tls', 'example.com', 'mx2.example.com']]],
    ['no-ptr', [['no-ptr', 'example.com', 'mx2.example.com']]],
    ['fcrdns-fail', [['fcrdns-fail', 'example.com', 'mx2.example.com'], ['fcrdns-fail', 'legacy.example.net', 'legacy.example.net']]],
    ['banner-mismatch', [['banner-mismatch', 'example.com', 'mx2.example.com']]],
    ['identity-rejected:bare-ip', [['identity-rejected', 'example.com', 'mx1.example.com']]],
    ['identity-rejected:literal', [['identity-rejected', 'legacy.example.net', 'legacy.example.net']]],
    ['acceptance-below:literal:50', [['acceptance-below', 'legacy.example.net', null]]],
    ['acceptance-below:nxdomain:1%', [['acceptance-below', 'example.com', null]]],
  ])('%s', (spec, want) => {
    expect(hits(spec)).toEqual(want);
    expect(hits(spec, cleanRun())).toEqual(
      // mx1 itself rejects bare-ip and defers nxdomain: those two stay positive on the clean run.
      spec === 'identity-rejected:bare-ip' ? [['identity-rejected', 'example.com', 'mx1.example.com']] : spec.startsWith('acceptance-below:nxdomain') ? [['acceptance-below', 'example.com', null]] : [],
    );
  });

  it('tls-below passes when the version is at or above the bar, and ignores hosts without TLS', () => {
    expect(hits('tls-below:1.2')).toEqual([]);
    expect(hits('tls-below:1.0')).toEqual([]);
  });

  it('cert-expires-within: outside the window, and already expired', () => {
    expect(hits('cert-expires-within:14', run, new Date('2026-01-15T00:00:00Z'))).toEqual([]); // 26 days left
    const expired = evaluatePolicy(run, parsePolicy('cert-expires-within:1d'), new Date('2026-03-01T00:00:00Z'));
    expect(expired.map((v) => v.exchange)).toEqual(['mx2.example.com']);
    expect(expired[0]?.detail).toMatch(/expired 2026-02-10/);
    const both = evaluatePolicy(run, parsePolicy('cert-expires-within:365d'), NOW);
    expect(both.map((v) => v.exchange)).toEqual(['mx1.example.com', 'mx2.example.com']);
  });

  it('identity-rejected does not count deferrals or errors', () => {
    expect(hits('identity-rejected:nxdomain')).toEqual([]); // deferred 450
    expect(hits('identity-rejected:localhost')).toEqual([]); // io-timeout
    expect(hits('identity-rejected:primary')).toEqual([]);
  });

  it('acceptance-below: at the bar is fine; targets with nothing decided are not judged', () => {
    expect(hits('acceptance-below:primary:100')).toEqual([]);
    expect(hits('acceptance-below:localhost:100')).toEqual([]); // only an error: no rate
    expect(hits('acceptance-below:literal:0')).toEqual([]);
  });

  it('no-ptr and fcrdns-fail also flag the sender side, once per source and detail', () => {
    const r = structuredClone(run);
    for (const p of r.targets[0]?.hosts[0]?.probes ?? []) {
      p.alignment = { checks: [{ id: 'ptr-exists', status: 'fail', detail: 'no PTR for 192.0.2.7' }] };
    }
    const v = evaluatePolicy(cleanRunFrom(r), parsePolicy('no-ptr'), NOW);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ rule: 'no-ptr', exchange: 'mx1.example.com', ip: '192.0.2.10' });
    expect(v[0]?.detail).toMatch(/^sender ptr-exists \(HELO probe\.example\.org\): no PTR for 192\.0\.2\.7$/);
  });

  it('no-starttls does not fire for implicit TLS or for hosts never reached', () => {
    const r = structuredClone(run);
    const mx2 = r.targets[0]?.hosts[1];
    if (mx2 === undefined) throw new Error('fixture changed');
    for (const p of mx2.probes) {
      if (p.capabilities.plain !== null) p.capabilities.plain.starttls = false;
    }
    expect(hits('no-starttls', r).map((x) => x[2])).toEqual(['mx2.example.com', 'legacy.example.net']);
    for (const p of mx2.probes) if (p.tls !== null) p.tls.mode = 'implicit';
    expect(hits('no-starttls', r).map((x) => x[2])).toEqual(['legacy.example.net']);
    expect(hits('auth-before-tls', r)).toEqual([]);
  });

  it('violations name the source IP the probe came from, when the probe had one', () => {
    const r = structuredClone(run);
    const mx1 = r.targets[0]?.hosts[0];
    const mx2 = r.targets[0]?.hosts[1];
    if (mx1 === undefined || mx2 === undefined) throw new Error('fixture changed');
    for (const p of mx1.probes) p.identity.source = '192.0.2.7';
    const bare = mx1.probes.find((p) => p.identity.kind === 'bare-ip');
    if (bare === undefined) throw new Error('fixture changed');
    // The same identity from a second source: one violation per source, each saying which.
    const other = structuredClone(bare);
    other.identity.source = '2001:db8::7';
    mx1.probes.push(other);
    for (const p of mx1.probes) p.alignment = { checks: [{ id: 'ptr-exists', status: 'fail', detail: 'no PTR' }] };
    mx2.probes.forEach((p, i) => { p.identity.source = i === 0 ? '192.0.2.7' : '192.0.2.8'; });

    const rejected = evaluatePolicy(r, parsePolicy('identity-rejected:bare-ip'), NOW);
    expect(rejected.map((v) => v.source)).toEqual(['192.0.2.7', '2001:db8::7']);
    const text = formatViolations(rejected).trimEnd().split('\n');
    expect(text[0]).toMatch(/^policy identity-rejected: example\.com mx1\.example\.com \[192\.0\.2\.10\] from 192\.0\.2\.7: HELO /);
    expect(text[1]).toMatch(/ \[192\.0\.2\.10\] from 2001:db8::7: HELO /);

    const ptr = evaluatePolicy(cleanRunFrom(r), parsePolicy('no-ptr'), NOW);
    expect(ptr.map((v) => v.source)).toEqual(['192.0.2.7', '2001:db8::7']);
    expect(formatViolations(ptr)).toMatch(/ from 2001:db8::7: sender ptr-exists \(HELO [^)]*\): no PTR\n$/);

    // A host-level fact folded over probes from two sources lists both.
    const cert = evaluatePolicy(r, parsePolicy('cert-invalid'), NOW);
    expect(cert.map((v) => v.source)).toEqual(['192.0.2.7, 192.0.2.8']);
    // Without a source (the fixture as recorded) nothing is added.
    expect(evaluatePolicy(run, parsePolicy('identity-rejected:bare-ip'), NOW)[0]).not.toHaveProperty('source');
    expect(formatViolations(evaluatePolicy(run, parsePolicy('identity-rejected:bare-ip'), NOW))).not.toMatch(/ from /);
  });

  it('violations are terminal-safe when printed', () => {
    const text = formatViolations(evaluatePolicy(run, parsePolicy('banner-mismatch,cert-name-mismatch'), NOW));
    expect(text).not.toMatch(/\u001b/);
    expect(text.trimEnd().split('\n')).toHaveLength(2);
    expect(text).toMatch(/^policy banner-mismatch: example\.com mx2\.example\.com \[198\.51\.100\.20\]: receiver banner-name: /);
  });
});

function cleanRunFrom(r: RunResult): RunResult {
  const c = structuredClone(r);
  c.targets = c.targets.slice(0, 1);
  const t = c.targets[0];
  if (t !== undefined) t.hosts = t.hosts.slice(0, 1);
  return c;
}

describe('parsePolicy', () => {
  it('parses the documented forms', () => {
    expect(parsePolicy('no-starttls,tls-below:1.2,cert-expires-within:14d')).toEqual([
      { rule: 'no-starttls' },
      { rule: 'tls-below', version: '1.2' },
      { rule: 'cert-expires-within', days: 14 },
    ]);
    expect(parsePolicy(' identity-rejected:primary , acceptance-below:primary:95% auth-before-tls')).toEqual([
      { rule: 'identity-rejected', kind: 'primary' },
      { rule: 'acceptance-below', kind: 'primary', percent: 95 },
      { rule: 'auth-before-tls' },
    ]);
    expect(parsePolicy('tls-below:TLSv1.3')).toEqual([{ rule: 'tls-below', version: '1.3' }]);
    expect(parsePolicy('cert-expires-within:30')).toEqual([{ rule: 'cert-expires-within', days: 30 }]);
  });

  it.each([
    ['no-such-rule', /unknown rule "no-such-rule"/],
    ['', /empty policy/],
    ['tls-below', /tls-below needs a version/],
    ['tls-below:1.4', /tls-below needs a version/],
    ['cert-expires-within:soon', /number of days/],
    ['cert-expires-within:-3d', /number of days/],
    ['identity-rejected', /exactly one identity kind/],
    ['identity-rejected:martian', /unknown identity kind "martian"/],
    ['acceptance-below:primary', /needs a kind and a percentage/],
    ['acceptance-below:primary:150', /0-100/],
    ['no-starttls:yes', /takes no argument/],
  ])('rejects %j', (spec, msg) => {
    let err: unknown;
    try {
      parsePolicy(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe('E_USAGE');
    expect((err as Error).message).toMatch(msg);
  });
});

describe('parsePolicyFile', () => {
  it('reads one rule per line with comments and blank lines', () => {
    const text = '# CI policy for our MXes\nno-starttls\n\ntls-below:1.2   # no TLS 1.0/1.1\r\ncert-expires-within:21d\n  # indented comment\nno-ptr, fcrdns-fail\n';
    expect(parsePolicyFile(text, 'policy.txt')).toEqual([
      { rule: 'no-starttls' },
      { rule: 'tls-below', version: '1.2' },
      { rule: 'cert-expires-within', days: 21 },
      { rule: 'no-ptr' },
      { rule: 'fcrdns-fail' },
    ]);
  });

  it('reports every bad line as file:line', () => {
    const text = 'no-starttls\n# fine\ntls-below:2.0\ncert-invalid\nbogus-rule\n';
    let err: unknown;
    try {
      parsePolicyFile(text, 'ci/policy.txt');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    const lines = (err as Error).message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ci\/policy\.txt:3: tls-below needs a version/);
    expect(lines[1]).toMatch(/^ci\/policy\.txt:5: unknown rule "bogus-rule"/);
  });

  it('an empty file is an empty policy', () => {
    expect(parsePolicyFile('# nothing yet\n\n', 'p')).toEqual([]);
  });
});

/** `mxprobe report` through commander with stream-backed context (the CLI's policy enforcement). */
describe('mxprobe report (registerReport)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mxprobe-report-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string; error?: unknown }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    let code = -1;
    const ctx: CliContext = {
      stdout, stderr, stdin: new PassThrough(), stderrIsTty: false, env: {}, cwd: dir,
      setExitCode: (c) => { code = c; }, signal: new AbortController().signal,
    };
    const program = new Command().exitOverride();
    program.configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s) });
    registerReport(program, ctx);
    for (const sub of program.commands) sub.exitOverride();
    try {
      await program.parseAsync(args, { from: 'user' });
      return { code, stdout: out, stderr: err };
    } catch (e) {
      return { code, stdout: out, stderr: err, error: e };
    }
  }

  it('renders html to a file (format from the extension) and exits 0 without a policy', async () => {
    const r = await cli(['report', FIXTURE, '-o', 'out.html']);
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'out.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('renders csv and json to stdout', async () => {
    const csv = await cli(['report', FIXTURE, '--format', 'csv']);
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^target,origin,dns_status,/);
    const json = await cli(['report', FIXTURE, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual(run);
  });

  it('exits 3 and prints the violations on stderr when --fail-on is violated', async () => {
    const r = await cli(['report', FIXTURE, '--format', 'csv', '--fail-on', 'cert-invalid,auth-before-tls', '--now', '2026-02-01T00:00:00Z']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('policy cert-invalid: example.com mx2.example.com [198.51.100.20]');
    expect(r.stderr).toContain('policy auth-before-tls:');
    expect(r.stderr).toContain('2 policy violations');
    expect(r.stdout).toMatch(/^target,/); // the report is still written
  });

  it('exits 0 when the policy holds, reading rules from --policy file', async () => {
    await writeFile(join(dir, 'ok.policy'), '# holds for the fixture\ntls-below:1.2\nacceptance-below:primary:100\n');
    const r = await cli(['report', FIXTURE, '--format', 'json', '--policy', 'ok.policy']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a bad policy file is a usage error naming file:line', async () => {
    await writeFile(join(dir, 'bad.policy'), 'no-starttls\ntls-below:9\n');
    const r = await cli(['report', FIXTURE, '--policy', 'bad.policy']);
    expect(r.error).toBeInstanceOf(UsageError);
    expect((r.error as Error).message).toMatch(/^bad\.policy:2: /);
  });

  it('an unreadable results file exits 2 with the reason; an interrupted ndjson warns and still renders', async () => {
    const r = await cli(['report', join(dir, 'nope.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read results file/);
    const i = await cli(['report', new URL('../fixtures/results/interrupted-run.ndjson', import.meta.url).pathname, '-o', 'partial.html']);
    expect(i.code).toBe(0);
    expect(i.stderr).toMatch(/warning: .*truncated \(interrupted run\)/);
    expect(await readFile(join(dir, 'partial.html'), 'utf8')).toContain('Interrupted run: these results are partial.');
  });
});
