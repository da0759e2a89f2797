// Explorers turn scores into choice probabilities, so that every chosen action carries the probability
// with which it was chosen (the basis of off-policy evaluation).

export interface Choice {
  index: number;
  /** One probability per score, summing to 1. */
  probabilities: number[];
}

export interface Explorer {
  readonly kind: string;
  /** `rng` returns uniform numbers in [0, 1). */
  choose(scores: readonly number[], rng: () => number): Choice;
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
