// Online Bayesian logistic regression over hashed features with optional pairwise interactions: each weight
// has a Gaussian posterior N(mean, 1/precision) kept diagonal and updated by one Laplace (Newton) step per
// response (Chapelle & Li, 2011). The posterior gives calibrated predictions through the probit
// approximation and Thompson sampling for free (logitSd). Numeric inputs are standardised with running
// means and variances (Welford), clipped at ±5 sd so outliers cannot dominate. Hand-written: it is product
// logic whose sufficient statistics must merge across nodes.
import {
  checkForgetFactor,
  checkResponse,
  type FeatureContribution,
  type Features,
  type FeatureValue,
  type Learner,
  type LearnerReport,
  type LearnerState,
  rankContributions,
} from './learner.ts';

export interface BayesianLogisticOptions {
  /** log2 of the number of hashed weights. */
  bits?: number;
  /** Prior precision of every weight (1 / prior variance). */
  priorPrecision?: number;
  /** Add products of every pair of first-order terms. */
  interactions?: boolean;
  /** A prior acceptance rate as pseudo-counts: it sets the bias's prior mean (default: 1 and 9, i.e. 10 %). */
  priorPositives?: number;
  priorNegatives?: number;
}

// priorPrecision 20 with interactions: bank-marketing progressive AUC 0.772 (1: 0.724; no interactions: 0.761).
const DEFAULTS: Required<BayesianLogisticOptions> = {
  bits: 18,
  priorPrecision: 20,
  interactions: true,
  priorPositives: 1,
  priorNegatives: 9,
};

interface Term {
  index: number;
  value: number;
}

