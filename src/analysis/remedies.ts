/**
 * One-line remedies, one per cause: what the operator of the SENDING host can do about it.
 * `none` (accepted) has no remedy. Kept apart from the rules so reports can show them without
 * loading the classifier.
 */
import type { Cause } from '../results.js';

export const REMEDIES: Record<Cause, string | null> = {
  'helo-missing':
    'Send EHLO (or HELO) right after the 220 greeting, before MAIL FROM (RFC 5321 §4.1.4).',
  'helo-syntax':
    'Use a syntactically valid EHLO argument: a domain name, or an address literal in brackets like [192.0.2.1] (RFC 5321 §4.1.1.1, §4.1.3).',
  'helo-not-fqdn':
    'Use a fully-qualified domain name for HELO/EHLO (e.g. mail.example.com), not a short name or "localhost" (RFC 5321 §2.3.5).',
  'helo-not-resolving':
    'Publish an A (or AAAA) record for the HELO name, pointing at the sending IP, or use a name that already resolves.',
  'helo-mismatch':
    'Make the HELO name match the sending IP: use the name the IP\'s PTR points to, with an A record back to the same IP.',
  'helo-policy':
    'Use a HELO name that does not look dynamic or generic, ideally the host\'s forward-confirmed PTR name; check the receiver\'s policy.',
  'no-ptr':
    'Ask the owner of the IP block (ISP/cloud provider) to publish a PTR record for the sending IP.',
  'fcrdns-fail':
    'Publish a PTR for the sending IP whose name has an A/AAAA record back to the same IP (forward-confirmed reverse DNS).',
  blocklist:
    'Look the sending IP up in the DNSBL or reputation service named in the reply, fix the cause, then request delisting.',
  greylist:
    'Nothing to fix: retry later from the same IP (greylisting accepts the retry after a few minutes).',
  'rate-limit':
    'Send more slowly: fewer parallel connections and messages per connection to this receiver, and retry with backoff.',
  recipient:
    'Check the recipient address: the mailbox does not exist, is disabled or is full at this receiver.',
  'relay-denied':
    'Send to a domain this server is an MX for, or authenticate to relay through it (the server is not an open relay).',
  'tls-required':
    'Issue STARTTLS after EHLO and re-send EHLO over TLS before MAIL FROM (RFC 3207).',
  'tls-unavailable':
    'Nothing to change on the sending side: the receiver offered STARTTLS but cannot do it (its key, certificate or TLS library is broken); tell its postmaster. Opportunistic senders deliver in plaintext meanwhile.',
  policy:
    'The receiver refused by local policy; read the reply text or its URL, and contact the receiver\'s postmaster if needed.',
  unknown:
    'The reply does not say why; retry later, and read the full reply text or the receiver\'s documentation.',
  none: null,
};
