// A predictor's terms: each bin's smoothed log-likelihood ratio (what it adds to the naive-Bayes log-odds), its
// sampling variance (the model's uncertainty, for Thompson sampling) and the optional empirical-Bayes shrinkage;
// computed lazily from the counts and updated one bin at a time as responses arrive.
import type { Predictor } from './predictors.ts';

/** Per-predictor cache of log-likelihood ratios, rebuilt lazily after learning. */
export interface Cache {
  /** Per bin: log(pos + m·q) − log(neg + m·q); the bin's log-likelihood ratio is this minus `offset`. */
  a: Float64Array;
  missA: number;
  /** log(positives + m) − log(negatives + m) of the predictor. */
  offset: number;
  /** Approximate sampling variance of each bin's log-likelihood ratio. */
  variance: Float64Array;
  missingVariance: number;
  /** Multiplier of the ratios (the shrinkage factor; 1 without shrinkage). */
  factor: number;
  m: number;
  bins: number;
  /** Log-likelihood ratio of a value never seen (an unseen level): the prior says 0. */
  active: boolean;
}

/** The model's options that shape the terms. */
export interface TermOptions {
  binPrior: number;
  scalePrior: boolean;
  shrink: boolean;
  shrinkAfter: number;
}

/** log(pos + m·q) − log(neg + m·q) with q the bin's smoothed share of all responses. */
function binTerm(pos: number, neg: number, m: number, total: number, bins: number): number {
  const q = (pos + neg + 1) / (total + bins);
  return Math.log(pos + m * q) - Math.log(neg + m * q);
}

/** Sampling variance of a bin's log-likelihood ratio; the +1 keeps empty bins from looking infinitely noisy. */
function binVariance(pos: number, neg: number): number {
  return 1 / (pos + 1) + 1 / (neg + 1);
}

/** The terms of predictor p, one of `predictors` in its model. */
export function newCache(p: Predictor, predictors: number, active: boolean, o: TermOptions): Cache {
  const n = p.pos.length;
  // The naive-Bayes sum adds the noise of every predictor, so with many predictors each bin needs more
  // evidence before it moves the log-odds: the prior grows with the square root of the predictor count.
  const m = o.binPrior * (o.scalePrior ? Math.max(1, Math.sqrt(predictors) / 4) : 1);
  const c: Cache = {
    a: new Float64Array(n),
    missA: 0,
    offset: 0,
    variance: new Float64Array(n),
    missingVariance: 0,
    factor: 1,
    m,
    bins: n + 1,
    active,
  };
  fill(p, c, o);
  return c;
}

/** Computes every term of p's cache from its counts, in place. */
function fill(p: Predictor, c: Cache, o: TermOptions) {
  const { tp, tn, ref } = p;
  const { m, bins } = c;
  for (let b = 0; b < c.a.length; b++) {
    c.a[b] = binTerm(p.pos[b]!, p.neg[b]!, m, ref, bins);
    c.variance[b] = binVariance(p.pos[b]!, p.neg[b]!);
  }
  c.missA = binTerm(p.missPos, p.missNeg, m, ref, bins);
  c.missingVariance = binVariance(p.missPos, p.missNeg);
  c.offset = Math.log(tp + m) - Math.log(tn + m);
  if (o.shrink && tp + tn > 0) c.factor = shrinkFactor(p, c, o.shrinkAfter);
}

/**
 * Empirical-Bayes shrinkage: how much of the spread of this predictor's log-likelihood ratios over its bins
 * is more than their sampling noise? Pure-noise predictors shrink to 0, strong ones keep about 1.
 */
function shrinkFactor(p: Predictor, c: Cache, shrinkAfter: number): number {
  const total = p.tp + p.tn;
  const n = p.pos.length;
  const missing = c.missA - c.offset;
  let mean = (p.missPos + p.missNeg) * missing;
  for (let b = 0; b < n; b++) mean += (p.pos[b]! + p.neg[b]!) * (c.a[b]! - c.offset);
  mean /= total;
  let spread = ((p.missPos + p.missNeg) * (missing - mean) ** 2) / total;
  let noise = ((p.missPos + p.missNeg) * c.missingVariance) / total;
  for (let b = 0; b < n; b++) {
    const f = (p.pos[b]! + p.neg[b]!) / total;
    spread += f * (c.a[b]! - c.offset - mean) ** 2;
    noise += f * c.variance[b]!;
  }
  const raw = spread > 0 ? Math.max(0, 1 - noise / spread) : 0;
  // With few responses the noise estimate itself is unreliable: start as plain naive Bayes and hand over
  // to the shrinkage as positives and negatives accumulate.
  const trust = Math.min(1, Math.min(p.tp, p.tn) / shrinkAfter);
  return trust * raw + (1 - trust);
}

/**
 * After p counted one response in bin `b` (-1: the missing bin): moves its reference total once the total has
 * grown by a hundredth and one response (all its terms change then), else updates the one term that changed.
 * `reshaped`: its bins changed (a rebin, a new level), so all its terms change. Returns the cache to keep
 * (undefined: rebuild it when next needed).
 */
export function counted(
  p: Predictor,
  c: Cache | undefined,
  b: number,
  reshaped: boolean,
  o: TermOptions,
): Cache | undefined {
  const total = p.tp + p.tn;
  const grown = total > 1.01 * p.ref + 1;
  if (grown) p.ref = total;
  if (reshaped) return undefined;
  if (!c) return c;
  // Shrinkage looks at all bins; without it only bin b's term and the offset moved.
  if (grown || o.shrink) {
    fill(p, c, o);
    return c;
  }
  c.offset = Math.log(p.tp + c.m) - Math.log(p.tn + c.m);
  if (b < 0) {
    c.missA = binTerm(p.missPos, p.missNeg, c.m, p.ref, c.bins);
    c.missingVariance = binVariance(p.missPos, p.missNeg);
  } else {
    c.a[b] = binTerm(p.pos[b]!, p.neg[b]!, c.m, p.ref, c.bins);
    c.variance[b] = binVariance(p.pos[b]!, p.neg[b]!);
  }
  return c;
}