/** FNV-1a 32-bit of a string. */
function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ (b + 0x9e3779b9 + (a << 6) + (a >>> 2)), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) >>> 0;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export class BayesianLogistic implements Learner {
  readonly kind = 'bayesianLogistic';
  private readonly o: Required<BayesianLogisticOptions>;
  private readonly mask: number;
  private mean: Float64Array;
  /** Precision minus the prior, so that merging adds evidence only. */
  private precision: Float64Array;
  /** Running standardisation of numeric inputs: count, mean, M2 (Welford). */
  private readonly scales = new Map<string, [number, number, number]>();
  private positives = 0;
  private negatives = 0;

  constructor(options: BayesianLogisticOptions = {}) {
    this.o = { ...DEFAULTS, ...options };
    this.mask = (1 << this.o.bits) - 1;
    this.mean = new Float64Array(1 << this.o.bits);
    this.precision = new Float64Array(1 << this.o.bits);
    this.mean[0] = Math.log(this.o.priorPositives / this.o.priorNegatives);
  }

  get responses(): number {
    return this.positives + this.negatives;
  }

  private standardise(name: string, v: number): number {
    const s = this.scales.get(name);
    if (!s || s[0] < 2) return 0;
    const sd = Math.sqrt(s[2] / (s[0] - 1));
    if (!(sd > 0)) return 0;
    return Math.max(-5, Math.min(5, (v - s[1]) / sd));
  }

  private terms(x: Features): Term[] {
    const first: Term[] = [{ index: 0, value: 1 }];
    for (const name in x) {
      const v: FeatureValue = x[name];
      if (v === null || v === undefined || v === '') continue;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) continue;
        first.push({ index: hashString(name), value: this.standardise(name, v) });
      } else {
        first.push({ index: hashString(String(v), hashString(name)), value: 1 });
      }
    }
    const out: Term[] = first.map((t) => ({ index: t.index & this.mask, value: t.value }));
    if (this.o.interactions) {
      for (let i = 1; i < first.length; i++) {
        for (let j = i + 1; j < first.length; j++) {
          const value = first[i]!.value * first[j]!.value;
          if (value !== 0) out.push({ index: mix(first[i]!.index, first[j]!.index) & this.mask, value });
        }
      }
    }
    return out;
  }

  private moments(terms: readonly Term[]): { mu: number; variance: number } {
    let mu = 0;
    let variance = 0;
    for (const t of terms) {
      mu += this.mean[t.index]! * t.value;
      variance += (t.value * t.value) / (this.o.priorPrecision + this.precision[t.index]!);
    }
    return { mu, variance };
  }

  predict(x: Features): number {
    const { mu, variance } = this.moments(this.terms(x));
    // Probit approximation of the predictive probability under the Gaussian posterior.
    return sigmoid(mu / Math.sqrt(1 + (Math.PI * variance) / 8));
  }

  /**
   * Each feature's part of the posterior-mean log-odds: its own weight × value plus half of every pairwise
   * interaction it takes part in (the bias is the baseline, not a feature).
   */
  explain(x: Features): FeatureContribution[] {
    const named: Array<{ name: string; value: FeatureValue; index: number; scaled: number }> = [];
    for (const name in x) {
      const v: FeatureValue = x[name];
      if (v === null || v === undefined || v === '') continue;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) continue;
        named.push({ name, value: v, index: hashString(name), scaled: this.standardise(name, v) });
      } else named.push({ name, value: v, index: hashString(String(v), hashString(name)), scaled: 1 });
    }
    const parts = named.map((f) => this.mean[f.index & this.mask]! * f.scaled);
    if (this.o.interactions) {
      for (let i = 0; i < named.length; i++) {
        for (let j = i + 1; j < named.length; j++) {
          const a = named[i]!;
          const b = named[j]!;
          const half = (this.mean[mix(a.index, b.index) & this.mask]! * a.scaled * b.scaled) / 2;
          parts[i]! += half;
          parts[j]! += half;
        }
      }
    }
    return rankContributions(
      named.map((f, i) => ({ name: f.name, value: f.value, contribution: parts[i]! })),
    );
  }

  logitSd(x: Features): number {
    return Math.sqrt(this.moments(this.terms(x)).variance);
  }

  /**
   * One Newton step along the posterior variance (direction 1), or its reverse (-1). All terms move together,
   * so the step on the log-odds is g·v / (1 + h·v): never more than the residual asks for, however many terms.
   */
  private step(x: Features, reward: number, weight: number, direction: 1 | -1): void {
    const terms = this.terms(x);
    const { mu, variance } = this.moments(terms);
    const p = sigmoid(mu);
    const h = Math.max(p * (1 - p), 1e-6) * weight;
    const step = ((reward - p) * weight) / (1 + h * variance);
    for (const t of terms) {
      const before = this.precision[t.index]!;
      const after = Math.max(0, before + direction * h * t.value * t.value);
      // Learning divides by the precision before the step, unlearning by the precision after it (its inverse).
      const q = this.o.priorPrecision + (direction === 1 ? before : after);
      this.mean[t.index] = this.mean[t.index]! + (direction * step * t.value) / q;
      this.precision[t.index] = after;
    }
  }

  unlearn(x: Features, reward: number, weight = 1): void {
    checkResponse(reward, weight);
    if (weight === 0) return;
    this.step(x, reward, weight, -1);
    this.positives = Math.max(0, this.positives - reward * weight);
    this.negatives = Math.max(0, this.negatives - (1 - reward) * weight);
  }

  learn(x: Features, reward: number, weight = 1): void {
    checkResponse(reward, weight);
    if (weight === 0) return;
    this.step(x, reward, weight, 1);
    // Standardisation learns after the weights, so a prediction and its update see the same scale.
    for (const name in x) {
      const v = x[name];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      let s = this.scales.get(name);
      if (!s) {
        s = [0, 0, 0];
        this.scales.set(name, s);
      }
      s[0] += 1;
      const d = v - s[1];
      s[1] += d / s[0];
      s[2] += d * (v - s[1]);
    }
    this.positives += reward * weight;
    this.negatives += (1 - reward) * weight;
  }

  /** Forgetting: the evidence part of every precision shrinks, so the weights can move again. */
  forget(factor: number): void {
    checkForgetFactor(factor);
    if (factor === 1) return;
    for (let i = 0; i < this.precision.length; i++) {
      if (this.precision[i] !== 0) this.precision[i] = this.precision[i]! * factor;
    }
    this.positives *= factor;
    this.negatives *= factor;
  }

  /** Combines two posteriors: precisions add, means are precision-weighted. */
  merge(other: Learner): void {
    if (!(other instanceof BayesianLogistic) || other.o.bits !== this.o.bits) {
      throw new TypeError(`cannot merge ${other.kind} into ${this.kind}`);
    }
    const prior = this.o.priorPrecision;
    for (let i = 0; i < this.mean.length; i++) {
      const a = this.precision[i]!;
      const b = other.precision[i]!;
      if (b === 0) continue;
      this.mean[i] = ((prior + a) * this.mean[i]! + (prior + b) * other.mean[i]!) / (2 * prior + a + b);
      this.precision[i] = a + b;
    }
    for (const [name, t] of other.scales) {
      const s = this.scales.get(name);
      if (!s) {
        this.scales.set(name, [...t]);
        continue;
      }
      const n = s[0] + t[0];
      const d = t[1] - s[1];
      s[2] = s[2] + t[2] + (d * d * s[0] * t[0]) / n;
      s[1] = s[1] + (d * t[0]) / n;
      s[0] = n;
    }
    this.positives += other.positives;
    this.negatives += other.negatives;
  }

  report(): LearnerReport {
    const responses = this.responses;
    return {
      kind: this.kind,
      responses,
      positives: this.positives,
      successRate: (this.positives + 1) / (responses + 2),
    };
  }

  toJSON(): LearnerState {
    // Only the weights that learned anything are stored.
    const weights: Array<[number, number, number]> = [];
    for (let i = 0; i < this.mean.length; i++) {
      if (this.precision[i] !== 0 || this.mean[i] !== 0) weights.push([i, this.mean[i]!, this.precision[i]!]);
    }
    return {
      kind: this.kind,
      options: this.o,
      positives: this.positives,
      negatives: this.negatives,
      // Copies: the running scales change in place as the model learns on.
      scales: [...this.scales].map(([name, t]) => [name, [...t]]),
      weights,
    };
  }

  static fromJSON(state: LearnerState): BayesianLogistic {
    const s = state as unknown as {
      options: BayesianLogisticOptions;
      positives: number;
      negatives: number;
      scales: Array<[string, [number, number, number]]>;
      weights: Array<[number, number, number]>;
    };
    const m = new BayesianLogistic(s.options);
    m.positives = s.positives;
    m.negatives = s.negatives;
    for (const [name, t] of s.scales) m.scales.set(name, [...t]);
    for (const [i, mean, precision] of s.weights) {
      m.mean[i] = mean;
      m.precision[i] = precision;
    }
    return m;
  }
}
