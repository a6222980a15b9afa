/**
 * "Does this host name look generic/dynamic?" - the heuristics filters apply to HELO names and
 * rDNS names of access networks. Modelled on SpamAssassin 20_dynrdns.cf (RDNS_DYNAMIC,
 * HELO_DYNAMIC_*), Rspamd hfilter checks_hellohost and Haraka helo.checks `dynamic`
 * (net_utils.is_ip_in_str). Pure.
 */
import { canonicalIp, ipv4Octets, normalizeName } from './helo-name.js';

export interface GenericVerdict { generic: boolean; reasons: string[] }

/**
 * Access-network words (draft-msullivan-dnsop-generic-naming-schemes "type" tokens, the rspamd
 * checks_hellohost table, SA __RDNS_INDICATOR_*). Strong words mark a name generic on their own.
 */
const STRONG_WORDS = new Set([
  'dynamic', 'dyn', 'dynip', 'dhcp', 'dsl', 'adsl', 'xdsl', 'vdsl', 'sdsl', 'pool', 'ppp', 'pppoe', 'pptp',
  'dialup', 'dial', 'dialin', 'broadband', 'bredband', 'cable', 'cablemodem', 'modem', 'catv', 'cpe', 'docsis',
  'gprs', 'cdma', 'homeuser', 'dip', 'fbx', 'resnet', 'wifi', 'wireless', 'isdn', 'unused', 'nat', 'kabel',
]);
/**
 * Weak words are generic only next to digits ("client-73", "host-89-228...", "user123"): alone they
 * appear in ordinary server names ("host.example", "clients.example").
 */
const WEAK_WORDS = new Set(['client', 'clients', 'customer', 'customers', 'host', 'user', 'users', 'peer', 'res', 'ip', 'addr', 'node', 'cm', 'c', 'h', 'p', 'd']);
/** SA __RDNS_STATIC (bug 5397): "static"/"fix"/"fixip" names are assigned on purpose. */
const STATIC_RE = /static|fixip|fixed|(?:^|[.-])fix(?:[.-]|\d)/;
/** A first label naming a mail role ("mx1", "smtp-out-3", "mail2") is a deliberate server name. */
const MAIL_ROLE_RE = /^(?:mail|mx|smtp|smtpout|mailout|relay|mta|out|outbound|mailgw|mailhost|postfix|exim|mo|mxout)(?:[-_]?(?:out|in|gw|relay|\d+))*$/;

function digitRuns(label: string): number[] {
  return (label.match(/\d+/g) ?? []).map((d) => parseInt(d, 10));
}

