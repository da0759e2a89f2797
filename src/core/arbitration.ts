// Arbitration: priority = propensity × value × context weight × lever, then the explorer fills the slots
// one by one (at most one action per group by default), recording each choice's probability.
import type { Explorer } from '../learn/explorer.ts';
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
  return candidates
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.priority - a.c.priority || a.i - b.i)
    .map(({ c }) => c);
}

export function arbitrate(candidates: readonly ScoredCandidate[], options: ArbitrationOptions): Slot[] {
  const score = options.score ?? ((c: ScoredCandidate) => c.priority);
  let remaining = rankByPriority(candidates);
  const slots: Slot[] = [];
  while (slots.length < options.limit && remaining.length > 0) {
    const choice = options.explorer.choose(
      remaining.map((c) => ({
        score: score(c),
        propensity: c.propensity,
        logitSd: c.logitSd,
        evidence: c.evidence,
      })),
      options.rng,
      options.round,
    );
    const chosen = remaining[choice.index]!;
    slots.push({
      candidate: chosen,
      rank: slots.length + 1,
      probability: choice.probabilities[choice.index] ?? 0,
    });
    remaining = remaining.filter(
      (c) => c !== chosen && !(options.onePerGroup && c.issue === chosen.issue && c.group === chosen.group),
    );
    const admissible = options.admissible;
    if (admissible) {
      const so = slots.map((s) => s.candidate);
      remaining = remaining.filter((c) => admissible(c, so));
    }
  }
  return slots;
}
