import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectMessage, parseAuthenticationResults, parseReceived, isHostnameSymbol } from '../../src/analysis/inspect.js';
import { UsageError } from '../../src/errors.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/headers/${name}`, import.meta.url), 'utf8');

describe('parseReceived', () => {
  it.each([
    {
      name: 'Postfix, PTR verified',
      raw: 'from good.example.test (good.example.test [127.0.0.10]) by mx.example.test (Postfix) with ESMTPS id 4XyzAbC for <seed@example.test>; Tue,  7 Nov 2023 10:00:02 +0000 (UTC)',
      want: { style: 'postfix', helo: 'good.example.test', rdns: 'good.example.test', ip: '127.0.0.10', by: 'mx.example.test', with: 'ESMTPS', id: '4XyzAbC', for: 'seed@example.test', software: 'Postfix' },
    },
    {
      name: 'Postfix, no PTR',
      raw: 'from helo (unknown [192.0.2.7]) by mx.example.test (Postfix) with ESMTP id ABC123; Tue, 7 Nov 2023 10:00:02 +0000',
      want: { style: 'postfix', helo: 'helo', rdns: null, ip: '192.0.2.7', with: 'ESMTP', id: 'ABC123' },
    },
    {
      name: 'Postfix, IPv6 literal with port logging',
      raw: 'from [IPv6:2001:db8::7] (unknown [IPv6:2001:db8::7]:41234) by mx.example.test (Postfix) with ESMTP id Q1; Tue, 7 Nov 2023 10:00:02 +0000',
      want: { style: 'postfix', helo: '[IPv6:2001:db8::7]', rdns: null, ip: '2001:db8::7', port: 41234 },
    },
    {
      name: 'Exim, IP first with helo=',
      raw: 'from [192.0.2.7] (helo=name.example) by mx.example.test with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <x@sender.example>) id 1abc-000123-AB for seed@example.test; Tue, 07 Nov 2023 10:00:02 +0000',
      want: { style: 'exim', helo: 'name.example', rdns: null, ip: '192.0.2.7', with: 'esmtps', id: '1abc-000123-AB', tls: 'TLS1.3 TLS_AES_256_GCM_SHA384', software: 'Exim 4.96' },
    },
    {
      name: 'Exim, verified host name first, HELO equal to it (no helo=)',
      raw: 'from host.sender.example ([192.0.2.8]:50123) by mx.example.test with esmtp (Exim 4.96) id 1abd-0001; Tue, 07 Nov 2023 10:00:02 +0000',
      want: { style: 'exim', helo: 'host.sender.example', rdns: 'host.sender.example', ip: '192.0.2.8', port: 50123 },
    },
    {
      name: 'Exim, verified host name first, different HELO',
      raw: 'from host.sender.example ([192.0.2.8] helo=other.example) by mx.example.test with esmtp (Exim 4.96) id 1abd-0002; Tue, 07 Nov 2023 10:00:02 +0000',
      want: { style: 'exim', helo: 'other.example', rdns: 'host.sender.example', ip: '192.0.2.8' },
    },
    {
      name: 'Sendmail, ident and may be forged',
      raw: 'from helo.example (probe@rdns.example [192.0.2.9] (may be forged)) by mx.example.test (8.17.1/8.17.1) with ESMTP id 3A7A02xk0; Tue, 7 Nov 2023 10:00:02 GMT',
      want: { style: 'sendmail', helo: 'helo.example', rdns: 'rdns.example', ip: '192.0.2.9', mayBeForged: true, software: '8.17.1/8.17.1', id: '3A7A02xk0' },
    },
    {
      name: 'Sendmail, no rDNS',
      raw: 'from helo.example ([192.0.2.9]) by mx.example.test (8.17.1/8.17.1) with ESMTP id 3A7A02xk1; Tue, 7 Nov 2023 10:00:02 GMT',
      want: { style: 'sendmail', helo: 'helo.example', rdns: null, ip: '192.0.2.9', mayBeForged: false },
    },
    {
      name: 'Microsoft SMTP Server',
      raw: 'from mail.sender.example (192.0.2.7) by EX01.corp.example (10.1.2.3) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7409.21; Tue, 7 Nov 2023 10:00:02 +0000',
      want: { style: 'exchange', helo: 'mail.sender.example', rdns: null, ip: '192.0.2.7', by: 'EX01.corp.example', with: 'Microsoft SMTP Server', id: '15.20.7409.21', tls: 'version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' },
    },
    {
      name: 'Gmail, PTR with trailing dot',
      raw: 'from mail.sender.example (mail.sender.example. [192.0.2.7]) by mx.google.com with ESMTPS id x12si1234567abc.12.2023.11.07.02.00.02 for <seed@gmail.example> (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Tue, 07 Nov 2023 02:00:02 -0800 (PST)',
      want: { style: 'unknown', helo: 'mail.sender.example', rdns: 'mail.sender.example', ip: '192.0.2.7', for: 'seed@gmail.example' },
    },
  ])('$name', ({ raw, want }) => {
    const hop = parseReceived(raw);
    const { helo, rdns, ip, port, mayBeForged, ...rest } = want as Record<string, unknown>;
    expect(hop.from).not.toBeNull();
    if (helo !== undefined) expect(hop.from?.helo).toBe(helo);
    if (rdns !== undefined) expect(hop.from?.rdns).toBe(rdns);
    if (ip !== undefined) expect(hop.from?.ip).toBe(ip);
    if (port !== undefined) expect(hop.from?.port).toBe(port);
    if (mayBeForged !== undefined) expect(hop.from?.mayBeForged).toBe(mayBeForged);
    expect(hop).toMatchObject(rest);
    expect(hop.date).toMatch(/2023/);
  });

  it('keeps a field without a date or from clause parseable', () => {
    const hop = parseReceived('by mx.example.test (Postfix, from userid 0) id 0123ABC');
    expect(hop.from).toBeNull();
    expect(hop.by).toBe('mx.example.test');
    expect(hop.date).toBeNull();
    expect(hop.id).toBe('0123ABC');
  });
});