/** True when `needle` appears as a contiguous run inside `hay`. */
function containsRun(hay: number[], needle: number[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function octetsOf(ip: string): { v4: [number, number, number, number] | null; v6hex: string | null } {
  const v4 = ipv4Octets(ip);
  if (v4) return { v4, v6hex: null };
  const c = canonicalIp(ip);
  return { v4: null, v6hex: c ? c.replace(/:/g, '') : null };
}

function ipEmbedded(name: string, ip: string): string | null {
  const { v4, v6hex } = octetsOf(ip);
  if (v4) {
    // All digit runs of the whole name, so dots and dashes both separate ("74.67-201-80.adsl...").
    const runs = digitRuns(name.replace(/[^0-9]+/g, ' '));
    const [a, b, c, d] = v4;
    if (containsRun(runs, [a, b, c, d])) return `contains the IP's octets ${a}-${b}-${c}-${d}`;
    if (containsRun(runs, [d, c, b, a])) return `contains the IP's octets reversed ${d}-${c}-${b}-${a}`;
    // Haraka is_ip_in_str also matches the last three octets, e.g. "cm-2-7-11.isp.example".
    if (containsRun(runs, [b, c, d])) return `contains the IP's last three octets ${b}-${c}-${d}`;
    if (containsRun(runs, [d, c, b])) return `contains the IP's last three octets reversed ${d}-${c}-${b}`;
    const hex = v4.map((o) => o.toString(16).padStart(2, '0')).join('');
    if (name.includes(hex)) return `contains the IP in hex (${hex})`;
    const padded = v4.map((o) => String(o).padStart(3, '0')).join('');
    if (name.includes(padded)) return `contains the IP's octets concatenated (${padded})`;
    return null;
  }
  if (v6hex) {
    // The interface identifier or the whole address written into the name (dashed or plain hex).
    const flat = name.replace(/[^0-9a-f]/g, '');
    const iid = v6hex.slice(16).replace(/^0+/, '');
    if (flat.includes(v6hex)) return 'contains the full IPv6 address';
    if (iid.length >= 6 && flat.includes(iid)) return `contains the IPv6 interface identifier (${iid})`;
  }
  return null;
}

/** Without a specific IP: four digit runs that could be octets, separated by non-digits (SA __RDNS_DYNAMIC_IPADDR). */
function ipLike(name: string): string | null {
  const m = /(?:^|[^0-9])(\d{1,3})[^0-9a-z](\d{1,3})[^0-9a-z](\d{1,3})[^0-9a-z](\d{1,3})(?:[^0-9]|$)/.exec(name);
  if (m) {
    const octets = m.slice(1, 5).map(Number);
    if (octets.every((o) => o <= 255)) return `contains an IP-address-like number sequence (${octets.join('-')})`;
  }
  if (/(?:^|[.-])0x[0-9a-f]{8}(?:[.-]|$)/.test(name)) return 'contains a hex-encoded IP (0x........)';
  // T-Dialin style "pd9e4f89f.dip..." (SA __RDNS_DYNAMIC_DIALIN): a letter then 8 hex digits as a label.
  if (/(?:^|\.)[a-z][0-9a-f]{8}\./.test(name) && /\d/.test(name.split('.')[0] ?? '')) return 'first label is a letter plus a hex-encoded IP';
  if (/(?:^|[^0-9])\d{12}(?:[^0-9]|$)/.test(name)) return 'contains a 12-digit zero-padded IP';
  return null;
}

/** Split a label into alternating letter/digit runs: "dhcp024-210" -> [dhcp, 024, 210]. */
function tokens(label: string): string[] {
  return label.split(/[-_]/).flatMap((part) => part.match(/[a-z]+|\d+/g) ?? []);
}

/**
 * Does the name look generic/dynamic? IP octets embedded (dashed, dotted, reversed, hex,
 * concatenated), ISP words; exemptions for names carrying static/mail/mx/smtp/relay words.
 * If `ip` is given, match octets of that IP specifically.
 */
export function looksGeneric(name: string, ip?: string): GenericVerdict {
  const n = normalizeName(name);
  const reasons: string[] = [];
  const labels = n.split('.');
  // The registered domain (last two labels) is the operator's brand, not a host-type token.
  const hostLabels = labels.length > 2 ? labels.slice(0, -2) : labels.slice(0, 1);

  const embedded = ip ? ipEmbedded(n, ip) : null;
  if (embedded) reasons.push(embedded);
  else {
    const like = ipLike(hostLabels.join('.') + (hostLabels.length ? '.' : ''));
    if (like) reasons.push(like);
  }

  const hostTokens = hostLabels.flatMap(tokens);
  for (let i = 0; i < hostTokens.length; i++) {
    const t = hostTokens[i] ?? '';
    if (STRONG_WORDS.has(t)) {
      reasons.push(`contains the access-network word "${t}"`);
      break;
    }
  }
  for (const label of hostLabels) {
    const ts = tokens(label);
    const idx = ts.findIndex((t) => WEAK_WORDS.has(t));
    const w = idx >= 0 ? ts[idx] : undefined;
    // Weak words count only next to numbers: "host-89-228-...", "client2", "c-73-12-...".
    if (w !== undefined && ts.some((t) => /^\d+$/.test(t)) && ts.length >= (w.length === 1 ? 4 : 2)) {
      reasons.push(`"${w}" followed by numbers in label "${label}"`);
      break;
    }
  }

  if (reasons.length === 0) return { generic: false, reasons };

  const first = labels[0] ?? '';
  if (STATIC_RE.test(n)) {
    return { generic: false, reasons: [...reasons, 'exempt: the name says it is static/fixed (SpamAssassin __RDNS_STATIC)'] };
  }
  if (MAIL_ROLE_RE.test(first)) {
    return { generic: false, reasons: [...reasons, `exempt: first label "${first}" names a mail server role`] };
  }
  return { generic: true, reasons };
}
