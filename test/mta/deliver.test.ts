/**
 * `mxprobe deliver` against the lab Postfix, then `mxprobe inspect` on the file Postfix's local(8)
 * wrote: the message really arrives (once), the Received: field Postfix wrote carries the HELO and
 * source address deliver used, the token round-trips, and the queue id deliver read from the final
 * reply is the one Postfix logged. A non-FQDN HELO is refused at RCPT (smtpd_delay_reject) with 504
 * and deliver says so with exit 1.
 * Depends on: deliver --to --helo --source --resolver --format json (exit 0 delivered, 1 not);
 * inspect <mbox> --token --format json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeliverResult } from '../../src/deliver/deliver.js';
import type { InspectResult } from '../../src/analysis/inspect.js';
import { LAB_ADDRESSES as A, LAB_NAMES as N, postfixConfigDir, type Lab } from './lab.js';
import { describeRun, mxprobe, type CliRun } from './mxprobe.js';
import { parseRcptEvents } from './postfix-log.js';
import { SKIP_LAB, useLab } from './suite.js';

const RCPT = `user@${N.domain}`;

function json<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch (e) {
    throw new Error(`no JSON from mxprobe: ${String(e)}\n${describeRun(run)}\nstdout:\n${run.stdout}`);
  }
}

/**
 * Where local(8) appends mail for `user`: the lab's aliases map sends it to an mbox file under the
 * lab dir (allow_mail_to_files = alias). Read from the aliases file so the test follows lab.ts.
 */
function mailboxOf(lab: Lab, user: string): string {
  const aliases = readFileSync(join(postfixConfigDir(lab.dir), 'aliases'), 'utf8');
  const line = aliases.split('\n').find((l) => l.startsWith(`${user} /`));
  if (!line) throw new Error(`no file alias for ${user} in the lab aliases:\n${aliases}`);
  return line.slice(user.length + 1).trim();
}

