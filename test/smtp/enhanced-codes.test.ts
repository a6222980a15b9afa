import { describe, expect, it } from 'vitest';
import { describeEnhanced, ENHANCED_DETAILS, parseEnhanced } from '../../src/smtp/enhanced-codes.js';

describe('describeEnhanced', () => {
  const cases: Array<[string, string]> = [
    ['2.0.0', 'Success: Other or undefined status: Other undefined status (RFC 3463)'],
    ['2.1.5', 'Success: Addressing status: Destination address valid (RFC 3463)'],
    ['5.1.1', 'Permanent failure: Addressing status: Bad destination mailbox address (RFC 3463)'],
    ['4.2.2', 'Persistent transient failure: Mailbox status: Mailbox full (RFC 3463)'],
    ['5.7.1', 'Permanent failure: Security or policy status: Delivery not authorized, message refused (RFC 3463)'],
    ['4.7.1', 'Persistent transient failure: Security or policy status: Delivery not authorized, message refused (RFC 3463)'],
    ['5.7.11', 'Permanent failure: Security or policy status: Encryption required for requested authentication mechanism (RFC 4954)'],
    ['5.7.23', 'Permanent failure: Security or policy status: SPF validation failed (RFC 7372)'],
    ['5.7.25', 'Permanent failure: Security or policy status: Reverse DNS validation failed (RFC 7372)'],
    ['5.7.26', 'Permanent failure: Security or policy status: Multiple authentication checks failed (RFC 7372)'],
    ['5.7.27', 'Permanent failure: Security or policy status: Sender address has null MX (RFC 7505)'],
    ['5.1.10', 'Permanent failure: Addressing status: Recipient address has null MX (RFC 7505)'],
    ['5.7.30', 'Permanent failure: Security or policy status: REQUIRETLS support required (RFC 8689)'],
    ['4.4.5', 'Persistent transient failure: Network and routing status: Mail system congestion (RFC 3463)'],
    ['5.5.2', 'Permanent failure: Mail delivery protocol status: Syntax error (RFC 3463)'],
    ['5.6.7', 'Permanent failure: Message content or media status: Non-ASCII addresses not permitted for that sender/recipient (RFC 6531)'],
    // Private codes seen in the wild (Microsoft 4.7.650, unassigned subject 9) are described, not refused.
    ['4.7.650', 'Persistent transient failure: Security or policy status: unregistered detail 7.650'],
    ['5.9.1', 'Permanent failure: Unregistered subject 9: unregistered detail 9.1'],
  ];
  for (const [code, meaning] of cases) {
    it(code, () => {
      expect(describeEnhanced(code)).toBe(meaning);
    });
  }

  it('5.7.0 mentions authentication/STARTTLS required (RFC 4954, RFC 3207)', () => {
    const d = describeEnhanced('5.7.0');
    expect(d).toMatch(/^Permanent failure: Security or policy status: Other or undefined security status/);
    expect(d).toMatch(/RFC 4954/);
    expect(d).toMatch(/RFC 3207/);
  });

  const invalid = ['', '5.7', '5.7.1.1', '3.0.0', '1.2.3', '6.0.0', '5.7.1234', '5.1000.1', 'x.7.1', ' 5.7.1', '5.7.1 ', '5..1', '550'];
  for (const code of invalid) {
    it(`${JSON.stringify(code)} -> null`, () => {
      expect(describeEnhanced(code)).toBeNull();
    });
  }
});

describe('parseEnhanced', () => {
  it('splits class, subject, detail', () => {
    expect(parseEnhanced('4.7.650')).toEqual({ klass: 4, subject: 7, detail: 650 });
    expect(parseEnhanced('4.7')).toBeNull();
  });
});

describe('ENHANCED_DETAILS', () => {
  it('every key is X.subject.detail with a subject 0-7 and names an RFC', () => {
    for (const [key, v] of Object.entries(ENHANCED_DETAILS)) {
      expect(key).toMatch(/^X\.[0-7]\.\d{1,3}$/);
      expect(v.rfc).toMatch(/^RFC \d+$/);
      expect(v.meaning.length).toBeGreaterThan(0);
    }
  });

  it('covers RFC 7372 X.7.20-X.7.26 completely', () => {
    for (let d = 20; d <= 26; d++) expect(ENHANCED_DETAILS[`X.7.${d}`]?.rfc).toBe('RFC 7372');
  });
});
