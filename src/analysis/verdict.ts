/**
 * From what the session saw to a verdict: outcome, the stage where the decision fell, the reply,
 * and (through the table-driven classifier) the cause and its remedy.
 */
import type { ProbeStatus, Stage, Verdict } from '../results.js';
import type { Decision, SessionFacts } from '../smtp/session.js';
import { classify } from './classify.js';

/** The stage a failed session was working on when it stopped. */
function stageInProgress(facts: SessionFacts): Stage | null {
  switch (facts.reached) {
    case null:
      return 'connect';
    case 'connect':
      return 'ehlo';
    case 'ehlo':
    case 'helo':
      return facts.starttlsReply ? 'starttls' : 'mail';
    case 'starttls':
      return 'mail';
    case 'mail':
      return 'rcpt';
    case 'rcpt':
      return 'rcpt';
  }
}

const AWAITED: Record<string, Stage> = { banner: 'connect', ehlo: 'ehlo', helo: 'helo', starttls: 'starttls', ehloTls: 'starttls', mail: 'mail', rcpt: 'rcpt' };

/**
 * `awaiting` is the command whose reply the session was waiting for when it stopped (from the
 * driver); it names the stage of a failure exactly, where the facts alone can only guess.
 */
export function verdictFrom(status: ProbeStatus, facts: SessionFacts, awaiting: string | null = null): Verdict {
  const decision: Decision | null = facts.decision;
  // A refusal heard before a later failure is still the server's word: keep it.
  if (decision?.reply && decision.outcome === 'unknown') {
    // A reply that fits no outcome (e.g. a 2xx other than 250 to EHLO): keep it, claim nothing.
    const r = decision.reply;
    return { outcome: 'unknown', stage: decision.stage, code: r.code, enhanced: r.enhanced, text: r.text, cause: 'unknown' };
  }
  if (decision?.reply && (decision.outcome !== 'accepted' || status === 'success')) {
    const r = decision.reply;
    const c = classify({ stage: decision.stage, code: r.code, enhanced: r.enhanced, text: r.text });
    return {
      outcome: decision.outcome,
      stage: decision.stage,
      code: r.code,
      enhanced: r.enhanced,
      text: r.text,
      cause: c.cause,
      ...(c.remedy && decision.outcome !== 'accepted' ? { remedy: c.remedy } : {}),
    };
  }
  return {
    outcome: 'unknown',
    stage: status === 'success' ? (decision?.stage ?? null) : ((awaiting ? AWAITED[awaiting] : undefined) ?? stageInProgress(facts)),
    code: null,
    enhanced: null,
    text: null,
    cause: 'unknown',
  };
}
