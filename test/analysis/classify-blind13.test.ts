/**
 * Blind set 13 (issue 13, session 9): a fourth fresh strictly blind set, from two collectors working apart:
 * test/fixtures/blind13.tsv (52 rows) and test/fixtures/blind13c.tsv (29 rows), each collected and labelled before
 * any run (method in their headers), each with blind second labels from stage and reply alone
 * (blind13-second-labeller.tsv, blind13c-second-labeller.tsv; accepted causes overlap on 81/81).
 *
 * SCORED BLIND ONCE by the lead (bench/results/session9-blind13-scoring.md, rules declared before the run) with the
 * classifier as it stood at the end of session 8: 46/52 and 25/29, together 71/81 = 87.7% against the first labels
 * (10 misses); 47/52 and 24/29 against the second. THAT is the blind figure. No classifier change followed in
 * session 9, so the pins below are the blind figures themselves.
 *
 * SPENT from now on: a regression pin on all 81 rows, not a blind result.
 */
import { pinBlindSets } from '../helpers/blind-tsv.js';

// Session 10 (cls13) fixed the no-reason, lookup-URL, Postfix-prefix and sender-list families these sets showed
// (in-sample here; classify-session10.test.ts checks them on other texts): pins lowered from the blind figures (6, 4;
// second labels 5, 5) to what the classifier gives now. Still missed: blind13c's vendor texts "502 Mailfrom account is
// a local account" and "503 Rcptto account isn't a local account" (and, by the second labels only, blind13's "550
// Connection refused", an explicit refusal with no reason, kept at policy, and blind13c's "472 Validating Sender").
const sets = [
  { name: 'blind13', rows: 52, missesMax: 0, secondMissesMax: 1 },
  { name: 'blind13c', rows: 29, missesMax: 2, secondMissesMax: 3 },
];

pinBlindSets(sets, 'session 9');
