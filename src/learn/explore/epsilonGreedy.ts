import { type Arm, argmax, type Choice, type Explorer, sampleIndex } from '../explorer.ts';

/** With probability epsilon a uniform choice, otherwise the best score. epsilon = 0 is plain greedy. */
export class EpsilonGreedy implements Explorer {
  readonly kind = 'epsilonGreedy';

  constructor(readonly epsilon = 0.05) {
    if (!(epsilon >= 0 && epsilon <= 1)) throw new RangeError('epsilon must be in [0, 1]');
  }

  choose(arms: readonly Arm[], rng: () => number, _round = 0): Choice {
    const n = arms.length;
    if (n === 0) throw new RangeError('no arms to choose from');
    const best = argmax(arms.map((a) => a.score));
    const probabilities = new Array<number>(n).fill(this.epsilon / n);
    probabilities[best] = (probabilities[best] ?? 0) + (1 - this.epsilon);
    return { index: this.epsilon === 0 ? best : sampleIndex(probabilities, rng), probabilities };
  }
}
