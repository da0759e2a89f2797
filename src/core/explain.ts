// Why a decision came out as it did, for every candidate: which rule or policy dropped it, or how it scored and
// which features moved its propensity most. Pure: the caller passes the logged decision and the contributions.
import type { FeatureContribution } from '../learn/learner.ts';
import type { Arm } from './arms.ts';
import type { DroppedCandidate, ScoredCandidate } from './types.ts';

export interface CandidateExplanation {
  actionId: string;
  /** chosen: in the answer; notChosen: eligible and scored but ranked out; dropped: filtered before scoring. */
  status: 'chosen' | 'notChosen' | 'dropped';
  /** One sentence a service agent or an auditor can read. */
  reason: string;
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
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString());

/** Chosen candidates by slot, then the other scored ones by priority, then the dropped ones in catalog order. */
export function explainDecision(input: ExplainInput): CandidateExplanation[] {
  const top = input.topFeatures ?? 5;
  const byPriority = [...input.candidates].sort((a, b) => b.priority - a.priority);
  const priorityRank = new Map(byPriority.map((c, i) => [c.actionId, i + 1]));
  const chosen = new Map(input.chosen.map((c) => [c.actionId, c]));
  const n = input.candidates.length;

  const scored = input.candidates.map((c): CandidateExplanation => {
    const pr = priorityRank.get(c.actionId)!;
    const pick = chosen.get(c.actionId);
    const score = `priority ${fmt(c.priority)} = propensity ${fmt(c.propensity)} × value ${fmt(c.value)} × context weight ${fmt(c.contextWeight)} × lever ${fmt(c.lever)}`;
    let reason: string;
    if (pick) {
      if (input.arm === 'control') {
        reason = `control arm: drawn uniformly at random among ${n} eligible actions (${score})`;
      } else if (input.arm === 'businessRule') {
        reason = `business-rule arm: highest lever × value (${fmt(c.lever * c.value)}), no model`;
      } else if (pr === pick.rank) {
        reason = `${ordinal(pr)} highest ${score}`;
      } else {
        reason = `exploration: ranked ${ordinal(pr)} of ${n} by priority, put in slot ${pick.rank} with probability ${fmt(pick.probability)} (${score})`;
      }
    } else {
      reason = `ranked ${ordinal(pr)} of ${n} by ${score}; not among the chosen`;
    }
    const features = input.contributions(c.actionId)?.slice(0, top);
    return {
      actionId: c.actionId,
      status: pick ? 'chosen' : 'notChosen',
      reason,
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
      reason: `dropped at ${d.stage}: ${d.reason}`,
    }),
  );
  return [...scored, ...dropped];
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}
