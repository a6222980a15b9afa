/**
 * Provider reply codes whose meaning the PROVIDER documents, not the reply text (issue 13, seventh round).
 *
 * Large receivers put a short code of their own in the reply ("550 DY-001 ...", "451 MI:SFQ 163 smtp7,...",
 * "554 (RTR:BL)", "... Comcast block ... BL000001") and explain it only on a postmaster page. The text around
 * the code is often generic or misleading ("Hotmail does not relay dynamically-assigned IP ranges" is a
 * dynamic-IP block, not a relay refusal), so the code, looked up in the provider's own table, decides.
 *
 * Data only: each entry is a code pattern (a regex source, matched case-insensitively as a whole token), the
 * cause in this project's conventions (an IP on a dynamic/residential list, a complaint- or spam-based block
 * or a bad reputation is `blocklist`; a limit on connections, messages or recipients is `rate-limit`; ...),
 * and the page that documents it. Codes a provider names without a documented meaning (Outlook.com's
 * AS(nnnn), seen also on recipient refusals; Comcast RL000001; Yahoo GL01; NetEase RP:TRC, HL:IHU) are left
 * out on purpose: a guess here would outrank the text. Yahoo's [TSxx] codes stay with the rate and blocklist
 * rules of classify-rules.ts, whose texts say which one applies.
 *
 * Checked on texts from the same documentation in test/fixtures/train10.tsv and
 * test/analysis/classify-provider-codes.test.ts.
 */
import type { Cause } from '../results.js';

export interface ProviderCode {
  /** Regex source of the code (no flags, no anchors); matched as a whole token, case-insensitively. */
  code: string;
  cause: Cause;
  provider: string;
  /** The provider page (or a verbatim reproduction of it) that documents the code's meaning. */
  source: string;
}

