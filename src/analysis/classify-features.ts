/**
 * Features the reply model (classify-model.ts) sees. Shared by the runtime (classify.ts) and the
 * trainer (scripts/train-classifier.mjs imports the built copy), so both tokenise the same way.
 *
 * A reply becomes a bag of feature strings:
 * - `w:<token>`   a word of the normalised text (lower case; addresses, URLs, IPs, domain names and
 *                 numbers folded to placeholders, so "192.0.2.7" and "203.0.113.9" are one feature);
 * - `b:<t1>_<t2>` two adjacent words (order carries meaning: "not resolve" vs "resolve not");
 * - `e:x.S.D`     the RFC 3463 enhanced code without its class digit (the class only repeats the
 *                 reply code; subject and detail carry the reason: x.7.25 reverse DNS, x.1.1 mailbox);
 * - `es:x.S`      the enhanced code's subject alone (X.7 policy/security, X.1 addressing, ...);
 * - `c:NNN`       the reply code (RFC 5321 §4.2.3: 421 closes the channel, 554 at connect refuses);
 * - `s:<stage>`   the command the reply answered (a HELO refusal at RCPT is Postfix's delayed reject).
 * - `se:<stage>:x.S`, `sc:<stage>:Nxx`  the stage crossed with the enhanced subject and with the code
 *                 class (issue 13, session 4): X.1 at RCPT is the recipient, X.1 at MAIL the sender;
 *                 5xx at MAIL is mostly policy, 5xx at RCPT mostly the mailbox. Lets the model learn
 *                 these families instead of one weight per exact code.
 * Pure and total: never throws, output is bounded by the text cap of classify.ts.
 */

/** Placeholders first (longest patterns first), then words. */
const FOLDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bhttps?:\/\/\S+/gi, ' _url_ '],
  [/<[^<>\s@]*@[^<>\s]*>/g, ' _addr_ '],
  [/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, ' _addr_ '],
  [/\b(?:\d{1,3}\.){3}\d{1,3}\b/g, ' _ip_ '],
  // IPv6, compressed forms included ("2001:db8::1"): hex groups joined by at least two colons.
  [/(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])/gi, ' _ip_ '],
  [/\b(?:[a-z0-9-]+\.)+(?:[a-z]{2,24})\b/gi, ' _dom_ '],
  [/\b\d+\b/g, ' _n_ '],
];

const WORD = /[a-z_][a-z0-9_']*/g;

/** Words of a normalised reply text (see classify.ts normaliseText), in order. */
export function replyTokens(text: string): string[] {
  let t = text.toLowerCase();
  for (const [re, to] of FOLDS) t = t.replace(re, to);
  const out: string[] = [];
  for (const m of t.matchAll(WORD)) {
    const w = m[0].replace(/^'+|'+$/g, '');
    if (w.length >= 2) out.push(w);
  }
  return out;
}

/**
 * A crude stem, so "blocked", "blocking", "blocks" and "block" share a feature: strip one common
 * English suffix from words longer than 4 letters. Deliberately simple and deterministic.
 */
export function stem(w: string): string {
  if (w.length <= 4 || w.startsWith('_')) return w;
  for (const suffix of ['ations', 'ation', 'ings', 'ing', 'edly', 'ed', 'ers', 'er', 'ies', 'es', 's', 'ly']) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 3) return w.slice(0, -suffix.length);
  }
  return w;
}

/**
 * The feature bag of one reply (duplicates removed: presence, not counts). `rules` are the ids of
 * every rule of classify-rules.ts that matches (`r:<id>`): the rules' hand-written cues become
 * features whose weight the model learns, next to the words.
 */
export function replyFeatures(stage: string | null, code: number | null, enhanced: string, text: string, rules: readonly string[] = []): string[] {
  const f = new Set<string>();
  const words = replyTokens(text);
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    f.add(`w:${w}`);
    f.add(`t:${stem(w)}`);
    if (i > 0) f.add(`b:${stem(words[i - 1] as string)}_${stem(w)}`);
  }
  for (const id of rules) f.add(`r:${id}`);
  const e = /^[245]\.(\d{1,3})\.(\d{1,3})$/.exec(enhanced);
  if (e) {
    f.add(`e:x.${e[1]}.${e[2]}`);
    f.add(`es:x.${e[1]}`);
  }
  if (code !== null) f.add(`c:${code}`);
  if (stage !== null) {
    f.add(`s:${stage}`);
    if (e) f.add(`se:${stage}:x.${e[1]}`);
    if (code !== null) f.add(`sc:${stage}:${Math.floor(code / 100)}xx`);
  }
  return [...f];
}
