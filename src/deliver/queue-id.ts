/**
 * The receiver's queue id, read from the final reply to the message data (RFC 5321 §4.1.1.4: the
 * text is free-form; these are the shapes the common MTAs write).
 */

export type QueueIdStyle = 'postfix' | 'exim' | 'sendmail' | 'exchange' | 'gmail';

export interface QueueId {
  id: string;
  style: QueueIdStyle;
}

const PATTERNS: ReadonlyArray<{ style: QueueIdStyle; re: RegExp; group?: number }> = [
  // Postfix cleanup: "250 2.0.0 Ok: queued as 4XyzQ1Hd7Gz9sWZ"
  { style: 'postfix', re: /\bqueued as ([0-9A-Za-z]+)\b/i },
  // Exim: "250 OK id=1rAbCd-000123-4x"
  { style: 'exim', re: /\bid=([0-9A-Za-z][0-9A-Za-z-]*)/ },
  // Sendmail: "250 2.0.0 3A7A02xk012345 Message accepted for delivery"
  { style: 'sendmail', re: /^\s*(?:250[ -])?(?:\d\.\d{1,3}\.\d{1,3}\s+)?(\S+) Message accepted for delivery/i },
  // Exchange / Microsoft 365: "250 2.6.0 <id@host> [InternalId=12345, Hostname=...] Queued mail for delivery"
  { style: 'exchange', re: /(<[^<>\s]+>)\s*\[InternalId=/i },
  // Gmail: "250 2.0.0 OK  1700000000 x12si1234567abc.12 - gsmtp" (timestamp, then the id)
  { style: 'gmail', re: /\bOK\s+\d+\s+(\S+)\s+-\s+gsmtp\b/ },
];

/** The queue id named in a final reply (code and text, as one or more lines), or null. */
export function parseQueueId(reply: string): QueueId | null {
  for (const { style, re } of PATTERNS) {
    const m = re.exec(reply);
    if (m?.[1]) return { id: m[1], style };
  }
  return null;
}
