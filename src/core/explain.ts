// Why a decision came out as it did, for every candidate: which rule or policy dropped it, or how it scored and
// which features moved its propensity most. Pure: the caller passes the logged decision and the contributions.
import type { FeatureContribution } from '../learn/learner.ts';
import type { Arm } from './arms.ts';
import { type DropCode, droppedAtText, type Lang, type RankReason, rankText } from './reasons.ts';
import type { DroppedCandidate, ScoredCandidate } from './types.ts';

export interface CandidateExplanation {
  actionId: string;
  /** chosen: in the answer; notChosen: eligible and scored but ranked out; dropped: filtered before scoring. */
  status: 'chosen' | 'notChosen' | 'dropped';
  /** One sentence a service agent or an auditor can read, in the language asked for. */
  reason: string;
  /** The reason's code (core/reasons.ts): stable for programs, whatever the language. */
  code: DropCode | RankReason['code'];
  /** Dropped: the stage that dropped it (eligibility, contactPolicy, budget, ...). */
  stage?: DroppedCandidate['stage'];
  /** Chosen: its slot (1-based). */
  rank?: number;
  /** Scored candidates: position by priority among all scored candidates (1 = highest). */
  priorityRank?: number;
  propensity?: number;
  value?: number;
  contextWeight?: number;
  lever?: number;
  priority?: number;
  /** Chosen: probability with which the explorer put it in its slot. */
  probability?: number;
  /** Model evidence (responses) behind the propensity. */
  evidence?: number;
  /** The features that moved the propensity most (log-odds), largest first. */
  features?: FeatureContribution[];
}

export interface ExplainInput {
  arm: Arm;
  candidates: readonly ScoredCandidate[];
  dropped: readonly DroppedCandidate[];
  chosen: ReadonlyArray<{ actionId: string; rank: number; probability: number }>;
  /** The learner's per-feature contributions for an action, if its learner can tell. */
  contributions: (actionId: string) => FeatureContribution[] | undefined;
  /** Most features listed per candidate. */
  topFeatures?: number;
  /** The language of the reasons (default English). */
  lang?: Lang;
}

/** Chosen candidates by slot, then the other scored ones by priority, then the dropped ones in catalog order. */
export function explainDecision(input: ExplainInput): CandidateExplanation[] {
  const top = input.topFeatures ?? 5;
  const lang = input.lang ?? 'en';
  const byPriority = [...input.candidates].sort((a, b) => b.priority - a.priority);
  const priorityRank = new Map(byPriority.map((c, i) => [c.actionId, i + 1]));
  const chosen = new Map(input.chosen.map((c) => [c.actionId, c]));
  const n = input.candidates.length;

  const scored = input.candidates.map((c): CandidateExplanation => {
    const pr = priorityRank.get(c.actionId)!;
    const pick = chosen.get(c.actionId);
    let why: RankReason;
    if (pick) {
      if (input.arm === 'control') why = { code: 'controlDraw', eligible: n };
      else if (input.arm === 'businessRule')
        why = { code: 'businessRule', leverTimesValue: c.lever * c.value };
      else if (pr === pick.rank) why = { code: 'highest', rank: pr };
      else why = { code: 'explored', rank: pr, eligible: n, slot: pick.rank, probability: pick.probability };
    } else {
      why = { code: 'rankedOut', rank: pr, eligible: n };
    }
    const reason = rankText(why, c, lang);
    const features = input.contributions(c.actionId)?.slice(0, top);
    return {
      actionId: c.actionId,
      status: pick ? 'chosen' : 'notChosen',
      reason,
      code: why.code,
      ...(pick ? { rank: pick.rank, probability: pick.probability } : {}),
      priorityRank: pr,
      propensity: c.propensity,
      value: c.value,
      contextWeight: c.contextWeight,
      lever: c.lever,
      priority: c.priority,
      evidence: c.evidence,
      ...(features ? { features } : {}),
    };
  });
  scored.sort((a, b) => {
    if (a.status !== b.status) return a.status === 'chosen' ? -1 : 1;
    return a.status === 'chosen' ? a.rank! - b.rank! : a.priorityRank! - b.priorityRank!;
  });
  const dropped = input.dropped.map(
    (d): CandidateExplanation => ({
      actionId: d.actionId,
      status: 'dropped',
      stage: d.stage,
      reason: droppedAtText(d.stage, d.reason, lang),
      code: d.reason.code,
    }),
  );
  return [...scored, ...dropped];
}