describe('parseAuthenticationResults', () => {
  it('reads methods, properties, reasons and drops comments (RFC 8601 §2.2)', () => {
    const ar = parseAuthenticationResults(
      'mx.example.test 1; spf=softfail (domain owner discourages use) smtp.helo=bad.example smtp.mailfrom="a;b"@example.test; dkim=fail reason="signature verification failed" header.d=example.test header.s=sel; dmarc=fail (p=reject) header.from=example.test',
    );
    expect(ar.authservId).toBe('mx.example.test');
    expect(ar.results).toEqual([
      { method: 'spf', result: 'softfail', reason: null, props: { 'smtp.helo': 'bad.example', 'smtp.mailfrom': 'a;b@example.test' } },
      { method: 'dkim', result: 'fail', reason: 'signature verification failed', props: { 'header.d': 'example.test', 'header.s': 'sel' } },
      { method: 'dmarc', result: 'fail', reason: null, props: { 'header.from': 'example.test' } },
    ]);
  });

  it('treats "none" as no results', () => {
    expect(parseAuthenticationResults('mx.example.test; none').results).toEqual([]);
  });
});

describe('isHostnameSymbol', () => {
  it.each([
    ['HELO_DYNAMIC_IPADDR', true], ['RDNS_NONE', true], ['RDNS_DYNAMIC', true], ['HFILTER_HELO_BAREIP', true],
    ['HFILTER_HOSTNAME_UNKNOWN', true], ['SPF_HELO_NONE', true], ['RCVD_NUMERIC_HELO', true],
    ['HFILTER_URL_ONLY', false], ['MIME_GOOD', false], ['BAYES_50', false], ['DKIM_SIGNED', false],
  ])('%s -> %s', (name, want) => expect(isHostnameSymbol(name)).toBe(want));
});

