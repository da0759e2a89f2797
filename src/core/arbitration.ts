// Arbitration: priority = propensity × value × context weight × lever, then the explorer fills the slots
// one by one (at most one action per group by default), recording each choice's probability.
import type { Arm, Explorer } from '../learn/explorer.ts';
import type { ScoredCandidate } from './types.ts';

export function priorityOf(
  c: Pick<ScoredCandidate, 'propensity' | 'value' | 'contextWeight' | 'lever'>,
): number {
  return c.propensity * c.value * c.contextWeight * c.lever;
}

export interface Slot {
  candidate: ScoredCandidate;
  rank: number;
  /** Probability of this candidate in this slot, given the slots before it. */
  probability: number;
}

export interface ArbitrationOptions {
  limit: number;
  onePerGroup: boolean;
  explorer: Explorer;
  rng: () => number;
  /** Responses learned so far: explorers explore less as it grows. */
  round: number;
  /** What the explorer maximises; the priority unless an arm ranks otherwise (business rules). */
  score?: (c: ScoredCandidate) => number;
  /**
   * Whether a candidate may still take a slot after the ones chosen so far (a cap that counts this decision's
   * earlier slots); candidates it refuses leave the ranking for the later slots.
   */
  admissible?: (c: ScoredCandidate, chosen: readonly ScoredCandidate[]) => boolean;
}

/** Candidates sorted by priority (highest first, stable on input order). */
export function rankByPriority(candidates: readonly ScoredCandidate[]): ScoredCandidate[] {
  // Sorting indexes (not wrapper objects): a thousand candidates per decision are common.
  const order = Array.from(candidates.keys());
  order.sort((a, b) => candidates[b]!.priority - candidates[a]!.priority || a - b);
  return order.map((i) => candidates[i]!);
}

export function arbitrate(candidates: readonly ScoredCandidate[], options: ArbitrationOptions): Slot[] {
  const score = options.score ?? ((c: ScoredCandidate) => c.priority);
  let remaining = rankByPriority(candidates);
  // The explorer's view of each remaining candidate, made once and filtered beside it (explorers only read it).
  let arms: Arm[] = remaining.map((c) => ({
    score: score(c),
    propensity: c.propensity,
    logitSd: c.logitSd,
    evidence: c.evidence,
  }));
  const slots: Slot[] = [];
  while (slots.length < options.limit && remaining.length > 0) {
    const choice = options.explorer.choose(arms, options.rng, options.round);
    const chosen = remaining[choice.index]!;
    slots.push({
      candidate: chosen,
      rank: slots.length + 1,
      probability: choice.probabilities[choice.index] ?? 0,
    });
    const admissible = options.admissible;
    const so = admissible ? slots.map((s) => s.candidate) : [];
    const keptCandidates: ScoredCandidate[] = [];
    const keptArms: Arm[] = [];
    for (let i = 0; i < remaining.length; i++) {
      const c = remaining[i]!;
      if (c === chosen || (options.onePerGroup && c.issue === chosen.issue && c.group === chosen.group))
        continue;
      if (admissible && !admissible(c, so)) continue;
      keptCandidates.push(c);
      keptArms.push(arms[i]!);
    }
    remaining = keptCandidates;
    arms = keptArms;
  }
  return slots;
}
