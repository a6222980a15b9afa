import { describe, expect, it } from 'vitest';
import { addressLiteral, buildIdentity, dynamicName, MATRIX_KINDS, parentDomain, parseIdentityKinds } from '../../src/probe/identities.js';

describe('identities', () => {
  it('parses kinds, "all", and refuses unknown ones', () => {
    expect(parseIdentityKinds('all')).toEqual([...MATRIX_KINDS]);
    expect(parseIdentityKinds('primary, localhost,primary')).toEqual(['primary', 'localhost']);
    expect(() => parseIdentityKinds('primary,bogus')).toThrow(/unknown kind "bogus"/);
    expect(() => parseIdentityKinds(' , ')).toThrow(/empty/);
  });

  const ctx = { primary: 'relay.mail.example.org', sourceIp: '192.0.2.7', source: '192.0.2.7', mismatchName: 'www.example.org', randomLabel: () => 'nx-abc' };
  it.each([
    ['primary', 'relay.mail.example.org'],
    ['literal', '[192.0.2.7]'],
    ['bare-ip', '192.0.2.7'],
    ['short', 'relay'],
    ['localhost', 'localhost'],
    ['nxdomain', 'nx-abc.mail.example.org'],
    ['mismatch', 'www.example.org'],
    ['dynamic', 'host-192-0-2-7.dynamic.mail.example.org'],
  ] as const)('%s → %s', (kind, name) => {
    const r = buildIdentity(kind, ctx);
    expect(r.ok && r.identity.name).toBe(name);
    expect(r.ok && r.identity.source).toBe('192.0.2.7');
  });

  it('IPv6 literals use the IPv6: tag (RFC 5321 §4.1.3)', () => {
    expect(addressLiteral('2001:db8::7')).toBe('[IPv6:2001:db8::7]');
    expect(dynamicName('2001:db8::7', 'example.org')).toBe('host-2001-0db8-0000-0000-0000-0000-0000-0007.dynamic.example.org');
    expect(dynamicName('2001:db8::', 'example.org')).not.toMatch(/-\./);
  });

  it('explains identities it cannot build', () => {
    const r = buildIdentity('mismatch', { ...ctx, mismatchName: null });
    expect(r.ok).toBe(false);
    const l = buildIdentity('literal', { ...ctx, sourceIp: null });
    expect(l.ok).toBe(false);
  });

  it('fresh nxdomain labels differ between calls', () => {
    const a = buildIdentity('nxdomain', { ...ctx, randomLabel: undefined as never });
    const b = buildIdentity('nxdomain', { ...ctx, randomLabel: undefined as never });
    expect(a.ok && b.ok && a.identity.name !== b.identity.name).toBe(true);
    expect(parentDomain('example.org')).toBe('example.org');
  });

  it('derives nothing from a primary that is an address literal or an IP', () => {
    for (const kind of ['short', 'nxdomain', 'dynamic'] as const) {
      const r = buildIdentity(kind, { ...ctx, primary: '[192.0.2.7]' });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toMatch(/not a domain name/);
    }
    expect(buildIdentity('localhost', { ...ctx, primary: '192.0.2.7' }).ok).toBe(true);
  });
});
