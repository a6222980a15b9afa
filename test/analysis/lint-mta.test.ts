/** The per-MTA HELO fix lines of `mxprobe lint` (issue 13). */
import { describe, expect, it } from 'vitest';
import { mtaFixes } from '../../src/analysis/lint-mta.js';
import { formatLintTable } from '../../src/report/lint.js';
import type { LintResult } from '../../src/analysis/lint.js';

describe('mtaFixes', () => {
  const fixes = mtaFixes('mail.example.net');
  const by = (mta: string) => fixes.find((f) => f.mta === mta);

  it('covers Postfix, Exim, Exchange, Sendmail, OpenSMTPD, Haraka, KumoMTA and PowerMTA, each with a line, a place and a source', () => {
    expect(fixes.map((f) => f.mta)).toEqual(['Postfix', 'Exim', 'Microsoft Exchange', 'Sendmail', 'OpenSMTPD', 'Haraka', 'KumoMTA', 'PowerMTA']);
    for (const f of fixes) {
      expect(f.line).toContain('mail.example.net');
      expect(f.where.length).toBeGreaterThan(20);
      expect(f.source.length).toBeGreaterThan(5);
    }
  });

  it('gives the documented setting of each MTA', () => {
    expect(by('Postfix')?.line).toBe('smtp_helo_name = mail.example.net');
    expect(by('Exim')?.line).toBe('helo_data = mail.example.net');
    expect(by('Microsoft Exchange')?.line).toBe('Set-SendConnector -Identity "<send connector>" -Fqdn mail.example.net');
    expect(by('Microsoft Exchange')?.where).toMatch(/Set-ReceiveConnector .* -Fqdn mail\.example\.net/);
    expect(by('Sendmail')?.line).toBe("define(`confHELO_NAME', `mail.example.net')dnl");
    expect(by('Sendmail')?.where).toContain('Djmail.example.net');
    expect(by('OpenSMTPD')?.line).toBe('action "outbound" relay helo mail.example.net');
    expect(by('Haraka')?.line).toBe('echo mail.example.net > config/me');
    expect(by('Haraka')?.where).toContain('outbound_helo');
    expect(by('KumoMTA')?.line).toContain("ehlo_domain = 'mail.example.net'");
    expect(by('PowerMTA')?.line).toBe('smtp-source-host <source ip> mail.example.net');
    expect(by('PowerMTA')?.source).toMatch(/unverified/);
  });

  it('fills in the source IP where the setting names one', () => {
    const withIp = mtaFixes('mail.example.net', '192.0.2.7');
    expect(withIp.find((f) => f.mta === 'KumoMTA')?.line).toContain("source_address = '192.0.2.7'");
    expect(withIp.find((f) => f.mta === 'PowerMTA')?.line).toBe('smtp-source-host 192.0.2.7 mail.example.net');
  });
});

describe('lint table', () => {
  it('ends with the line for every MTA and where it goes, terminal controls stripped', () => {
    const name = 'mail.example.net';
    const r: LintResult = {
      helo: 'x\u001b[31m', sourceIp: '192.0.2.7', checks: [{ id: 'helo-fqdn', status: 'fail', detail: 'not a FQDN' }], predictions: [],
      fix: { dns: [], postfix: `smtp_helo_name = ${name}`, exim: `helo_data = ${name}`, mta: mtaFixes(name), notes: [] },
      failed: true, unjudged: [],
    };
    const out = formatLintTable(r);
    expect(out).not.toContain('\u001b');
    expect(out).toContain('Postfix main.cf:      smtp_helo_name = mail.example.net');
    expect(out).toMatch(/Microsoft Exchange: +Set-SendConnector -Identity "<send connector>" -Fqdn mail\.example\.net/);
    expect(out).toMatch(/Sendmail: +define\(`confHELO_NAME', `mail\.example\.net'\)dnl\n +\(sendmail\.mc/);
    expect(out).toMatch(/OpenSMTPD: +action "outbound" relay helo mail\.example\.net/);
    expect(out).toMatch(/Haraka: +echo mail\.example\.net > config\/me/);
    expect(out).toMatch(/KumoMTA: +kumo\.make_egress_source/);
    expect(out).toMatch(/PowerMTA: +smtp-source-host <source ip> mail\.example\.net/);
  });
});