describe('inspectMessage', () => {
  it('Postfix + SpamAssassin: entry hop, folded tests list, report scores, findings', () => {
    const r = inspectMessage(fixture('postfix-spamassassin.eml'));
    expect(r.messageCount).toBe(1);
    expect(r.token).toBe('9f8e7d6c5b4a39281706f5e4d3c2b1a0');
    expect(r.heloSent).toBe('dyn-192-0-2-7.example.net');
    expect(r.heloSentFrom).toBe('header');
    expect(r.sourceSent).toBe('192.0.2.7');
    expect(r.received).toHaveLength(2);
    // The internal content-filter hop on top is not ours: the entry hop is the bottom one.
    expect(r.entryHop?.index).toBe(1);
    expect(r.entryHop?.from).toMatchObject({ helo: 'dyn-192-0-2-7.example.net', rdns: null, ip: '192.0.2.7' });
    expect(r.entryHop?.tls).toMatch(/^using TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384/);
    expect(r.entryHop?.id).toBe('4XyzQ1Hd7Gz9sWZ');

    const sa = r.spam.find((s) => s.engine === 'spamassassin');
    expect(sa).toMatchObject({ isSpam: true, score: 6.1, threshold: 5 });
    expect(sa?.symbols.map((s) => s.name)).toEqual(['HELO_DYNAMIC_IPADDR', 'RDNS_NONE', 'SPF_HELO_NONE', 'SPF_NONE', 'TVD_RCVD_IP']);
    expect(sa?.symbols.find((s) => s.name === 'HELO_DYNAMIC_IPADDR')).toMatchObject({
      score: 3.2,
      hostnameRelated: true,
      detail: "Relay HELO'd using suspicious hostname (IP addr 1 part)",
    });
    expect(sa?.symbols.find((s) => s.name === 'RDNS_NONE')?.score).toBe(1.3);

    const byId = (id: string) => r.findings.filter((f) => f.id === id);
    expect(byId('helo-recorded')).toEqual([expect.objectContaining({ status: 'pass' })]);
    expect(byId('rdns')).toEqual([expect.objectContaining({ status: 'warn' })]);
    expect(byId('spf-helo')).toEqual([expect.objectContaining({ status: 'info', detail: expect.stringContaining('dyn-192-0-2-7.example.net') })]);
    expect(byId('spam-verdict')[0]?.status).toBe('fail');
    const symbols = byId('spam-symbol').map((f) => f.symbol?.name);
    expect(symbols).toEqual(['HELO_DYNAMIC_IPADDR', 'RDNS_NONE', 'SPF_HELO_NONE']);
    expect(byId('spam-symbol').find((f) => f.symbol?.name === 'HELO_DYNAMIC_IPADDR')?.status).toBe('warn');
    expect(byId('spam-symbol').find((f) => f.symbol?.name === 'SPF_HELO_NONE')?.status).toBe('info');
  });

  it('a --helo that differs from what was recorded is a warning', () => {
    const r = inspectMessage(fixture('postfix-spamassassin.eml'), { heloSent: 'mail.sender.example.test' });
    expect(r.heloSentFrom).toBe('option');
    // The entry hop falls back to the source IP recorded in X-Mxprobe-Source.
    expect(r.entryHop?.index).toBe(1);
    expect(r.findings.find((f) => f.id === 'helo-recorded')).toMatchObject({ status: 'warn' });
  });

  it('Exim + Rspamd: bare-IP HELO, HFILTER symbols with scores, URL symbols not hostname-related', () => {
    const r = inspectMessage(fixture('exim-rspamd.eml'));
    expect(r.heloSent).toBe('192.0.2.7');
    expect(r.heloSentFrom).toBe('body');
    expect(r.entryHop?.from).toMatchObject({ helo: '192.0.2.7', ip: '192.0.2.7', rdns: null });
    expect(r.entryHop?.software).toBe('Exim 4.96');
    const rs = r.spam.find((s) => s.engine === 'rspamd');
    expect(rs).toMatchObject({ isSpam: false, score: 7.4, threshold: 15, action: 'add header' });
    expect(rs?.symbols).toHaveLength(8);
    expect(rs?.symbols[0]).toEqual({ name: 'HFILTER_HELO_BAREIP', score: 3, detail: '192.0.2.7,1', hostnameRelated: true });
    const fired = r.findings.filter((f) => f.id === 'spam-symbol').map((f) => [f.symbol?.name, f.symbol?.score]);
    expect(fired).toEqual([['HFILTER_HELO_BAREIP', 3], ['RDNS_NONE', 2], ['HFILTER_HOSTNAME_UNKNOWN', 2.5]]);
    expect(r.spam.some((s) => s.engine === 'spamassassin')).toBe(false);
  });

  it('Sendmail "may be forged" and Received-SPF identity=helo', () => {
    const r = inspectMessage(fixture('sendmail-forged.eml'), { heloSent: 'mail.sender.example.test' });
    expect(r.entryHop?.from).toMatchObject({ helo: 'mail.sender.example.test', rdns: 'host7.isp.example', mayBeForged: true });
    expect(r.findings.find((f) => f.id === 'rdns')).toMatchObject({ status: 'warn', detail: expect.stringContaining('may be forged') });
    expect(r.findings.find((f) => f.id === 'helo-rdns')).toMatchObject({ status: 'warn' });
    expect(r.findings.find((f) => f.id === 'spf-helo')).toMatchObject({ status: 'pass' });
    expect(r.receivedSpf[0]?.params).toMatchObject({ 'client-ip': '192.0.2.7', helo: 'mail.sender.example.test', identity: 'helo' });
  });

  it('Exchange: folded at odd places, two Microsoft hops, HELO matched to the entry hop', () => {
    const r = inspectMessage(fixture('exchange.eml'), { heloSent: 'mail.sender.example.test' });
    expect(r.received).toHaveLength(2);
    expect(r.received[0]?.from?.ip).toBe('2603:10b6:408:e3:cafe::5a');
    expect(r.entryHop?.index).toBe(1);
    expect(r.entryHop).toMatchObject({ by: 'BN8NAM11FT012.mail.protection.outlook.com', with: 'Microsoft SMTP Server', id: '15.20.7409.21', style: 'exchange' });
    expect(r.entryHop?.from).toMatchObject({ helo: 'mail.sender.example.test', ip: '192.0.2.7' });
    const ar = r.authenticationResults[0];
    // Microsoft omits the authserv-id; its first part is already a result.
    expect(ar?.authservId).toBe('');
    expect(ar?.results.map((m) => [m.method, m.result])).toEqual([['spf', 'pass'], ['dkim', 'none'], ['dmarc', 'bestguesspass'], ['compauth', 'pass']]);
    expect(ar?.results[0]?.props).toEqual({ 'smtp.mailfrom': 'sender.example.test' });
    expect(r.findings.find((f) => f.id === 'spf-mailfrom')?.status).toBe('pass');
    expect(r.findings.find((f) => f.id === 'helo-recorded')?.status).toBe('pass');
  });

  it('mbox: the last message by default, --token selects another, unknown token is a usage error', () => {
    const raw = fixture('two-messages.mbox');
    const last = inspectMessage(raw);
    expect(last.messageCount).toBe(2);
    expect(last.selected).toBe(2);
    expect(last.token).toBe('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
    expect(last.entryHop?.from).toMatchObject({ helo: 'second.sender.example.test', rdns: null, ip: '127.0.0.11' });

    const first = inspectMessage(raw, { token: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' });
    expect(first.selected).toBe(1);
    expect(first.subject).toBe('mxprobe test aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(first.findings.find((f) => f.id === 'helo-rdns')).toMatchObject({ status: 'pass' });

    expect(() => inspectMessage(raw, { token: 'nope' })).toThrow(UsageError);
  });

  it('CRLF input and a message without Received: fields', () => {
    const r = inspectMessage('Subject: hi\r\nX-Mxprobe-Token: t1\r\n\r\nbody\r\n');
    expect(r.token).toBe('t1');
    expect(r.received).toEqual([]);
    expect(r.entryHop).toBeNull();
    expect(r.findings[0]).toMatchObject({ id: 'helo-recorded', status: 'warn' });
  });
});