export const PROVIDER_CODES: readonly ProviderCode[] = [
  // ── Microsoft Outlook.com / Hotmail (consumer mail) ──
  {
    code: 'SC-00[1-4]',
    cause: 'blocklist',
    provider: 'Outlook.com',
    source: 'Outlook.com "550 SC-001 ... part of their network is on our block list" (Microsoft postmaster troubleshooting, mail.live.com/mail/troubleshooting.aspx#errors; reproduced in hosting KBs, e.g. support.binarylane.com.au 11000047583)',
  },
  {
    code: 'DY-00[12]',
    cause: 'blocklist',
    provider: 'Outlook.com',
    source: 'Hotmail "550 DY-001 Mail rejected by Windows Live Hotmail for policy reasons. We generally do not accept email from dynamic IP\'s ... maintains lists of dynamic and residential IP addresses" (a dynamic/residential IP list, like a PBL hit)',
  },
  {
    code: 'OU-00[12]',
    cause: 'blocklist',
    provider: 'Outlook.com',
    source: 'Outlook.com "550 5.7.1 Unfortunately, messages from [ip] weren\'t sent ... part of their network is on our block list (OU-002)"',
  },
  // ── AOL (postmaster.info.aol.com/errors/, postmaster.aol.com/Postmaster.Errors.php) ──
  {
    code: 'RTR:(?:DU|BB|RD|BL|CH|BG)',
    cause: 'blocklist',
    provider: 'AOL',
    source: 'AOL postmaster error list, RTR blocks: DU/BB "lists of dynamic and residential IP addresses" (with Spamhaus), RD "reverse DNS typical of a dynamic IP", CH "network may be compromised ... signature of known spam", BG "IP address not yet delegated or allocated", BL block list',
  },
  {
    code: 'RLY:B\\d',
    cause: 'blocklist',
    provider: 'AOL',
    source: 'AOL postmaster 554rlyb1.html: "a dynamic block ... placed on an IP address when AOL member complaints go over our set threshold"',
  },
  {
    code: 'DYN:T\\d',
    cause: 'blocklist',
    provider: 'AOL',
    source: 'AOL postmaster 421dynt1.html: dynamic/residential IP block',
  },
  {
    code: 'DNS:NR',
    cause: 'no-ptr',
    provider: 'AOL',
    source: 'AOL postmaster 421dnsnr.html; Parallels/Odin KB 121291: "Messages are not delivered due to the Reverse DNS failure"',
  },
  // ── Comcast / Xfinity (postmaster.comcast.net/mail-error-codes.html; business.comcast.com bounce messages) ──
  {
    code: 'BL0000[01]{2}|BL00(?:[1-9]|10)',
    cause: 'blocklist',
    provider: 'Comcast',
    source: 'Comcast postmaster error codes: BL000000 "patterns characteristic of spam", BL000001 Spamhaus Zen, BL000010 Cloudmark CSI, BL000100 SenderScore ...; older BL001-BL0010 (BL004 spam patterns, BL006 Spamhaus SBL/XBL, BL007 Cloudmark CSI)',
  },
  {
    code: 'ES0000(?:01|10)',
    cause: 'blocklist',
    provider: 'Comcast',
    source: 'Comcast postmaster error codes: ES000001 / ES000010 "mail delivery attempted from (Comcast\'s / external) dynamic/residential space"',
  },
  // ── NetEase 163/126 (mail.163.com/help/help_spam_16.htm bounce-code list, reproduced verbatim on
  //    blog.csdn.net/hjx9452/article/details/119910018 and cnblogs.com/zhxb/p/9777884.html) ──
  {
    code: 'HL:(?:REP|MEP)',
    cause: 'blocklist',
    provider: 'NetEase',
    source: 'NetEase: REP "IP sending behaviour abnormal, many recipients do not exist, connections temporarily prohibited"; MEP "many forged sender domains, temporarily prohibited"',
  },
  {
    code: 'HL:(?:ICC|IFC)',
    cause: 'rate-limit',
    provider: 'NetEase',
    source: 'NetEase: ICC "concurrent connections of this IP exceed the limit"; IFC "this IP sent a large number of messages in a short time"',
  },
  {
    code: 'MI:(?:DMC|SFQ|STC)|RP:(?:DRC|QRC|RCL)',
    cause: 'rate-limit',
    provider: 'NetEase',
    source: 'NetEase: DMC messages per connection, SFQ sender\'s messages in 15 minutes, STC sender\'s connections per day, DRC recipients per connection, QRC recipients in a short time, RCL bulk recipients: each "exceeds the limit"',
  },
  {
    code: 'MI:(?:CEL|CCL|IMF|SPF|DMA)|RP:(?:CEL|CCL)|WM:BL[IU]|DT:SPM',
    cause: 'policy',
    provider: 'NetEase',
    source: 'NetEase: CEL "too many erroneous commands", CCL "more commands than normal", IMF sender address not well formed, SPF/DMA the sending domain\'s SPF/DMARC, WM:BLI/BLU IP/user not on the permitted list, DT:SPM spam characteristics or a non-standard sending environment',
  },
  {
    code: 'MI:NHD',
    cause: 'helo-missing',
    provider: 'NetEase',
    source: 'NetEase: NHD "the HELO command may not be empty"',
  },
  {
    code: 'RP:FRL',
    cause: 'relay-denied',
    provider: 'NetEase',
    source: 'NetEase: FRL "NetEase mail does not allow anonymous forwarding (open relay)"',
  },
  {
    code: 'DT:RBL',
    cause: 'blocklist',
    provider: 'NetEase',
    source: 'NetEase: DT:RBL "the sending IP is in one or more RBLs"',
  },
];

/**
 * One case-insensitive regex per cause, matching any of that cause's codes as a whole token (not inside a
 * longer word or number: "BL0000001" or "XSC-001" are not codes), for the rule table.
 */
export function providerCodePattern(cause: Cause): RegExp | null {
  const codes = PROVIDER_CODES.filter((c) => c.cause === cause).map((c) => `(?:${c.code})`);
  if (codes.length === 0) return null;
  return new RegExp(`(?<![\\w:-])(?:${codes.join('|')})(?![\\w-])`, 'i');
}

/** The causes that have at least one provider code, in first-appearance order (stable rule order). */
export const PROVIDER_CODE_CAUSES: readonly Cause[] = [...new Set(PROVIDER_CODES.map((c) => c.cause))];

/**
 * The first documented provider code in a (normalised) reply text, with the entry that documents it: what
 * `--explain` shows instead of the rule's list of patterns. Null when the text holds none.
 */
export function providerCodeIn(text: string): { code: string; entry: ProviderCode } | null {
  let best: { code: string; entry: ProviderCode; at: number } | null = null;
  for (const entry of PROVIDER_CODES) {
    const m = new RegExp(`(?<![\\w:-])(?:${entry.code})(?![\\w-])`, 'i').exec(text);
    if (m !== null && (best === null || m.index < best.at)) best = { code: m[0], entry, at: m.index };
  }
  return best === null ? null : { code: best.code, entry: best.entry };
}
