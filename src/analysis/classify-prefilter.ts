/**
 * A cheap necessary condition for a rule's regex (issue 13 part 2, start-up of `mxprobe classify`).
 *
 * V8 compiles a regex the first time it runs, at a cost that grows with the pattern (a few thousand
 * instructions per pattern character under the `i` flag), and a one-reply `mxprobe classify` runs each
 * of the ~100 text/unless regexes of classify-rules.ts at most once: compiling them was most of the
 * process's CPU when no specific rule matched (about 160 M instructions, every rule tried). Most of
 * those regexes cannot match a given reply because a word they need is not in it.
 * `requiredLiterals` reads a pattern's source and names strings one of which every match contains.
 *
 * It runs in the trainer (scripts/train-classifier.mjs writes RULE_NEEDS into classify-model.ts,
 * keyed by each regex's source), not at start-up: reading 28 KB of pattern source in JavaScript
 * costs more than compiling the regexes. classify.ts skips a regex when none of its strings is in
 * the lower-cased text, so it is never compiled. A regex whose source is not in the table (a rule
 * changed since training) simply runs.
 *
 * This only ever skips a regex that could not have matched: the analysis is conservative (whatever
 * it does not understand means "no condition"), so the rules' results are unchanged.
 */

/** What a sub-pattern needs: one of these strings appears in every input it matches; null: no such set known. */
type Need = readonly string[] | null;

/** Flags the analysis is sound for: `i` without `u`/`v` folds ASCII letters only to ASCII letters (ECMA-262 Canonicalize). */
const SAFE_FLAGS = /^[dims]*$/;

/**
 * Lower-case strings, one of which every input matched by `re` contains (after `toLowerCase()`), or
 * null when the analysis names none (then the regex must simply run).
 *
 * Why lower case is enough: without the `u`/`v` flags, `i` matches an ASCII letter only with its ASCII
 * case partner (ECMA-262 Canonicalize refuses to map a non-ASCII character to an ASCII one), and
 * `toLowerCase()` keeps every ASCII character ASCII and in place among its ASCII neighbours. Non-ASCII
 * pattern characters are never part of a required string (σ/ς/Σ fold together under `i`, not under
 * `toLowerCase`). Flags `g`/`y` make `test` stateful, so such a regex gets no condition.
 */
export function requiredLiterals(re: RegExp): Need {
  if (!SAFE_FLAGS.test(re.flags)) return null;
  try {
    const p = new Parser(re.source);
    const need = p.disjunction();
    if (p.pos !== re.source.length) return null; // stopped early: not understood
    return need;
  } catch {
    return null;
  }
}

/** The better of two conditions: the one whose shortest string is longer (rarer), then the one with fewer strings. */
function better(a: Need, b: Need): Need {
  if (a === null) return b;
  if (b === null) return a;
  const la = Math.min(...a.map((s) => s.length));
  const lb = Math.min(...b.map((s) => s.length));
  if (la !== lb) return la > lb ? a : b;
  return a.length <= b.length ? a : b;
}

class NotUnderstood extends Error {}

type Item = { kind: 'char'; ch: string } | { kind: 'need'; need: Need };

/**
 * A recursive-descent reader of the ECMAScript pattern grammar (ECMA-262 §22.2.1, Annex B without
 * the `u` flag), just far enough to know which characters are literal and which constructs are
 * required. Anything else throws NotUnderstood, which `requiredLiterals` turns into "no condition".
 */
class Parser {
  pos = 0;
  constructor(private readonly src: string) {}

  /** Alternatives separated by "|": any of them may match, so the condition is the union. */
  disjunction(): Need {
    const all: string[] = [];
    let any = false;
    for (;;) {
      const need = this.alternative();
      if (need === null) any = true;
      else all.push(...need);
      if (this.src[this.pos] !== '|') break;
      this.pos++;
    }
    return any ? null : [...new Set(all)];
  }

  /** A sequence of terms: every required term is required, so any one term's condition holds; the best is kept. */
  private alternative(): Need {
    const items: Item[] = [];
    while (this.pos < this.src.length) {
      const c = this.src[this.pos] as string;
      if (c === '|' || c === ')') break;
      this.term(items);
    }
    let best: Need = null;
    let run = '';
    const endRun = (): void => {
      if (run !== '') best = better(best, [run]);
      run = '';
    };
    for (const it of items) {
      if (it.kind === 'char') run += it.ch;
      else {
        endRun();
        best = better(best, it.need);
      }
    }
    endRun();
    return best;
  }

