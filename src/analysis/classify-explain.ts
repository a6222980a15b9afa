/**
 * Why did classify() give this cause? (`mxprobe classify --explain`). Pure: recomputes the same
 * steps as classify() and returns them as data; the report layer renders it.
 */
import type { Cause } from '../results.js';
import {
  CONFIDENCE_FLOOR,
  MODEL_THRESHOLD,
  MODEL_THRESHOLD_NO_RULE,
  MODEL_TEXT_LIFT,
  classify,
  featuresOf,
  isGenericRule,
  matchingRules,
  matchPrepared,
  modelProbabilities,
  modelWeights,
  prepareInput,
  rulePrecision,
  textLift,
  type ClassifyInput,
  type Classification,
} from './classify.js';
import { MODEL_CLASSES } from './classify-model.js';
import { providerCodeIn } from './classify-provider-codes.js';

export interface FeatureWeight {
  feature: string;
  weight: number;
}

export interface Explanation {
  /** What the rules and the model saw. */
  input: { stage: string | null; code: number | null; enhanced: string; text: string };
  /** The first rule that matched (the rule table is first-match), or null. */
  firstRule: { id: string; cause: Cause; source: string; generic: boolean; precision: number } | null;
  /** Every rule that matched: these are the `r:` features of the model. */
  rulesMatched: string[];
  /** The model's three likeliest causes. */
  modelTop: Array<{ cause: Cause; p: number }>;
  /** Present features that pushed the decided cause up most (word, stem, bigram, rule cue). */
  wordWeights: FeatureWeight[];
  /** The code features (enhanced code subject/detail, reply code, stage) and their weight for the decided cause. */
  codeWeights: FeatureWeight[];
  decision: Classification & { modelThreshold: number; confidenceFloor: number };
  /**
   * With no rule matched: how much the words raise the model's likeliest cause over the code features
   * alone (the model decides only when this reaches `needed`, classify.ts MODEL_TEXT_LIFT). Else null.
   */
  textLift: { cause: Cause; lift: number; needed: number } | null;
}

const CODE_FEATURE = /^(e|es|c|s|se|sc):/;

export function explainClassification(input: ClassifyInput): Explanation {
  const decision = classify(input);
  const p = prepareInput(input);
  const rule = matchPrepared(p);
  const features = featuresOf(p);
  const probs = modelProbabilities(features);
  const k = MODEL_CLASSES.indexOf(decision.cause);
  const weightFor = (f: string): number => (k < 0 ? 0 : (modelWeights(f)?.find(([i]) => i === k)?.[1] ?? 0));
  const weighted = features.map((feature) => ({ feature, weight: weightFor(feature) }));
  const top = [...probs.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  // A provider-code rule lists every code of its cause; name the one in this reply and the page documenting it.
  const code = rule !== null && rule.id.startsWith('provider-code-') ? providerCodeIn(p.text) : null;
  const source = code === null ? rule?.source : `${code.entry.provider} code ${code.code}: ${code.entry.source}`;
  return {
    input: { stage: p.stage, code: p.code, enhanced: p.enhanced, text: p.text },
    firstRule: rule === null ? null : { id: rule.id, cause: rule.cause, source: source ?? rule.source, generic: isGenericRule(rule), precision: rulePrecision(rule.id) },
    rulesMatched: matchingRules(p).map((r) => r.id),
    modelTop: [...probs.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 3)
      .map(([cause, v]) => ({ cause, p: Math.round(v * 1000) / 1000 })),
    wordWeights: weighted
      .filter((w) => !CODE_FEATURE.test(w.feature) && w.weight !== 0)
      .sort((a, b) => b.weight - a.weight || a.feature.localeCompare(b.feature))
      .slice(0, 6),
    codeWeights: weighted.filter((w) => CODE_FEATURE.test(w.feature)).sort((a, b) => a.feature.localeCompare(b.feature)),
    decision: { ...decision, modelThreshold: rule === null ? MODEL_THRESHOLD_NO_RULE : MODEL_THRESHOLD, confidenceFloor: CONFIDENCE_FLOOR },
    textLift: rule === null && top !== undefined ? { cause: top[0], lift: Math.round(textLift(features, top[0]) * 1000) / 1000, needed: MODEL_TEXT_LIFT } : null,
  };
}
