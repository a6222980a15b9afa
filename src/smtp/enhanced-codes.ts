/**
 * RFC 3463 enhanced mail system status codes: class.subject.detail, with meanings from the IANA
 * "SMTP Enhanced Status Codes" registry (RFC 5248) and the RFCs that registered later codes.
 * Detail codes are defined per subject and shared by all classes ("X.7.1" is 4.7.1 and 5.7.1).
 */

export interface EnhancedCodeParts {
  /** 2 success, 4 persistent transient failure, 5 permanent failure (RFC 3463 §3.1). */
  klass: 2 | 4 | 5;
  subject: number;
  detail: number;
}

/** RFC 3463 §2: class "." subject "." detail, subject and detail 1*3digit. */
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})$/;

export function parseEnhanced(code: string): EnhancedCodeParts | null {
  const m = ENHANCED.exec(code);
  if (!m) return null;
  return { klass: Number(m[1]) as 2 | 4 | 5, subject: Number(m[2]), detail: Number(m[3]) };
}

/** RFC 3463 §3.1. */
export const ENHANCED_CLASSES: Readonly<Record<2 | 4 | 5, string>> = Object.freeze({
  2: 'Success',
  4: 'Persistent transient failure',
  5: 'Permanent failure',
});

/** RFC 3463 §3.2. */
export const ENHANCED_SUBJECTS: Readonly<Record<number, string>> = Object.freeze({
  0: 'Other or undefined status',
  1: 'Addressing status',
  2: 'Mailbox status',
  3: 'Mail system status',
  4: 'Network and routing status',
  5: 'Mail delivery protocol status',
  6: 'Message content or media status',
  7: 'Security or policy status',
});