function readMailbox(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Messages in an mbox: local(8) starts each with a "From " line and quotes body lines as ">From ". */
function mboxCount(mbox: string): number {
  return (mbox.match(/^From /gm) ?? []).length;
}

function deliverArgs(helo: string, source: string, extra: readonly string[] = []): string[] {
  return ['deliver', '--to', RCPT, '--helo', helo, '--source', source, '--resolver', A.dns, '--format', 'json', '--timeout', '15000', ...extra];
}

describe.skipIf(SKIP_LAB)('mxprobe deliver into the lab Postfix, read back with inspect', () => {
  const ctx = useLab('deliver');

  it('delivers exactly one message; Received: has the HELO and source; token and queue id match Postfix', async () => {
    const lab = ctx.lab;
    const mailbox = mailboxOf(lab, 'user');
    const before = readMailbox(mailbox);
    const mark = lab.logMark();

    const run = await mxprobe(lab, deliverArgs(N.good, A.good), 60_000);
    const result = json<DeliverResult>(run);
    expect(run.code, describeRun(run)).toBe(0);
    expect(result.dryRun).toBe(false);
    expect(result.helo).toBe(N.good);
    expect(result.source).toBe(A.good);
    expect(result.route.via).toBe('mx');
    expect(result.messages).toHaveLength(1);
    const [m] = result.messages;
    if (!m) throw new Error('no message');
    expect(m.outcome, run.stdout).toBe('delivered');
    expect(m.host).toEqual({ exchange: N.mx, ip: A.mx, port: 25 });
    expect(m.attempts).toHaveLength(1);
    expect(m.attempts[0]?.local?.address).toBe(A.good);
    // Postfix cleanup(8)'s reply to the end of data: "250 2.0.0 Ok: queued as <id>".
    expect(m.finalReply ?? '', run.stdout).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Za-z]+/);
    expect(m.queueId?.style).toBe('postfix');
    const qid = m.queueId?.id ?? '';
    expect(m.finalReply).toContain(`queued as ${qid}`);
    expect(m.token).toMatch(/^[0-9a-f]{32}$/);

    // Postfix's own record of that queue id: the client smtpd saw, the Message-ID cleanup read,
    // local(8) writing it to the mailbox file, qmgr removing it.
    const log = await lab.waitForLog(new RegExp(`${qid}: removed`), mark, 20_000);
    const lines = log.split('\n');
    const q = (re: RegExp): string[] => lines.filter((l) => l.includes(` ${qid}: `) && re.test(l));
    expect(q(/postfix\/smtpd\[\d+\]: \w+: client=good\.example\.test\[127\.0\.0\.10\]$/), log).toHaveLength(1);
    expect(q(new RegExp(`postfix/cleanup\\[\\d+\\]: \\w+: message-id=${escapeRe(m.messageId)}$`)), log).toHaveLength(1);
    expect(q(new RegExp(`postfix/local\\[\\d+\\]: \\w+: to=<${escapeRe(RCPT)}>.*status=sent \\(delivered to file: ${escapeRe(mailbox)}\\)`)), log).toHaveLength(1);
    // Exactly one message went through the queue in this window, and nothing was rejected.
    expect(lines.filter((l) => / postfix\/cleanup\[\d+\]: \w+: message-id=/.test(l)), log).toHaveLength(1);
    expect(lines.filter((l) => /status=sent/.test(l)), log).toHaveLength(1);
    expect(parseRcptEvents(log).filter((e) => e.kind === 'reject'), log).toEqual([]);

    // Exactly one message arrived in the mailbox, and it is ours.
    const after = readMailbox(mailbox);
    expect(after.startsWith(before)).toBe(true);
    const arrived = after.slice(before.length);
    expect(mboxCount(arrived), arrived).toBe(1);
    expect(arrived).toContain(`X-Mxprobe-Token: ${m.token}`);
    // The Received: field Postfix's smtpd prepended, checked as text before trusting inspect's parser:
    // "from <helo> (<rdns> [<ip>]) by mx.example.test (Postfix) with ESMTPS id <qid> for <rcpt>".
    const received = /^Received: from (\S+) \((\S+) \[([\d.]+)\]\)\r?\n\s+(?:\(.*\)\r?\n\s+)?by (\S+) \(Postfix\) with (\S+) id (\w+)/m.exec(arrived);
    expect(received, arrived).not.toBeNull();
    expect(received?.slice(1)).toEqual([N.good, N.good, A.good, N.mx, 'ESMTPS', qid]);

    // inspect on the mbox file, picking the message by the token deliver reported.
    const ins = await mxprobe(lab, ['inspect', mailbox, '--token', m.token, '--format', 'json']);
    const r = json<InspectResult>(ins);
    expect(ins.code, describeRun(ins)).toBe(0);
    expect(r.messageCount).toBe(mboxCount(after));
    expect(r.token).toBe(m.token);
    expect(r.messageId).toBe(m.messageId);
    expect(r.heloSent).toBe(N.good);
    expect(r.heloSentFrom).toBe('header');
    expect(r.sourceSent).toBe(A.good);
    const hop = r.entryHop;
    expect(hop?.style, ins.stdout).toBe('postfix');
    expect(hop?.by).toBe(N.mx);
    expect(hop?.id).toBe(qid);
    expect(hop?.from?.helo).toBe(N.good);
    expect(hop?.from?.rdns).toBe(N.good);
    expect(hop?.from?.ip).toBe(A.good);
    const findings = Object.fromEntries(r.findings.map((f) => [f.id, f.status]));
    expect(findings['helo-recorded'], ins.stdout).toBe('pass');
    expect(findings['rdns'], ins.stdout).toBe('pass');
    expect(r.findings.filter((f) => f.status === 'fail'), ins.stdout).toEqual([]);
  });

  it('HELO localhost from a source without PTR: 504 at RCPT, exit 1, nothing in the mailbox', async () => {
    const lab = ctx.lab;
    const mailbox = mailboxOf(lab, 'user');
    const before = readMailbox(mailbox);
    const mark = lab.logMark();

    // deliver's default sender is postmaster@<helo>, which needs a domain: name one explicitly.
    const run = await mxprobe(lab, deliverArgs('localhost', A.noPtr, ['--from', `postmaster@${N.good}`]), 60_000);
    const result = json<DeliverResult>(run);
    expect(run.code, describeRun(run)).toBe(1);
    expect(result.messages).toHaveLength(1);
    const [m] = result.messages;
    if (!m) throw new Error('no message');
    expect(m.outcome, run.stdout).toBe('rejected');
    expect(m.queueId).toBeNull();
    expect(m.host).toEqual({ exchange: N.mx, ip: A.mx, port: 25 });
    // RFC 5321 §4.2.1: a 5yz is final, so one attempt only.
    expect(m.attempts).toHaveLength(1);
    expect(m.attempts[0]?.status).toBe('rejected');
    expect(m.attempts[0]?.code).toBe(504);
    expect(m.finalReply ?? '').toMatch(/^504 5\.5\.2 <localhost>: Helo command rejected: need fully-qualified hostname/);

    // Postfix logged the same refusal, at RCPT, for this client and HELO, and queued nothing.
    const log = await lab.waitForLog((l) => parseRcptEvents(l).some((e) => e.kind === 'reject' && e.clientIp === A.noPtr), mark);
    const rejects = parseRcptEvents(log).filter((e) => e.kind === 'reject');
    expect(rejects, log).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ service: 'postfix/smtpd', clientName: 'unknown', clientIp: A.noPtr, helo: 'localhost', to: RCPT, code: 504, enhanced: '5.5.2' });
    expect(m.finalReply?.split('\n')[0]).toBe(rejects[0]?.reply);
    // Let the session end, then check nothing reached the queue or a mailbox.
    await lab.waitForLog(new RegExp(`disconnect from unknown\\[${escapeRe(A.noPtr)}\\]`), mark);
    const all = lab.logSince(mark);
    expect(all, 'nothing queued').not.toMatch(/postfix\/cleanup\[\d+\]: \w+: message-id=/);
    expect(all).not.toMatch(/status=sent/);
    const after = readMailbox(mailbox);
    expect(after).toBe(before);
    expect(after).not.toContain(m.token);
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
