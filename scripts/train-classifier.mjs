#!/usr/bin/env node
/**
 * Trains the reply model shipped in src/analysis/classify-model.ts. Deterministic: same corpus, same
 * output, byte for byte (fixed feature order, zero initialisation, full-batch gradient descent, fixed
 * epoch count, weights rounded to 3 decimals).
 *
 *   npm run build && node scripts/train-classifier.mjs            # writes src/analysis/classify-model.ts
 *   npm run build && node scripts/train-classifier.mjs --validate # holdout check, writes nothing
 *   node scripts/train-classifier.mjs --out FILE                  # write elsewhere (the determinism test)
 *
 * Training data: test/fixtures/reply-corpus.tsv, the VECTORS table of test/analysis/classify.test.ts,
 *   the ROWS of test/analysis/classify-blind{,2,3}.test.ts (read with the TypeScript parser, not
 *   executed), the spent blind sets test/fixtures/blind4.tsv, blind5.tsv, blind6.tsv and blind7.tsv, and
 *   the training files test/fixtures/train7.tsv (session 4) and train8.tsv (session 5), and the spent
 *   session-5 blind sets test/fixtures/blind8.tsv + blind8b.tsv and blind9.tsv + blind9b.tsv (first cause
 *   of each row, see corpus()), and test/fixtures/train10.tsv (session 6: texts from providers' own
 *   documentation of their codes).
 * blind4 (the session-2 measure), blind6 (session 3), blind7 (session 4) and blind8/8b and blind9/9b
 * (session 5, each scored once by the lead) were blind once; each was SPENT when its figure was reported and
 * is development and training data now (their headers say so); so are blind10 and blind10b (session 6, spent in
 * session 7; blind10's full-mailbox rows relabelled, see RELABEL). blind11a/b, blind12 and blind13/13c (spent in
 * sessions 7-9) are read only with --add-spent, a measure (see corpus()). No unspent blind set is read here: the
 * session-10 blind set (blind14) is collected on other branches and run by the lead.
 *
 * Model: multinomial logistic regression (softmax) over the presence features of
 * src/analysis/classify-features.ts, L2-regularised. Features seen in fewer than MIN_DF rows are
 * dropped; weights below PRUNE in magnitude are not shipped.
 *
 * --validate trains on the rows NOT marked `holdout` and reports, on the holdout rows of blind sets
 * 1-3 (set aside before the rules were tuned), the accuracy of the rules alone, the model alone and
 * the combination classify.ts uses, for a few confidence thresholds (how the thresholds were first
 * chosen, session 2).
 *
 *   npm run build && node scripts/train-classifier.mjs --cv 10 [-v]   # k-fold cross-validation
 *
 *   npm run build && node scripts/train-classifier.mjs --chrono [--rules] [-v] # train on earlier sets, test on the next
 *   npm run build && node scripts/train-classifier.mjs --loso [--rules] [-v] # leave-one-set-out
 *   ... --add-spent        # with --chrono or --loso: also blind11a/b, blind12, blind13/13c (session 10; see corpus())
 *   ... --drop ID,ID       # as if these rules did not exist (ablation), with --loso or --cv
 *   ... --only SUBSTR      # with --loso: hold out only the sets whose name contains SUBSTR
 *   ... --l2 X --epochs N  # regularisation and training length
 *   ... --drop-features e:,es:,se:   # ablation of feature families (session 7)
 *   ... --weight-quoted W  # rows of blind8 on (replies quoted by people) count W times (experiment, session 7)
 *   ... --code-only A|B    # code-only generic rules treated like no rule (experiment, session 7; not shipped)
 *
 * --chrono (session 7) is the closest simulation of a fresh blind set: see its block below.
 *
 * --loso is the development measure from session 5 on: each labelled SET (corpus, test vectors,
 * blind1-9b, train7, train8, train10) is classified by a model trained on all the other sets, through the same
 * combination as classify.ts. Random folds share sources; a held-out set is new text from new sources.
 *
 * --cv K (the session-4 measure, kept for comparison): every labelled row is classified by a model
 * (and rule precisions) trained on the other K-1 folds, through the same combination as classify.ts,
 * reported per set, with a sweep of the thresholds (the calibration check). The rules are fixed, so
 * their share of the figure is in-sample; the model's share is held out.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ts = require('typescript');
const { parseClassifyInput } = await import(join(root, 'dist/analysis/log-line.js'));
const { prepareInput, matchingRules, featuresOf, CAUSES } = await import(join(root, 'dist/analysis/classify.js'));
const { replyFeatures } = await import(join(root, 'dist/analysis/classify-features.js'));
const { RULES } = await import(join(root, 'dist/analysis/classify-rules.js'));
const { requiredLiterals } = await import(join(root, 'dist/analysis/classify-prefilter.js'));
const { MODEL_THRESHOLD: THRESHOLD, MODEL_THRESHOLD_NO_RULE: THRESHOLD_NO_RULE, CONFIDENCE_FLOOR: FLOOR, MODEL_TEXT_LIFT } = await import(join(root, 'dist/analysis/classify.js'));

const MIN_DF = 2;
const ADD_SPENT = process.argv.includes('--add-spent');
const SPENT_LATER = ['blind11a', 'blind11b', 'blind12', 'blind13', 'blind13c'].map((b) => `test/fixtures/${b}.tsv`);
const DROP = new Set(process.argv.includes('--drop') ? process.argv[process.argv.indexOf('--drop') + 1].split(',') : []);
const CODE_ONLY = process.argv.includes('--code-only') ? process.argv[process.argv.indexOf('--code-only') + 1] : null;
const DROP_FEATURES = process.argv.includes('--drop-features') ? process.argv[process.argv.indexOf('--drop-features') + 1].split(',') : [];
const USE_RULE_FEATURES = !process.argv.includes('--no-rule-features');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const WEIGHT_QUOTED = arg('--weight-quoted', 1);
// 800 (session 4, was 400): the 10-fold figure is the same (928/954 with 400, 800, or L2 0.001),
// and 800 fits the model's own training rows closer (945/954 against 943/954).
const EPOCHS = arg('--epochs', 800);
const LIFT = arg('--lift', MODEL_TEXT_LIFT);
const LR = 0.5;
const L2 = arg('--l2', 0.002);
const PRUNE = 0.02;
const CLASSES = CAUSES.filter((c) => c !== 'none');

// ───────────── corpus ─────────────

/** String value of a literal expression (string, template without substitutions, "a" + "b"). */
function str(node) {
  if (!node) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (node.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const a = str(node.left);
    const b = str(node.right);
    return typeof a === 'string' && typeof b === 'string' ? a + b : undefined;
  }
  if (ts.isParenthesizedExpression(node)) return str(node.expression);
  return undefined;
}