/** "X.subject.detail" → meaning, with the defining RFC. RFC 3463 §3.3-3.10 unless noted. */
export const ENHANCED_DETAILS: Readonly<Record<string, { meaning: string; rfc: string }>> = Object.freeze({
  'X.0.0': { meaning: 'Other undefined status', rfc: 'RFC 3463' },
  'X.1.0': { meaning: 'Other address status', rfc: 'RFC 3463' },
  'X.1.1': { meaning: 'Bad destination mailbox address', rfc: 'RFC 3463' },
  'X.1.2': { meaning: 'Bad destination system address', rfc: 'RFC 3463' },
  'X.1.3': { meaning: 'Bad destination mailbox address syntax', rfc: 'RFC 3463' },
  'X.1.4': { meaning: 'Destination mailbox address ambiguous', rfc: 'RFC 3463' },
  'X.1.5': { meaning: 'Destination address valid', rfc: 'RFC 3463' },
  'X.1.6': { meaning: 'Destination mailbox has moved, no forwarding address', rfc: 'RFC 3463' },
  'X.1.7': { meaning: "Bad sender's mailbox address syntax", rfc: 'RFC 3463' },
  'X.1.8': { meaning: "Bad sender's system address", rfc: 'RFC 3463' },
  'X.1.9': { meaning: 'Message relayed to non-compliant mailer', rfc: 'RFC 3886' },
  'X.1.10': { meaning: 'Recipient address has null MX', rfc: 'RFC 7505' },
  'X.2.0': { meaning: 'Other or undefined mailbox status', rfc: 'RFC 3463' },
  'X.2.1': { meaning: 'Mailbox disabled, not accepting messages', rfc: 'RFC 3463' },
  'X.2.2': { meaning: 'Mailbox full', rfc: 'RFC 3463' },
  'X.2.3': { meaning: 'Message length exceeds administrative limit', rfc: 'RFC 3463' },
  'X.2.4': { meaning: 'Mailing list expansion problem', rfc: 'RFC 3463' },
  'X.3.0': { meaning: 'Other or undefined mail system status', rfc: 'RFC 3463' },
  'X.3.1': { meaning: 'Mail system full', rfc: 'RFC 3463' },
  'X.3.2': { meaning: 'System not accepting network messages', rfc: 'RFC 3463' },
  'X.3.3': { meaning: 'System not capable of selected features', rfc: 'RFC 3463' },
  'X.3.4': { meaning: 'Message too big for system', rfc: 'RFC 3463' },
  'X.3.5': { meaning: 'System incorrectly configured', rfc: 'RFC 3463' },
  'X.3.6': { meaning: 'Requested priority was changed', rfc: 'RFC 6710' },
  'X.4.0': { meaning: 'Other or undefined network or routing status', rfc: 'RFC 3463' },
  'X.4.1': { meaning: 'No answer from host', rfc: 'RFC 3463' },
  'X.4.2': { meaning: 'Bad connection', rfc: 'RFC 3463' },
  'X.4.3': { meaning: 'Directory server failure', rfc: 'RFC 3463' },
  'X.4.4': { meaning: 'Unable to route', rfc: 'RFC 3463' },
  'X.4.5': { meaning: 'Mail system congestion', rfc: 'RFC 3463' },
  'X.4.6': { meaning: 'Routing loop detected', rfc: 'RFC 3463' },
  'X.4.7': { meaning: 'Delivery time expired', rfc: 'RFC 3463' },
  'X.5.0': { meaning: 'Other or undefined protocol status', rfc: 'RFC 3463' },
  'X.5.1': { meaning: 'Invalid command', rfc: 'RFC 3463' },
  'X.5.2': { meaning: 'Syntax error', rfc: 'RFC 3463' },
  'X.5.3': { meaning: 'Too many recipients', rfc: 'RFC 3463' },
  'X.5.4': { meaning: 'Invalid command arguments', rfc: 'RFC 3463' },
  'X.5.5': { meaning: 'Wrong protocol version', rfc: 'RFC 3463' },
  'X.5.6': { meaning: 'Authentication exchange line is too long', rfc: 'RFC 4954' },
  'X.6.0': { meaning: 'Other or undefined media error', rfc: 'RFC 3463' },
  'X.6.1': { meaning: 'Media not supported', rfc: 'RFC 3463' },
  'X.6.2': { meaning: 'Conversion required and prohibited', rfc: 'RFC 3463' },
  'X.6.3': { meaning: 'Conversion required but not supported', rfc: 'RFC 3463' },
  'X.6.4': { meaning: 'Conversion with loss performed', rfc: 'RFC 3463' },
  'X.6.5': { meaning: 'Conversion failed', rfc: 'RFC 3463' },
  'X.6.6': { meaning: 'Message content not available', rfc: 'RFC 4468' },
  'X.6.7': { meaning: 'Non-ASCII addresses not permitted for that sender/recipient', rfc: 'RFC 6531' },
  'X.6.8': { meaning: 'UTF-8 string reply is required, but not permitted by the SMTP client', rfc: 'RFC 6531' },
  'X.6.9': { meaning: 'UTF-8 header message cannot be transferred to one or more recipients', rfc: 'RFC 6531' },
  'X.7.0': { meaning: 'Other or undefined security status (also: authentication required, RFC 4954; must issue STARTTLS first, RFC 3207)', rfc: 'RFC 3463' },
  'X.7.1': { meaning: 'Delivery not authorized, message refused', rfc: 'RFC 3463' },
  'X.7.2': { meaning: 'Mailing list expansion prohibited', rfc: 'RFC 3463' },
  'X.7.3': { meaning: 'Security conversion required but not possible', rfc: 'RFC 3463' },
  'X.7.4': { meaning: 'Security features not supported', rfc: 'RFC 3463' },
  'X.7.5': { meaning: 'Cryptographic failure', rfc: 'RFC 3463' },
  'X.7.6': { meaning: 'Cryptographic algorithm not supported', rfc: 'RFC 3463' },
  'X.7.7': { meaning: 'Message integrity failure', rfc: 'RFC 3463' },
  'X.7.8': { meaning: 'Authentication credentials invalid', rfc: 'RFC 4954' },
  'X.7.9': { meaning: 'Authentication mechanism is too weak', rfc: 'RFC 4954' },
  'X.7.10': { meaning: 'Encryption needed', rfc: 'RFC 5248' },
  'X.7.11': { meaning: 'Encryption required for requested authentication mechanism', rfc: 'RFC 4954' },
  'X.7.12': { meaning: 'A password transition is needed', rfc: 'RFC 4954' },
  'X.7.13': { meaning: 'User account disabled', rfc: 'RFC 5248' },
  'X.7.14': { meaning: 'Trust relationship required', rfc: 'RFC 5248' },
  'X.7.15': { meaning: 'Priority level is too low', rfc: 'RFC 6710' },
  'X.7.16': { meaning: 'Message is too big for the specified priority', rfc: 'RFC 6710' },
  'X.7.17': { meaning: 'Mailbox owner has changed', rfc: 'RFC 7293' },
  'X.7.18': { meaning: 'Domain owner has changed', rfc: 'RFC 7293' },
  'X.7.19': { meaning: 'RRVS test cannot be completed', rfc: 'RFC 7293' },
  'X.7.20': { meaning: 'No passing DKIM signature found', rfc: 'RFC 7372' },
  'X.7.21': { meaning: 'No acceptable DKIM signature found', rfc: 'RFC 7372' },
  'X.7.22': { meaning: 'No valid author-matched DKIM signature found', rfc: 'RFC 7372' },
  'X.7.23': { meaning: 'SPF validation failed', rfc: 'RFC 7372' },
  'X.7.24': { meaning: 'SPF validation error', rfc: 'RFC 7372' },
  'X.7.25': { meaning: 'Reverse DNS validation failed', rfc: 'RFC 7372' },
  'X.7.26': { meaning: 'Multiple authentication checks failed', rfc: 'RFC 7372' },
  'X.7.27': { meaning: 'Sender address has null MX', rfc: 'RFC 7505' },
  'X.7.29': { meaning: 'ARC validation failure', rfc: 'RFC 8617' },
  'X.7.30': { meaning: 'REQUIRETLS support required', rfc: 'RFC 8689' },
});

/**
 * Human meaning of an RFC 3463 enhanced status code: "<class>: <subject>: <detail> (<RFC>)",
 * e.g. "Permanent failure: Security or policy status: Reverse DNS validation failed (RFC 7372)".
 * Unregistered subjects/details are described as such rather than refused, since servers do use
 * private ones. null if `code` is not of the form class.subject.detail.
 */
export function describeEnhanced(code: string): string | null {
  const parts = parseEnhanced(code);
  if (!parts) return null;
  const klass = ENHANCED_CLASSES[parts.klass];
  const subject = ENHANCED_SUBJECTS[parts.subject] ?? `Unregistered subject ${parts.subject}`;
  const entry = ENHANCED_DETAILS[`X.${parts.subject}.${parts.detail}`];
  const detail = entry ? `${entry.meaning} (${entry.rfc})` : `unregistered detail ${parts.subject}.${parts.detail}`;
  return `${klass}: ${subject}: ${detail}`;
}
