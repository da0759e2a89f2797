// Explorers turn scores into choice probabilities, so that every chosen action carries the probability
// with which it was chosen (the basis of off-policy evaluation).

/** One candidate as an explorer sees it. */
export interface Arm {
  /** What is maximised: the priority (propensity × value × weights), or the propensity alone. */
  score: number;
  /** The model's acceptance probability behind the score. */
  propensity: number;
  /** Standard deviation of the model's log-odds for this candidate; 0 when the model does not know. */
  logitSd: number;
  /** Responses the candidate's model has learned from; explorers keep trying arms with little evidence. */
  evidence?: number;
}

export interface Choice {
  index: number;
  /** One probability per arm, summing to 1. */
  probabilities: number[];
}

export interface Explorer {
  readonly kind: string;
  /** `rng` returns uniform numbers in [0, 1); `round` counts the responses learned so far. */
  choose(arms: readonly Arm[], rng: () => number, round: number): Choice;
}

/** Draws an index from a discrete distribution. */
export function sampleIndex(probabilities: readonly number[], rng: () => number): number {
  let u = rng();
  for (let i = 0; i < probabilities.length; i++) {
    u -= probabilities[i] ?? 0;
    if (u < 0) return i;
  }
  // Rounding left a sliver: take the last index with positive probability.
  for (let i = probabilities.length - 1; i >= 0; i--) if ((probabilities[i] ?? 0) > 0) return i;
  return 0;
}

/** Index of the highest score; ties go to the earliest. */
export function argmax(scores: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++)
    if ((scores[i] ?? -Infinity) > (scores[best] ?? -Infinity)) best = i;
  return best;
}

/** A standard normal draw (Box–Muller). */
export function gaussian(rng: () => number): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
