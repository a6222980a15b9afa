/**
 * Host-name normalisation: Unicode (IDN) names to A-labels for the wire, back to Unicode for display,
 * and strict LDH validation of the result.
 *
 * Conversion uses node:url `domainToASCII`/`domainToUnicode`, which implement UTS #46 processing
 * (non-transitional, as the WHATWG URL standard uses): it case-folds, maps full-width forms, treats the
 * ideographic/full-width full stops U+3002, U+FF0E, U+FF61 as label separators (UTS #46 §4 step 1
 * maps them to "."), and returns "" for names it cannot convert (bad punycode, disallowed code points).
 *
 * It is the WHATWG *URL host* parser, though, so it also does things a target list must not:
 * percent-decoding ("%41.com" → "a.com"), cutting at "/" ("a/b" → "a"), and parsing numeric names as
 * IPv4 ("1.2.3" → "1.2.0.3", "0x7f.1" → "127.0.0.1"). We therefore screen the characters and numeric
 * labels before calling it, and re-validate its output against RFC 1123 §2.1 / RFC 1035 §2.3.4.
 */
import { domainToASCII, domainToUnicode } from 'node:url';

export type HostnameResult =
  | { ok: true; /** A-labels, lowercase, no trailing dot. */ ascii: string; /** Unicode form for display. */ unicode: string }
  | { ok: false; reason: string };

/** RFC 1035 §2.3.4: a label is at most 63 octets. */
export const MAX_LABEL_LENGTH = 63;
/**
 * RFC 1035 §2.3.4 limits a name to 255 octets on the wire, which is 253 characters in dotted text
 * without the trailing dot (RFC 2181 §11 / RFC 1123 §2.1 commentary).
 */
export const MAX_NAME_LENGTH = 253;

/** Dots UTS #46 treats as label separators besides ".": ideographic, full-width and half-width full stops. */
const UNICODE_DOTS = /[\u3002\uff0e\uff61]/g;

/** Decimal, or the 0x-hex form the WHATWG IPv4 parser accepts: never a valid top-level label. */
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/i;

/** True when the text contains anything outside ASCII, i.e. it needs IDNA processing. */
export function isUnicodeName(s: string): boolean {
  return /[^\x00-\x7f]/.test(s);
}

/** True for an ASCII label that is an A-label (RFC 5890 §2.3.2.1 "xn--" prefix, case-insensitive). */
function isALabel(label: string): boolean {
  return label.slice(0, 4).toLowerCase() === 'xn--';
}

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp > 0x20 && cp < 0x7f ? `'${ch}'` : hex;
}

/**
 * Validate and normalise a host or domain name. Accepts ASCII (any case) and Unicode names, with an
 * optional single trailing dot (the root). Returns the A-label form and the Unicode display form, or
 * a reason that names the offending part.
 */
export function normaliseHostname(input: string): HostnameResult {
  if (input.length === 0) return { ok: false, reason: 'empty host name' };

  // Screen ASCII characters first: only letters, digits, hyphen and dot are allowed in host names
  // (RFC 952 / RFC 1123 §2.1 "LDH" rule). Underscore gets its own message because it is the common
  // mistake (it is legal in DNS owner names such as _dmarc, but not in host names, RFC 1123 §2.1).
  for (const ch of input) {
    if (ch === '_') {
      return { ok: false, reason: "invalid host name: '_' is not allowed in host names (RFC 1123 §2.1: letters, digits, hyphen)" };
    }
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x80 && !/[A-Za-z0-9.-]/.test(ch)) {
      return { ok: false, reason: `invalid host name: character ${describeChar(ch)} is not allowed` };
    }
    if ((cp >= 0x80 && cp <= 0x9f) || cp === 0xfffd) {
      return { ok: false, reason: `invalid host name: character ${describeChar(ch)} is not allowed` };
    }
  }

  // Label checks that must happen before UTS #46, which would otherwise read numeric names as IPv4.
  const rawLabels = input.replace(UNICODE_DOTS, '.').replace(/\.$/, '').split('.');
  // NFKC approximates the UTS #46 mapping step closely enough here: it turns full-width digits
  // ("１２３") into ASCII ones, which the URL parser would then treat as an IPv4 number.
  const last = (rawLabels[rawLabels.length - 1] ?? '').normalize('NFKC');
  if (NUMERIC_LABEL.test(last)) {
    // RFC 3696 §2 / RFC 1123 §2.1: a top-level label is never all-numeric, so this was meant as an
    // address (the WHATWG parser would even turn "0x7f.1" into 127.0.0.1). Whole-dotted-decimal
    // text is reported by the caller as an invalid IPv4 address before we get here.
    return { ok: false, reason: `invalid host name: the last label "${last}" is numeric (not a valid host name nor an IPv4 address)` };
  }

  const ascii = domainToASCII(input);
  if (ascii === '') {
    return { ok: false, reason: 'invalid internationalised domain name (UTS #46 / IDNA2008 conversion failed)' };
  }
  const name = ascii.endsWith('.') ? ascii.slice(0, -1) : ascii;
  if (name.length === 0) return { ok: false, reason: 'empty host name' };
  if (name.length > MAX_NAME_LENGTH) {
    return { ok: false, reason: `invalid host name: ${name.length} characters, more than ${MAX_NAME_LENGTH} (RFC 1035 §2.3.4)` };
  }
  const labels = name.split('.');
  if (NUMERIC_LABEL.test(labels[labels.length - 1] ?? '')) {
    // Full-width digits etc. only become ASCII digits after UTS #46 mapping.
    return { ok: false, reason: `invalid host name: the last label of "${name}" is numeric` };
  }
  for (const label of labels) {
    if (label.length === 0) return { ok: false, reason: 'invalid host name: empty label (two dots in a row, or a leading dot)' };
    if (label.length > MAX_LABEL_LENGTH) {
      return { ok: false, reason: `invalid host name: label "${label.slice(0, 20)}…" is ${label.length} characters, more than ${MAX_LABEL_LENGTH} (RFC 1035 §2.3.4)` };
    }
    if (label.startsWith('-') || label.endsWith('-')) {
      return { ok: false, reason: `invalid host name: label "${label}" starts or ends with a hyphen (RFC 1123 §2.1)` };
    }
    // UTS #46 maps some Unicode to ASCII punctuation (e.g. U+FF3F FULLWIDTH LOW LINE → "_").
    const bad = /[^a-z0-9-]/.exec(label);
    if (bad !== null) {
      return { ok: false, reason: `invalid host name: character ${describeChar(bad[0])} is not allowed` };
    }
    if (isALabel(label) && domainToUnicode(label) === '') {
      return { ok: false, reason: `invalid host name: "${label}" is not valid punycode` };
    }
  }
  return { ok: true, ascii: name, unicode: toDisplayName(name) };
}

/**
 * Unicode display form of an A-label name (RFC 5891 §5.5 ToUnicode). Falls back to the ASCII form
 * when conversion fails, so display never loses the name.
 */
export function toDisplayName(ascii: string): string {
  if (!ascii.split('.').some(isALabel)) return ascii;
  const unicode = domainToUnicode(ascii);
  return unicode === '' ? ascii : unicode;
}
