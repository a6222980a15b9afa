import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registerInspect } from '../../src/cli/inspect.js';
import { runSub } from '../deliver/cli-harness.js';

const fixtures = fileURLToPath(new URL('../fixtures/headers/', import.meta.url));

describe('mxprobe inspect', () => {
  it('prints the Received chain, spam symbols and findings as a table', async () => {
    const r = await runSub(registerInspect, ['inspect', 'postfix-spamassassin.eml'], { cwd: fixtures });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('from HELO dyn-192-0-2-7.example.net  rDNS -  IP 192.0.2.7');
    expect(r.stdout).toMatch(/^\* 1 {2}from HELO/m);
    expect(r.stdout).toContain('hostname symbols: HELO_DYNAMIC_IPADDR(3.2) RDNS_NONE(1.3) SPF_HELO_NONE(0)');
    expect(r.stdout).toMatch(/PASS\s+helo-recorded/);
    expect(r.stdout).toMatch(/WARN\s+rdns/);
  });

  it('--format json with --token over an mbox on stdin', async () => {
    const mbox = readFileSync(`${fixtures}/two-messages.mbox`, 'utf8');
    const r = await runSub(registerInspect, ['inspect', '-', '--token', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '--format', 'json'], { stdin: mbox });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { selected: number; messageCount: number; entryHop: { from: { helo: string } } };
    expect(j.messageCount).toBe(2);
    expect(j.selected).toBe(1); // 1-based, like the table
    expect(j.entryHop.from.helo).toBe('first.sender.example.test');
  });

  it('strips terminal control sequences from header text in the table', async () => {
    const raw = 'Received: from evil\x1b[2J\x1b]0;pwned\x07.example (unknown [192.0.2.7]) by mx.example.test (Postfix) with ESMTP id Q1; Tue, 7 Nov 2023 10:00:00 +0000\nSubject: hi\x1b[31m\n\nbody\n';
    const r = await runSub(registerInspect, ['inspect', '-'], { stdin: raw });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).not.toContain('\x07');
    // JSON keeps the verbatim value (escaped by the serializer).
    const j = await runSub(registerInspect, ['inspect', '-', '--format', 'json'], { stdin: raw });
    expect(JSON.parse(j.stdout).subject).toBe('hi\x1b[31m');
  });

  it('usage errors exit 2: missing file, unknown token, bad format', async () => {
    expect((await runSub(registerInspect, ['inspect', 'nope.eml'], { cwd: fixtures })).code).toBe(2);
    const t = await runSub(registerInspect, ['inspect', 'two-messages.mbox', '--token', 'zzz'], { cwd: fixtures });
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('no message with X-Mxprobe-Token: zzz');
    expect((await runSub(registerInspect, ['inspect', 'exchange.eml', '--format', 'xml'], { cwd: fixtures })).code).toBe(2);
  });
});
