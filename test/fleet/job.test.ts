import { describe, expect, it } from 'vitest';
import { FleetJobError, jobId, queueName, validateJob, type FleetJob } from '../../src/fleet/job.js';

function job(over: Record<string, unknown> = {}, opts: Record<string, unknown> = {}): Record<string, unknown> {
  const base: FleetJob = {
    v: 1,
    run: 'run1',
    vantage: 'relay1',
    target: { input: 'example.com', origin: 'targets.txt:3' },
    options: {
      stopAfter: 'rcpt', starttls: true, implicitTls: false, timeoutMs: 20000, deadlineMs: 60000, retries: 0,
      retryGreylistSec: null, transcript: true, alignment: true, port: 25, hostGapMs: 1000, family: 'any',
      identityKinds: ['primary', 'literal'], customIdentities: [], mailFrom: null, rcpt: null, mismatchName: null,
    },
  };
  return { ...base, ...over, options: { ...base.options, ...opts } };
}

describe('validateJob', () => {
  it('accepts a well-formed job and parses its target with the CLI parser', () => {
    const { job: j, target } = validateJob(job(), 'relay1');
    expect(j.vantage).toBe('relay1');
    expect(target.kind).toBe('domain');
    expect(target.name).toBe('example.com');
  });

  const bad: Array<[string, Record<string, unknown>, Record<string, unknown>, RegExp]> = [
    ['CR/LF in the target', { target: { input: 'example.com\r\nDATA', origin: 'x' } }, {}, /CR, LF or NUL/],
    ['a target the CLI would refuse', { target: { input: 'exa mple.com', origin: 'x' } }, {}, /target.input/],
    ['CRLF smuggled in mailFrom', {}, { mailFrom: 'a@b\r\nDATA' }, /mailFrom/],
    ['NUL in rcpt', {}, { rcpt: 'a@b\u0000' }, /rcpt/],
    ['a custom identity with a space (a second verb)', {}, { customIdentities: ['x DATA'] }, /one word/],
    ['an unknown stage (no DATA stage exists)', {}, { stopAfter: 'data' }, /stopAfter/],
    ['an unknown identity kind', {}, { identityKinds: ['primary', 'evil'] }, /identityKinds/],
    ['a huge timeout', {}, { timeoutMs: 1e12 }, /timeoutMs/],
    ['retries out of range', {}, { retries: 100 }, /retries/],
    ['a wrong vantage', { vantage: 'relay2' }, {}, /for vantage relay2/],
    ['a vantage name unsafe as a key', { vantage: 'a:b*' }, {}, /vantage/],
    ['a wrong version', { v: 2 }, {}, /version/],
    ['an oversize job', { target: { input: 'example.com', origin: 'x'.repeat(20_000) } }, {}, /bytes/],
    ['a too-long RCPT', {}, { rcpt: `${'a'.repeat(300)}@${'b'.repeat(300)}` }, /rcpt/],
    // What `probe` refuses on its command line (cli/wire-values.ts), a job must not carry either.
    ['the null path as RCPT (RCPT TO:<>; --rcpt \'<>\' is refused)', {}, { rcpt: '' }, /options\.rcpt: .*null path/],
    ['an RCPT that is not a mailbox', {}, { rcpt: 'nobody' }, /options\.rcpt: .*not a mailbox/],
    ['a MAIL FROM whose domain is junk', {}, { mailFrom: 'a@b..c' }, /options\.mailFrom/],
    ['a mismatch name that is not a domain', {}, { mismatchName: 'x!y' }, /options\.mismatchName: .*not a domain/],
    ['a mismatch name that is an address literal', {}, { mismatchName: '[127.0.0.1]' }, /options\.mismatchName/],
    ['a custom identity that is not printable ASCII nor a Unicode domain (it went out as raw UTF-8)', {}, { customIdentities: ['ü!x'] }, /customIdentities\[0\]/],
  ];
  for (const [name, over, opts, re] of bad) {
    it(`refuses ${name}`, () => {
      expect(() => validateJob(job(over, opts), 'relay1')).toThrow(FleetJobError);
      expect(() => validateJob(job(over, opts), 'relay1')).toThrow(re);
    });
  }

  it('passes what the coordinator writes for the command line: null sender, Postmaster, A-labels', () => {
    const { job: j } = validateJob(job({}, { mailFrom: '', rcpt: 'Postmaster', customIdentities: ['bücher.test', '[127.0.0.1]'], mismatchName: 'other.example.net' }), 'relay1');
    expect(j.options.mailFrom).toBe('');
    expect(j.options.rcpt).toBe('Postmaster');
    // A Unicode name goes on the wire as A-labels (RFC 5321 §2.3.5), as `--identity bücher.test` does.
    expect(j.options.customIdentities).toEqual(['xn--bcher-kva.test', '[127.0.0.1]']);
    expect(j.options.mismatchName).toBe('other.example.net');
  });

  it('refuses non-objects', () => {
    for (const raw of [null, 42, 'x', [], { v: 1 }]) expect(() => validateJob(raw)).toThrow(FleetJobError);
  });
});

describe('job ids and queue names', () => {
  it('are deterministic per (run, vantage, target) and distinct otherwise', () => {
    expect(jobId('r', 'a', 'example.com')).toBe(jobId('r', 'a', 'example.com'));
    expect(jobId('r', 'a', 'example.com')).not.toBe(jobId('r', 'b', 'example.com'));
    expect(jobId('r', 'a', 'example.com')).not.toBe(jobId('r', 'a', 'example.org'));
    expect(jobId('r', 'a', 'example.com')).not.toContain(':');
    const o = job().options as FleetJob['options'];
    expect(jobId('r', 'a', 'example.com', o)).toBe(jobId('r', 'a', 'example.com', { ...o }));
    expect(jobId('r', 'a', 'example.com', o)).not.toBe(jobId('r', 'a', 'example.com', { ...o, stopAfter: 'ehlo' }));
  });
  it('queue names refuse unsafe vantage names', () => {
    expect(queueName('relay-1')).toBe('mxprobe-relay-1');
    expect(() => queueName('x y')).toThrow(FleetJobError);
  });
});