  private term(items: Item[]): void {
    const s = this.src;
    const c = s[this.pos] as string;
    // Assertions: zero width, they only break a run of literal characters.
    if (c === '^' || c === '$') {
      this.pos++;
      items.push({ kind: 'need', need: null });
      return;
    }
    let atom: Item;
    if (c === '(') {
      atom = this.group();
      if (atom.kind === 'need' && (atom as { lookaround?: boolean }).lookaround === true) {
        // ECMA-262 Annex B lets a lookahead take a quantifier without the `u` flag; nothing relies on it.
        if (this.quantifierAhead()) throw new NotUnderstood();
        items.push(atom);
        return;
      }
    } else if (c === '[') {
      this.characterClass();
      atom = { kind: 'need', need: null };
    } else if (c === '\\') {
      atom = this.escape();
      if (atom.kind === 'need' && (atom as { assertion?: boolean }).assertion === true) {
        items.push(atom);
        return;
      }
    } else if (c === '.') {
      this.pos++;
      atom = { kind: 'need', need: null };
    } else if (c === '*' || c === '+' || c === '?' || c === '{' || c === '}' || c === ']') {
      // A quantifier with nothing before it, or a brace/bracket read literally (Annex B): not worth knowing.
      throw new NotUnderstood();
    } else {
      this.pos++;
      atom = this.literal(c);
    }
    const min = this.quantifier();
    if (min === undefined) items.push(atom);
    else if (min === 0) items.push({ kind: 'need', need: null });
    else items.push(atom.kind === 'char' ? { kind: 'need', need: [atom.ch] } : atom);
  }

  /**
   * A character matched as itself: ASCII is kept, lower-cased (with or without `i`: the condition is
   * tested on the lower-cased text), anything else breaks the run.
   */
  private literal(ch: string): Item {
    if (ch.charCodeAt(0) >= 0x80) return { kind: 'need', need: null };
    return { kind: 'char', ch: ch.toLowerCase() };
  }

  private quantifierAhead(): boolean {
    const save = this.pos;
    const q = this.quantifier();
    this.pos = save;
    return q !== undefined;
  }

  /** A quantifier after an atom: its minimum count, or undefined when there is none. A lazy "?" suffix changes nothing here. */
  private quantifier(): number | undefined {
    const s = this.src;
    const c = s[this.pos];
    let min: number | undefined;
    if (c === '*' || c === '?') {
      min = 0;
      this.pos++;
    } else if (c === '+') {
      min = 1;
      this.pos++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,\d*)?\}/.exec(s.slice(this.pos, this.pos + 24));
      if (m === null) throw new NotUnderstood(); // a literal "{" (Annex B): not worth knowing
      min = Number(m[1]);
      this.pos += m[0].length;
    } else {
      return undefined;
    }
    if (s[this.pos] === '?') this.pos++;
    return min;
  }

  /** "(...)", "(?:...)", "(?<name>...)", and the lookarounds. */
  private group(): Item & { lookaround?: boolean } {
    const s = this.src;
    this.pos++; // "("
    let negative = false;
    let lookaround = false;
    if (s[this.pos] === '?') {
      const two = s.slice(this.pos, this.pos + 3);
      if (two.startsWith('?:')) this.pos += 2;
      else if (two.startsWith('?=')) (this.pos += 2), (lookaround = true);
      else if (two.startsWith('?!')) (this.pos += 2), (lookaround = true), (negative = true);
      else if (two === '?<=') (this.pos += 3), (lookaround = true);
      else if (two === '?<!') (this.pos += 3), (lookaround = true), (negative = true);
      else if (two.startsWith('?<')) {
        const end = s.indexOf('>', this.pos);
        if (end < 0) throw new NotUnderstood();
        this.pos = end + 1;
      } else throw new NotUnderstood();
    }
    const need = this.disjunction();
    if (s[this.pos] !== ')') throw new NotUnderstood();
    this.pos++;
    // What a positive lookaround needs is in the input too (that is all the condition asks); a
    // negative one needs nothing.
    return { kind: 'need', need: negative ? null : need, lookaround };
  }

  /** "[...]": skipped whole (a class is one character of many); "]" right after "[" or "[^" ends it (ECMA-262: "[]" is empty). */
  private characterClass(): void {
    const s = this.src;
    this.pos++;
    if (s[this.pos] === '^') this.pos++;
    while (this.pos < s.length && s[this.pos] !== ']') this.pos += s[this.pos] === '\\' ? 2 : 1;
    if (this.pos >= s.length) throw new NotUnderstood();
    this.pos++;
  }

  /** "\x": an identity escape of a syntax character is that character; \b \B are assertions; the classes need nothing. */
  private escape(): Item & { assertion?: boolean } {
    const s = this.src;
    const c = s[this.pos + 1];
    if (c === undefined) throw new NotUnderstood();
    this.pos += 2;
    if (c === 'b' || c === 'B') return { kind: 'need', need: null, assertion: true };
    if ('dDwWsS'.includes(c)) return { kind: 'need', need: null };
    if ('^$\\.*+?()[]{}|/-\'":,;<>=!@#%&~`'.includes(c)) return this.literal(c);
    // \n, \x41, \u0041, \cX, \0, back references, \k<name>, \p{..}: not needed by the rules, not worth reading.
    throw new NotUnderstood();
  }
}
