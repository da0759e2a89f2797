// Thompson sampling: draw each arm's log-odds from the model's posterior (a normal with the model's logit
// standard deviation), keep the arm's other factors (value, weights), take the best draw. The probability of
// each arm is estimated by Monte Carlo, because off-policy evaluation needs it.
import { type Arm, type Choice, type Explorer, gaussian } from '../explorer.ts';

export interface ThompsonOptions {
  /** Draws used to estimate the choice probabilities. */
  probabilityDraws?: number;
  /** Floor of every arm's probability, so that logged probabilities are never 0. */
  minProbability?: number;
}

const logit = (p: number) => Math.log(p / (1 - p));
const clamp = (p: number) => Math.min(1 - 1e-9, Math.max(1e-9, p));

export class Thompson implements Explorer {
  readonly kind = 'thompson';
  readonly probabilityDraws: number;
  readonly minProbability: number;

  constructor(options: ThompsonOptions = {}) {
    this.probabilityDraws = options.probabilityDraws ?? 64;
    this.minProbability = options.minProbability ?? 0;
  }

  /** One Thompson draw: the best arm when each log-odds is sampled (`logits`, `multipliers`: per arm, once). */
  private draw(
    arms: readonly Arm[],
    logits: Float64Array,
    multipliers: Float64Array,
    rng: () => number,
  ): number {
    let best = 0;
    let bestScore = -Infinity;
    for (let i = 0; i < arms.length; i++) {
      const sampled = 1 / (1 + Math.exp(-(logits[i]! + arms[i]!.logitSd * gaussian(rng))));
      const s = sampled * multipliers[i]!;
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    return best;
  }

  choose(arms: readonly Arm[], rng: () => number, _round = 0): Choice {
    const k = arms.length;
    if (k === 0) throw new RangeError('no arms to choose from');
    // What does not change between draws is worked out once (the draws are most of a decision's time).
    const logits = new Float64Array(k);
    const multipliers = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      const a = arms[i]!;
      logits[i] = logit(clamp(a.propensity));
      multipliers[i] = a.propensity > 0 ? a.score / a.propensity : 1;
    }
    const index = this.draw(arms, logits, multipliers, rng);
    const counts = new Array<number>(k).fill(0);
    counts[index]! += 1;
    for (let d = 1; d < this.probabilityDraws; d++) counts[this.draw(arms, logits, multipliers, rng)]! += 1;
    const floor = this.minProbability;
    const probabilities = counts.map((c) => floor + ((1 - floor * k) * c) / this.probabilityDraws);
    return { index, probabilities };
  }
}