function tsRows(file, origin) {
  const path = join(root, file);
  const sf = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const rows = [];
  const visit = (node) => {
    if (ts.isObjectLiteralExpression(node)) {
      const o = {};
      for (const p of node.properties) {
        if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) {
          o[p.name.text] = p.initializer.kind === ts.SyntaxKind.TrueKeyword ? true : str(p.initializer);
        }
      }
      if (typeof o.reply === 'string' && typeof o.cause === 'string' && typeof o.outcome === 'string') {
        rows.push({ stage: o.stage ?? null, reply: o.reply, outcome: o.outcome, cause: o.cause, holdout: o.holdout === true, origin });
      }
    } else if (ts.isArrayLiteralExpression(node) && node.elements.length === 5) {
      // classify.test.ts VECTORS: [stage, reply, outcome, cause, source]
      const [s, r, o, c] = node.elements.map(str);
      if ((typeof s === 'string' || s === null) && typeof r === 'string' && typeof o === 'string' && typeof c === 'string' && CAUSES.includes(c)) {
        rows.push({ stage: s, reply: r, outcome: o, cause: c, holdout: false, origin });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return rows;
}

/**
 * Training relabels of spent blind sets, by data row (1-based, as the second labeller's ids count them). blind10's
 * labeller followed the README's old wording of `recipient` ("the recipient is unknown") and labelled a full or
 * over-quota mailbox `unknown`; the README defines `recipient` as "the recipient cannot take mail: unknown,
 * disabled, or its mailbox full or over quota" (commit 65855e9), which is what every other set, the second
 * labeller (test/fixtures/blind10-second-labeller.tsv: recipient on all 8) and the rules always did. The file keeps
 * its labels (they are what was scored once); the trainer reads these 8 rows as `recipient`. Each entry names a
 * word its text must contain, so a changed file fails loudly instead of relabelling the wrong row.
 */
const RELABEL = {
  'test/fixtures/blind10.tsv': new Map([
    [25, ['recipient', /out of storage/]],
    [45, ['recipient', /Mailbox is full/]],
    [51, ['recipient', /out of storage/]],
    [53, ['recipient', /over quota/]],
    [54, ['recipient', /quota exceeded/]],
    [67, ['recipient', /mailbox quota/]],
    [77, ['recipient', /Mailbox size limit/]],
    [80, ['recipient', /Mailbox full/]],
  ]),
};

function tsvRows(file) {
  const rows = [];
  let header = false;
  let n = 0;
  for (const line of readFileSync(join(root, file), 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (!header) {
      header = true;
      continue;
    }
    n++;
    const [stage, reply, outcome, causes] = line.split('\t');
    let accepted = causes.split('|');
    const relabel = RELABEL[file]?.get(n);
    if (relabel) {
      if (!relabel[1].test(reply)) throw new Error(`${file} row ${n}: relabel expects ${relabel[1]} in: ${reply}`);
      accepted = [relabel[0]];
    }
    // scoredAs: the labels as the file has them (what the lead scored once), for --chrono's second column.
    rows.push({ stage, reply: reply.replace(/\\n/g, '\n'), outcome, cause: accepted[0], accepted, scoredAs: causes.split('|'), holdout: false, origin: file, n });
  }
  return rows;
}

export function corpus() {
  const all = [
    ...tsvRows('test/fixtures/reply-corpus.tsv'),
    ...tsRows('test/analysis/classify.test.ts', 'classify.test.ts'),
    ...tsRows('test/analysis/classify-blind.test.ts', 'blind1'),
    ...tsRows('test/analysis/classify-blind2.test.ts', 'blind2'),
    ...tsRows('test/analysis/classify-blind3.test.ts', 'blind3'),
    // Blind sets 4-6: each was a blind measure once (blind4 in session 2, blind6 in session 3); all
    // three are SPENT and are development/training data now. The session-4 blind set (blind7) is
    // collected on another branch and never seen here.
    ...tsvRows('test/fixtures/blind4.tsv'),
    ...tsvRows('test/fixtures/blind5.tsv'),
    ...tsvRows('test/fixtures/blind6.tsv'),
    // Session 4: real replies collected for training only (never a measure; see its header).
    ...tsvRows('test/fixtures/train7.tsv'),
    // blind7 was session 4's strictly blind set, scored once by the lead (87.4%); SPENT since session 5,
    // when its misses were studied: development and training data like blind4-6 (its header says so).
    ...tsvRows('test/fixtures/blind7.tsv'),
    // Session 5: real replies from MTA/filter source code and vendor documentation, collected for
    // training only (never a measure; see its header). The session-5 blind set (blind8) was collected
    // on another branch from quoted replies and not read until the lead had scored it.
    ...tsvRows('test/fixtures/train8.tsv'),
    // blind8 (+blind8b) was session 5's strictly blind set of replies QUOTED BY PEOPLE (issues, forums),
    // scored once by the lead (77.6%); SPENT since, and development and training data from the sixth round (session 5, short) on
    // (its test's header says so). The new blind set (blind9) is collected on another branch, never read here.
    ...tsvRows('test/fixtures/blind8.tsv'),
    ...tsvRows('test/fixtures/blind8b.tsv'),
    // blind9 (+blind9b) was session 5's last strictly blind set of quoted replies, scored once by the lead
    // (81.3%); SPENT since, and development and training data from the seventh round (session 6) on (its
    // test's header says so). The new blind set (blind10/10b) is collected on other branches, never read here.
    ...tsvRows('test/fixtures/blind9.tsv'),
    ...tsvRows('test/fixtures/blind9b.tsv'),
    // Seventh round (session 6): reply texts from providers' and vendors' own documentation of their codes,
    // labelled by the documented cause before any run; training only, never a measure (see its header).
    ...tsvRows('test/fixtures/train10.tsv'),
    // blind10 (+blind10b) was session 6's strictly blind set of quoted replies, scored once by the lead (82.2%);
    // SPENT since, and development and training data from session 7 on (its test's header says so); blind10's
    // full-mailbox rows are read as `recipient` (RELABEL above). The session-7 blind set is collected on other
    // branches and never read here.
    ...tsvRows('test/fixtures/blind10.tsv'),
    ...tsvRows('test/fixtures/blind10b.tsv'),
    // --add-spent (session 10, a measure, not the shipped model): the later spent blind sets, each scored once by the
    // lead: blind11a/b (session 7), blind12 (session 8) and blind13/13c (session 9), in the order they were made (first
    // labels), so --chrono can hold each out in turn after training on the sets before it. Sessions 7-9 left them out
    // of the shipped model, and session 10 measured whether to take them in: --chrono shows no change on the next set
    // (blind12 68/75 trained with or without blind11; blind13+13c 79/81 with or without blind11 and blind12), while the
    // retrained model flips rows of older sets at the threshold both ways (blind3 and blind10b one each worse, train8
    // one better, all in-sample), one of them a pinned blind3 holdout row. No measured gain, so they stay out.
    ...(ADD_SPENT ? SPENT_LATER.flatMap((f) => tsvRows(f)) : []),
  ];
  const out = [];
  const seen = new Set();
  for (const r of all) {
    if (r.cause === 'none' || !CLASSES.includes(r.cause)) continue;
    const key = `${r.stage} ${r.reply}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const parsed = parseClassifyInput(r.reply, r.stage ?? undefined);
    const p = prepareInput({ stage: parsed.stage ?? r.stage, code: parsed.reply.code, enhanced: parsed.reply.enhanced, text: parsed.reply.text });
    // --drop ID,ID: score the rule table as if these rules did not exist (leave-one-set-out ablation):
    // the first remaining match decides, and the model does not see the dropped rules' cues.
    const matched = matchingRules(p).filter((x) => !DROP.has(x.id));
    const rule = matched[0] ?? null;
    // A blind-set row that accepts two causes trains the one the first matching rule gives, when
    // that is one of them: the row then agrees with the rules instead of pulling the model away from
    // an answer the labeller also accepted. Otherwise the first cause written.
    const cause = r.accepted && rule && r.accepted.includes(rule.cause) ? rule.cause : r.cause;
    let features = USE_RULE_FEATURES ? featuresOf(p).filter((f) => !DROP.has(f.slice(2)) || !f.startsWith('r:')) : replyFeatures(p.stage, p.code, p.enhanced, p.text);
    // --drop-features PREFIX,PREFIX: an ablation of feature families (e.g. "e:,es:,se:" for the enhanced code).
    if (DROP_FEATURES.length > 0) features = features.filter((f) => !DROP_FEATURES.some((x) => f.startsWith(x)));
    out.push({ ...r, cause, prepared: p, features, rule });
  }
  return out;
}

// ───────────── model ─────────────

function train(rows) {
  const df = new Map();
  for (const r of rows) for (const f of r.features) df.set(f, (df.get(f) ?? 0) + 1);
  const vocab = [...df.keys()].filter((f) => (df.get(f) ?? 0) >= MIN_DF).sort();
  const index = new Map(vocab.map((f, i) => [f, i]));
  const K = CLASSES.length;
  const V = vocab.length;
  // Flat typed arrays (session 5): the same arithmetic in the same order as the nested form it
  // replaced (so the same weights), about ten times faster, which leave-one-set-out needs.
  const Wf = new Float64Array(V * K);
  const b = new Float64Array(K);
  const X = rows.map((r) => Int32Array.from(r.features.map((f) => index.get(f)).filter((i) => i !== undefined)));
  const Y = rows.map((r) => CLASSES.indexOf(r.cause));
  // --weight-quoted W (experiment): rows of the sets of replies QUOTED BY PEOPLE (blind8 on) count W times.
  const weight = rows.map((r) => (WEIGHT_QUOTED !== 1 && /blind(8|9|10)/.test(r.origin) ? WEIGHT_QUOTED : 1));
  const n = rows.reduce((a, _, i) => a + weight[i], 0);
  const gW = new Float64Array(V * K);
  const gb = new Float64Array(K);
  const s = new Float64Array(K);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    gW.fill(0);
    gb.fill(0);
    for (let i = 0; i < rows.length; i++) {
      const xs = X[i];
      for (let k = 0; k < K; k++) s[k] = b[k];
      for (const j of xs) for (let k = 0; k < K; k++) s[k] += Wf[j * K + k];
      let m = -Infinity;
      for (let k = 0; k < K; k++) if (s[k] > m) m = s[k];
      let z = 0;
      for (let k = 0; k < K; k++) {
        s[k] = Math.exp(s[k] - m);
        z += s[k];
      }
      for (let k = 0; k < K; k++) {
        const g = ((s[k] / z - (Y[i] === k ? 1 : 0)) * weight[i]) / n;
        gb[k] += g;
        for (const j of xs) gW[j * K + k] += g;
      }
    }
    for (let k = 0; k < K; k++) b[k] -= LR * gb[k];
    for (let q = 0; q < V * K; q++) Wf[q] -= LR * (gW[q] + L2 * Wf[q]);
  }
  const W = vocab.map((_, j) => Wf.subarray(j * K, (j + 1) * K));
  return { vocab, W, b };
}

function scores(W, b, xs) {
  const s = Float64Array.from(b);
  for (const j of xs) for (let k = 0; k < s.length; k++) s[k] += W[j][k];
  return s;
}

function softmax(s) {
  const m = Math.max(...s);
  const e = s.map((v) => Math.exp(v - m));
  const z = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / z);
}

/** The shipped, pruned form: bias per class and, per feature, [classIndex, weight] pairs. */
function ship(m) {
  const weights = {};
  m.vocab.forEach((f, j) => {
    const pairs = [];
    for (let k = 0; k < CLASSES.length; k++) {
      const w = Math.round(m.W[j][k] * 1000) / 1000;
      if (Math.abs(w) >= PRUNE) pairs.push([k, w]);
    }
    if (pairs.length > 0) weights[f] = pairs;
  });
  return { classes: CLASSES, bias: [...m.b].map((v) => Math.round(v * 1000) / 1000), weights };
}

/** Same arithmetic as classify-model.ts modelScores(). */
function predict(shipped, features) {
  const s = [...shipped.bias];
  for (const f of features) for (const [k, w] of shipped.weights[f] ?? []) s[k] += w;
  const p = softmax(s);
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  return { cause: shipped.classes[best], p: p[best] };
}

/** Per-rule precision on the training rows, Laplace-smoothed: (right + 1) / (fired + 2). */
function rulePrecision(rows) {
  const fired = new Map();
  const right = new Map();
  for (const r of rows) {
    const id = r.rule?.id ?? 'no-rule';
    fired.set(id, (fired.get(id) ?? 0) + 1);
    if ((r.rule?.cause ?? 'unknown') === r.cause) right.set(id, (right.get(id) ?? 0) + 1);
  }
  const out = {};
  for (const id of [...fired.keys()].sort()) out[id] = Math.round((((right.get(id) ?? 0) + 1) / (fired.get(id) + 2)) * 1000) / 1000;
  return out;
}

// ───────────── combination (mirrors classify.ts combine()) ─────────────

const WEAK_FROM = RULES.findIndex((r) => r.id === 'cue-relay');
const isWeak = (rule) => rule === null || RULES.indexOf(rule) >= WEAK_FROM;

const CODE_FEATURE = /^(e|es|c|s|se|sc):/;
/** Same list as classify.ts FUNCTION_WORDS. */
const FUNCTION_WORDS = new Set('a an and are at be by for from here in is it no not of on or our please sorry that the this to us we with you your'.split(' '));

function combine(row, shipped, precision, threshold, floor = 0, noRuleThreshold = threshold, lift = LIFT, specificOverride = Infinity) {
  const rule = row.rule;
  if (!isWeak(rule)) {
    // --chrono's sweep only: would the model beat a specific rule when it is this sure of another cause?
    if (specificOverride <= 1) {
      const m = predict(shipped, row.features);
      if (m.p >= specificOverride) return m.cause;
    }
    return rule.cause;
  }
  const m = predict(shipped, row.features);
  if (CODE_ONLY !== null && rule !== null && rule.text === undefined) {
    // --code-only A|B: a generic rule that reads only the codes and stage (no text) is treated like no rule: the
    // model decides only when the words carry its cause; otherwise A: unknown, B: the rule's cause when the words
    // raise it by the text lift, else unknown (an experiment: does the "no reason given = unknown" convention hold?).
    const lifted = (c) => probOf(shipped, row.features.filter((f) => !((f.startsWith('w:') || f.startsWith('t:')) && FUNCTION_WORDS.has(f.slice(2)))), c) - probOf(shipped, row.features.filter((f) => CODE_FEATURE.test(f)), c);
    if (m.p >= noRuleThreshold && lifted(m.cause) >= lift) return m.cause;
    if (CODE_ONLY === 'A') return 'unknown';
    return lifted(rule.cause) >= lift ? rule.cause : 'unknown';
  }
  // Mirrors classify.ts: with no rule, the model decides at the no-rule threshold when the words (not the
  // code features alone) raise its cause by MODEL_TEXT_LIFT; with a generic rule, at the main threshold.
  if (rule === null) {
    const content = probOf(shipped, row.features.filter((f) => !((f.startsWith('w:') || f.startsWith('t:')) && FUNCTION_WORDS.has(f.slice(2)))), m.cause);
    if (m.p >= noRuleThreshold && content - probOf(shipped, row.features.filter((f) => CODE_FEATURE.test(f)), m.cause) >= lift) return m.cause;
  } else if (m.p >= threshold) return m.cause;
  const cause = rule?.cause ?? 'unknown';
  // classify.ts rulePrecision(): a rule that never fired on the training rows has precision 0.5 (no evidence).
  // Session 6: this read 0 until then, so a rule that fired only in the held-out set fell under the floor here
  // but not in classify.ts (leave-one-set-out was pessimistic for such rules).
  const conf = Math.max(precision[rule?.id ?? 'no-rule'] ?? 0.5, probOf(shipped, row.features, cause));
  return conf < floor ? 'unknown' : cause;
}

function probOf(shipped, features, cause) {
  const s = [...shipped.bias];
  for (const f of features) for (const [k, w] of shipped.weights[f] ?? []) s[k] += w;
  return softmax(s)[shipped.classes.indexOf(cause)] ?? 0;
}

// ───────────── main ─────────────

// --exclude SUBSTR: leave out the sets whose origin contains SUBSTR (e.g. train the model without
// train7 and score train7 on it with score-blind.mjs: an out-of-sample check of a new set).
const exclude = process.argv.includes('--exclude') ? process.argv[process.argv.indexOf('--exclude') + 1] : null;
const rows = corpus().filter((r) => exclude === null || !r.origin.includes(exclude));
const byOrigin = {};
for (const r of rows) byOrigin[r.origin] = (byOrigin[r.origin] ?? 0) + 1;

/** Right for a row: its (training) cause, or any cause its labeller accepted ("a|b" in a TSV). */
const isRight = (r, cause) => cause === r.cause || (r.accepted?.includes(cause) ?? false);

/** One line of a held-out report (--loso, --cv): the total and each set's right/rows, for causes m (row -> cause). */
function scoreLine(name, m) {
  const per = Object.keys(byOrigin).map((o) => {
    const rs = rows.filter((r) => r.origin === o);
    return `${o} ${rs.filter((r) => isRight(r, m.get(r))).length}/${rs.length}`;
  });
  const all = rows.filter((r) => isRight(r, m.get(r))).length;
  return `${name}: all ${all}/${rows.length} = ${((100 * all) / rows.length).toFixed(1)}% | ${per.join(', ')}`;
}

/** With -v, every held-out miss of the shipped setting (m: row -> cause). */
/** Per held-out row (--loso): the model's likeliest cause and probability, and the first rule's precision. */
const heldOutDetail = new Map();

function printMisses(m) {
  if (!process.argv.includes('-v')) return;
  for (const r of rows) {
    const c = m.get(r);
    const d = heldOutDetail.get(r);
    if (!isRight(r, c)) console.log(`  ${r.origin}: want ${r.accepted?.join('|') ?? r.cause} got ${c} (rule ${r.rule?.id ?? '-'}${d ? `; ${d}` : ''}) :: ${r.stage} ${r.reply.slice(0, 110)}`);
  }
}

/**
 * Deterministic fold of a row: FNV-1a of its stage and reply, so a row keeps its fold when rows are
 * added elsewhere and the folds do not follow file order (rows of one source sit together).
 */
function foldOf(r, k) {
  let h = 0x811c9dc5;
  for (const ch of `${r.stage} ${r.reply}`) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % k;
}

if (process.argv.includes('--loso')) {
  // Leave-one-set-out (session 5): every set is classified by a model (and rule precisions) trained
  // on all the OTHER sets, through the same combination as classify.ts. Random folds share sources
  // (rows of one provider list sit in every fold); a held-out set is new text from new sources, which
  // is what a blind set is. The rules are fixed, so their share is in-sample for the sets they were
  // written from (corpora, blind1-6); blind7 and train8 were never read when a rule was written.
  // Per rule, the counterfactual "without this rule" on the held-out rows it decided (next matching
  // rule or the model, the model's view minus the rule's cue) shows which rules help on new sets.
  const origins = Object.keys(byOrigin);
  const sweep = [
    { name: 'shipped', t: THRESHOLD, nr: THRESHOLD_NO_RULE, floor: FLOOR },
    ...[0.5, 0.6, 0.8].map((t) => ({ name: `τ=${t}`, t, nr: THRESHOLD_NO_RULE, floor: FLOOR })),
    ...[0.3, 0.4, 0.5, 0.6, 0.7].map((nr) => ({ name: `no-rule τ=${nr}`, t: THRESHOLD, nr, floor: FLOOR })),
    ...[0, 0.3, 0.5, 0.6].map((floor) => ({ name: `floor=${floor}`, t: THRESHOLD, nr: THRESHOLD_NO_RULE, floor })),
    ...[0, 0.05, 0.2].map((lift) => ({ name: `text lift=${lift}`, t: THRESHOLD, nr: THRESHOLD_NO_RULE, floor: FLOOR, lift })),
  ];
  const got = sweep.map(() => new Map());
  const modelGot = new Map();
  const without = new Map(); // rule id -> [right with, right without, rows]
  // --only SUBSTR: hold out only the sets whose origin contains SUBSTR (a quick look at one set; the
  // totals then count only those sets' rows as scored).
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
  for (const o of origins.filter((x) => only === null || x.includes(only))) {
    const trainRows = rows.filter((r) => r.origin !== o);
    const test = rows.filter((r) => r.origin === o);
    const shipped = ship(train(trainRows));
    const precision = rulePrecision(trainRows);
    for (const r of test) {
      sweep.forEach((sw, i) => got[i].set(r, combine(r, shipped, precision, sw.t, sw.floor, sw.nr, sw.lift ?? LIFT)));
      const mp = predict(shipped, r.features);
      modelGot.set(r, mp.cause);
      heldOutDetail.set(r, `model ${mp.cause} ${mp.p.toFixed(2)}, rule precision ${precision[r.rule?.id ?? 'no-rule'] ?? '-'}`);
      if (r.rule) {
        const id = r.rule.id;
        const rest = matchingRules(r.prepared).filter((x) => !DROP.has(x.id) && x.id !== id);
        const alt = { ...r, rule: rest[0] ?? null, features: r.features.filter((f) => f !== `r:${id}`) };
        const w = without.get(id) ?? [0, 0, 0];
        w[0] += isRight(r, got[0].get(r)) ? 1 : 0;
        w[1] += isRight(r, combine(alt, shipped, precision, THRESHOLD, FLOOR, THRESHOLD_NO_RULE)) ? 1 : 0;
        w[2] += 1;
        without.set(id, w);
      }
    }
    process.stderr.write(`held out ${o}        \r`);
  }
  console.log(`leave-one-set-out over ${rows.length} rows in ${origins.length} sets${DROP.size ? `, rules dropped: ${[...DROP].join(',')}` : ''}`);
  console.log(scoreLine('rules alone (fixed rules)', new Map(rows.map((r) => [r, r.rule?.cause ?? 'unknown']))));
  console.log(scoreLine('model alone', modelGot));
  sweep.forEach((sw, i) => console.log(scoreLine(sw.name, got[i])));
  if (process.argv.includes('--rules')) {
    console.log('rules whose removal changes held-out rows (id: right with / right without, of rows decided):');
    for (const [id, [a, b, n]] of [...without.entries()].sort((x, y) => x[1][0] - x[1][1] - (y[1][0] - y[1][1]))) {
      if (a !== b) console.log(`  ${id}: ${a} / ${b} of ${n}`);
    }
  }
  printMisses(got[0]);
  process.exit(0);
}

if (process.argv.includes('--chrono')) {
  // Train on what came before, test on what came next (session 7): the most honest simulation of a fresh blind
  // set this corpus allows. For each late blind set (blind7; blind8+8b; blind9+9b; blind10+10b; with --add-spent, from session 10, also blind11a+11b, blind12, blind13+13c) the model and
  // the rule precisions are trained only on the sets that existed before it (corpus() lists them in the order
  // they were made), and the set is classified through the same combination as classify.ts. The rules are the
  // current ones: rules written after reading blind7-9's misses make those figures partly in-sample; blind10's
  // misses were first read in session 7, so for the rules as they stood before session 7 the blind10 figure is
  // honest, and any rule written since from its misses is in-sample there (say so when reporting).
  // Scored twice: by the labels as the lead scored them (blind10's full-mailbox rows `unknown`) and by the
  // README's definition (RELABEL above: those rows `recipient`).
  const origins = Object.keys(byOrigin);
  const GROUPS = [['blind7'], ['blind8', 'blind8b'], ['blind9', 'blind9b'], ['blind10', 'blind10b'], ['blind11a', 'blind11b'], ['blind12'], ['blind13', 'blind13c']];
  const base = (o) => o.replace(/^.*\//, '').replace(/\.tsv$/, '');
  const sweep = [
    { name: 'shipped', t: THRESHOLD, nr: THRESHOLD_NO_RULE, floor: FLOOR, lift: LIFT },
    ...[0.5, 0.6, 0.8, 0.9, 1.01].map((t) => ({ name: `τ=${t}`, t, nr: THRESHOLD_NO_RULE, floor: FLOOR, lift: LIFT })),
    ...[0.4, 0.5, 0.6, 0.7, 1.01].map((nr) => ({ name: `no-rule τ=${nr}`, t: THRESHOLD, nr, floor: FLOOR, lift: LIFT })),
    ...[0, 0.5, 0.6, 0.7].map((floor) => ({ name: `floor=${floor}`, t: THRESHOLD, nr: THRESHOLD_NO_RULE, floor, lift: LIFT })),
    ...[0, 0.2, 0.3].map((lift) => ({ name: `text lift=${lift}`, t: THRESHOLD, nr: THRESHOLD_NO_RULE, floor: FLOOR, lift })),
    ...[0.6, 0.8, 0.9, 0.95].map((so) => ({ name: `model over a specific rule at p≥${so}`, t: THRESHOLD, nr: THRESHOLD_NO_RULE, floor: FLOOR, lift: LIFT, so })),
  ];
  const lines = sweep.map((sw) => [sw.name]);
  const disagree = {}; // kind -> [rule right, model right, neither, rows]
  const tally = (kind, r, ruleCause, modelCause) => {
    const d = (disagree[kind] ??= [0, 0, 0, 0]);
    d[0] += isRight(r, ruleCause) ? 1 : 0;
    d[1] += isRight(r, modelCause) ? 1 : 0;
    d[2] += !isRight(r, ruleCause) && !isRight(r, modelCause) ? 1 : 0;
    d[3] += 1;
  };
  const misses = [];
  const perRule = {}; // first rule id -> [rule right, model right, combined right, rows]
  for (const g of GROUPS) {
    const inGroup = origins.filter((o) => g.includes(base(o)));
    if (inGroup.length === 0) continue;
    const first = Math.min(...inGroup.map((o) => origins.indexOf(o)));
    const before = new Set(origins.slice(0, first));
    const trainRows = rows.filter((r) => before.has(r.origin));
    const test = rows.filter((r) => inGroup.includes(r.origin));
    const shipped = ship(train(trainRows));
    const precision = rulePrecision(trainRows);
    const score = (fn, labels) => test.filter((r) => { const c = fn(r); const acc = labels === 'scored' ? (r.scoredAs ?? r.accepted ?? [r.cause]) : (r.accepted ?? [r.cause]); return acc.includes(c) || (labels !== 'scored' && c === r.cause); }).length;
    const label = `${g.join('+')} (${test.length}; trained on ${trainRows.length})`;
    const both = (fn) => {
      const a = score(fn, 'scored');
      const b = score(fn, 'readme');
      return a === b ? `${a}` : `${a} [${b}]`;
    };
    sweep.forEach((sw, i) => lines[i].push(`${label} ${both((r) => combine(r, shipped, precision, sw.t, sw.floor, sw.nr, sw.lift, sw.so))}`));
    console.log(`${label}: rules alone ${both((r) => r.rule?.cause ?? 'unknown')}, model alone ${both((r) => predict(shipped, r.features).cause)}`);
    for (const r of test) {
      const m = predict(shipped, r.features);
      const rc = r.rule?.cause ?? 'unknown';
      const kind = r.rule === null ? 'no rule (unknown) vs model' : isWeak(r.rule) ? 'generic rule vs model' : 'specific rule vs model';
      if (rc !== m.cause) tally(kind, r, rc, m.cause);
      const pr = (perRule[r.rule?.id ?? 'no-rule'] ??= [0, 0, 0, 0]);
      pr[0] += isRight(r, rc) ? 1 : 0;
      pr[1] += isRight(r, m.cause) ? 1 : 0;
      pr[2] += isRight(r, combine(r, shipped, precision, THRESHOLD, FLOOR, THRESHOLD_NO_RULE, LIFT)) ? 1 : 0;
      pr[3] += 1;
      const c = combine(r, shipped, precision, THRESHOLD, FLOOR, THRESHOLD_NO_RULE, LIFT);
      if (!isRight(r, c)) misses.push(`  ${base(r.origin)}: want ${r.accepted?.join('|') ?? r.cause} got ${c} (rule ${r.rule?.id ?? '-'}; model ${m.cause} ${m.p.toFixed(2)}) :: ${r.stage} ${r.reply.slice(0, 110).replace(/\n/g, '\\n')}`);
    }
    process.stderr.write(`held out ${g.join('+')}        \r`);
  }
  console.log('train on the sets before, test on the next (right rows; [by the README definition] where it differs):');
  for (const l of lines) console.log(`  ${l[0]}: ${l.slice(1).join(' | ')}`);
  console.log('where the first rule and the model disagree (rule right / model right / neither, of rows):');
  for (const [k, [a, b, n, t]] of Object.entries(disagree)) console.log(`  ${k}: ${a} / ${b} / ${n} of ${t}`);
  if (process.argv.includes('--rules')) {
    console.log('per first rule on the held-out sets (rule right / model right / as shipped right, of rows; generic rules marked *):');
    for (const [id, [a, b, c, n]] of Object.entries(perRule).sort((x, y) => y[1][3] - x[1][3])) {
      const rule = RULES.find((x) => x.id === id) ?? null;
      console.log(`  ${isWeak(rule) ? '*' : ' '}${id}: ${a} / ${b} / ${c} of ${n}`);
    }
  }
  if (process.argv.includes('-v')) console.log(misses.join('\n'));
  process.exit(0);
}

if (process.argv.includes('--cv')) {
  // K-fold cross-validation over EVERY labelled row: each row is classified by a model (and rule
  // precisions) trained without its fold, through the same combination classify.ts uses. The rules
  // themselves are fixed: they were written after reading many of these rows, so the rules-alone
  // figure is in-sample; the model's share is honest. Reported per set, plus a threshold sweep.
  const K = arg('--cv', 10);
  const sweep = [
    { name: `shipped (τ=${THRESHOLD}, no-rule τ=${THRESHOLD_NO_RULE}, floor=${FLOOR})`, t: THRESHOLD, nr: THRESHOLD_NO_RULE, floor: FLOOR },
    ...[0.5, 0.6, 0.8].map((t) => ({ name: `τ=${t}`, t, nr: THRESHOLD_NO_RULE, floor: FLOOR })),
    ...[0.3, 0.4, 0.5, 0.6, 0.7].map((nr) => ({ name: `no-rule τ=${nr}`, t: THRESHOLD, nr, floor: FLOOR })),
    ...[0, 0.3, 0.5, 0.6].map((floor) => ({ name: `floor=${floor}`, t: THRESHOLD, nr: THRESHOLD_NO_RULE, floor })),
  ];
  const got = sweep.map(() => new Map());
  const modelGot = new Map();
  for (let fold = 0; fold < K; fold++) {
    const trainRows = rows.filter((r) => foldOf(r, K) !== fold);
    const test = rows.filter((r) => foldOf(r, K) === fold);
    const shipped = ship(train(trainRows));
    const precision = rulePrecision(trainRows);
    for (const r of test) {
      sweep.forEach((s, i) => got[i].set(r, combine(r, shipped, precision, s.t, s.floor, s.nr)));
      modelGot.set(r, predict(shipped, r.features).cause);
    }
    process.stderr.write(`fold ${fold + 1}/${K}\r`);
  }
  const origins = Object.keys(byOrigin);
  console.log(`${K}-fold cross-validation over ${rows.length} rows, features as shipped`);
  console.log(scoreLine('rules alone (in-sample)', new Map(rows.map((r) => [r, r.rule?.cause ?? 'unknown']))));
  console.log(scoreLine('model alone', modelGot));
  sweep.forEach((s, i) => console.log(scoreLine(s.name, got[i])));
  printMisses(got[0]);
  process.exit(0);
}

if (process.argv.includes('--validate')) {
  const trainRows = rows.filter((r) => !r.holdout);
  const test = rows.filter((r) => r.holdout);
  const shipped = ship(train(trainRows));
  const precision = rulePrecision(trainRows);
  const acc = (f) => `${test.filter((r) => f(r) === r.cause).length}/${test.length}`;
  console.log(`train ${trainRows.length} rows, holdout ${test.length} rows (blind sets 1-3), features ${Object.keys(shipped.weights).length}`);
  console.log(`rules alone:  ${acc((r) => r.rule?.cause ?? 'unknown')}`);
  console.log(`model alone:  ${acc((r) => predict(shipped, r.features).cause)}`);
  for (const t of [0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]) console.log(`combined τ=${t}: ${acc((r) => combine(r, shipped, precision, t))}`);
  for (const f of [0.3, 0.4, 0.5, 0.6]) console.log(`combined τ=0.7 floor=${f}: ${acc((r) => combine(r, shipped, precision, 0.7, f))}`);
  // No rule at all: the fallback is `unknown`, so the model competes with a non-answer there.
  for (const t of [0.3, 0.4, 0.5, 0.6]) console.log(`combined τ=0.7 floor=0.4, no-rule τ=${t}: ${acc((r) => combine(r, shipped, precision, 0.7, 0.4, t))}`);
  const weak = test.filter((r) => isWeak(r.rule));
  console.log(`weak-rule rows: ${weak.length}; rules right ${weak.filter((r) => (r.rule?.cause ?? 'unknown') === r.cause).length}, model right ${weak.filter((r) => predict(shipped, r.features).cause === r.cause).length}`);
  const strong = test.filter((r) => !isWeak(r.rule));
  console.log(`strong-rule rows: ${strong.length}; rules right ${strong.filter((r) => r.rule.cause === r.cause).length}, model right ${strong.filter((r) => predict(shipped, r.features).cause === r.cause).length}`);
  if (process.argv.includes('-v')) {
    for (const r of test) {
      const m = predict(shipped, r.features);
      const rc = r.rule?.cause ?? 'unknown';
      if (m.cause !== r.cause || rc !== r.cause) console.log(`  want ${r.cause} rule ${rc}${isWeak(r.rule) ? '(weak)' : ''} model ${m.cause} ${m.p.toFixed(2)} :: ${r.reply.slice(0, 100)}`);
    }
  }
  process.exit(0);
}

const shipped = ship(train(rows));
const precision = rulePrecision(rows);
const trainAcc = rows.filter((r) => predict(shipped, r.features).cause === r.cause).length;
const header = `/**
 * GENERATED by scripts/train-classifier.mjs from ${rows.length} labelled replies (${Object.entries(byOrigin)
   .map(([k, v]) => `${k} ${v}`)
   .join(', ')}). Do not edit: change the corpus or the trainer and run it again.
 * Multinomial logistic regression over the features of classify-features.ts; model alone on its own
 * training rows: ${trainAcc}/${rows.length}. Blind sets 4-10b are spent and train it; no session-10 blind set was read.
 * RULE_PRECISION: per rule id, (right + 1) / (fired + 2) on the same rows.
 */
`;
const weightLines = Object.entries(shipped.weights)
  .map(([f, pairs]) => `${f}\t${pairs.map(([k, w]) => `${k}:${w}`).join(' ')}`)
  .join('\n');
const body = `/** The causes, in the model's class order. */
export const MODEL_CLASSES: readonly string[] = ${JSON.stringify(shipped.classes)};

export const MODEL_BIAS: readonly number[] = ${JSON.stringify(shipped.bias)};

/**
 * One line per feature: "feature<TAB>class:weight class:weight ...", absent pairs weigh 0. A
 * string, not an object literal, so loading this module costs a copy, not a parse: classify.ts
 * splits it the first time a reply needs the model (most refusals are decided by a rule).
 */
export const MODEL_WEIGHTS: string = ${JSON.stringify(weightLines)};

export const RULE_PRECISION: Readonly<Record<string, number>> = ${JSON.stringify(precision)};

/**
 * Per rule regex (text and unless), keyed by its source: lower-case strings one of which every text it
 * matches contains (classify-prefilter.ts). classify.ts does not run, so never compiles, a regex none
 * of whose strings is in the reply: that was most of a one-reply \`mxprobe classify\` (issue 13 part 2).
 * Not about the model: written here so that retraining after a rule change refreshes it too; a source
 * missing from it (a rule edited since) just runs.
 */
export const RULE_NEEDS: Readonly<Record<string, readonly string[]>> = ${ruleNeedsLiteral()};
`;
/** RULE_NEEDS as an object literal, one regex a line, in rule order (sources kept as JSON strings). */
function ruleNeedsLiteral() {
  const needs = new Map();
  for (const rule of RULES) {
    for (const re of [rule.text, rule.unless]) {
      if (re === undefined) continue;
      const need = requiredLiterals(re);
      // One source under two sets of flags: keep an entry only when both give the same condition.
      if (needs.has(re.source) && JSON.stringify(needs.get(re.source)) !== JSON.stringify(need)) needs.set(re.source, null);
      else needs.set(re.source, need);
    }
  }
  const lines = [...needs].filter(([, need]) => need !== null).map(([source, need]) => `  ${JSON.stringify(source)}: ${JSON.stringify(need)},`);
  return `{\n${lines.join('\n')}\n}`;
}

const outIdx = process.argv.indexOf('--out');
const outPath = outIdx > 0 ? process.argv[outIdx + 1] : join(root, 'src/analysis/classify-model.ts');
writeFileSync(outPath, header + body);
console.log(`wrote ${outPath}: ${rows.length} rows, ${Object.keys(shipped.weights).length} features, train acc ${trainAcc}/${rows.length}`);
