// The simplest propensity model: a Beta prior per action updated by outcomes, ignoring features.
// It is the cold-start baseline, and a sensible choice for actions whose response does not depend on who
// the customer is.
import {
  checkForgetFactor,
  checkResponse,
  type Features,
  type Learner,
  type LearnerReport,
  type LearnerState,
} from './learner.ts';

export interface BetaBinomialOptions {
  /** Prior pseudo-counts; the default Beta(1, 9) says "about 10 % until we know better", worth 10 responses. */
  priorPositives?: number;
  priorNegatives?: number;
}

export class BetaBinomial implements Learner {
  readonly kind = 'betaBinomial';
  private priorPositives: number;
  private priorNegatives: number;
  private positives = 0;
  private negatives = 0;

  constructor(options: BetaBinomialOptions = {}) {
    this.priorPositives = options.priorPositives ?? 1;
    this.priorNegatives = options.priorNegatives ?? 9;
    if (!(this.priorPositives > 0 && this.priorNegatives > 0))
      throw new RangeError('Beta prior counts must be > 0');
  }

  predict(_x?: Features): number {
    const a = this.priorPositives + this.positives;
    return a / (a + this.priorNegatives + this.negatives);
  }

  logitSd(_x?: Features): number {
    // The log-odds of Beta(a, b) has variance trigamma(a) + trigamma(b), about 1/a + 1/b.
    return Math.sqrt(1 / (this.priorPositives + this.positives) + 1 / (this.priorNegatives + this.negatives));
  }

  learn(_x: Features, reward: number, weight = 1): void {
    checkResponse(reward, weight);
    this.positives += reward * weight;
    this.negatives += (1 - reward) * weight;
  }

  unlearn(_x: Features, reward: number, weight = 1): void {
    checkResponse(reward, weight);
    this.positives = Math.max(0, this.positives - reward * weight);
    this.negatives = Math.max(0, this.negatives - (1 - reward) * weight);
  }

  forget(factor: number): void {
    checkForgetFactor(factor);
    this.positives *= factor;
    this.negatives *= factor;
  }

  merge(other: Learner): void {
    if (!(other instanceof BetaBinomial)) throw new TypeError(`cannot merge ${other.kind} into ${this.kind}`);
    this.positives += other.positives;
    this.negatives += other.negatives;
  }

  get responses(): number {
    return this.positives + this.negatives;
  }

  report(): LearnerReport {
    return {
      kind: this.kind,
      responses: this.positives + this.negatives,
      positives: this.positives,
      successRate: this.predict(),
    };
  }

  toJSON(): LearnerState {
    return {
      kind: this.kind,
      priorPositives: this.priorPositives,
      priorNegatives: this.priorNegatives,
      positives: this.positives,
      negatives: this.negatives,
    };
  }

  static fromJSON(state: LearnerState): BetaBinomial {
    const num = (key: string) => {
      const v = state[key];
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new TypeError(`betaBinomial state: ${key} must be a number`);
      return v;
    };
    const model = new BetaBinomial({
      priorPositives: num('priorPositives'),
      priorNegatives: num('priorNegatives'),
    });
    model.positives = num('positives');
    model.negatives = num('negatives');
    return model;
  }
}
