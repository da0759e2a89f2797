// The binned learner's options and their defaults.

export interface AdaptiveBinnedBayesOptions {
  /** Most bins per numeric predictor. */
  maxBins?: number;
  /** Values kept per numeric predictor to place bin boundaries (a reservoir sample). */
  reservoirSize?: number;
  /** Weight of the prior that pulls a bin's likelihood towards the predictor's overall bin frequency. */
  binPrior?: number;
  /** Beta prior of the base rate. */
  priorPositives?: number;
  priorNegatives?: number;
  /** Predictors whose AUC is below this, once they have `aucEvidence` responses, are switched off. */
  minAuc?: number;
  aucEvidence?: number;
  /** Learn a Platt calibration of the naive-Bayes log-odds. */
  calibrate?: boolean;
  /**
   * Weighted naive Bayes: learn one weight per predictor (prior 1, online Newton steps on the log loss), so
   * correlated predictors are not counted twice.
   */
  weighted?: boolean;
  /** Prior precision of the predictor weights around 1. */
  weightPrior?: number;
  /** Shrink each predictor's log-likelihood ratios by how much of their spread exceeds sampling noise. */
  shrink?: boolean;
  /** Responses of the rarer kind (positive or negative) after which the shrinkage is fully trusted. */
  shrinkAfter?: number;
  /** Grow the bin prior with the square root of the number of predictors (beyond 16). */
  scalePrior?: boolean;
  /** Scale of the bins' share of the log-odds uncertainty (0: only the base rate's uncertainty). */
  sdScale?: number;
  /**
   * Exponential forgetting: a response's weight halves after this many later responses (0: never forget).
   * Applied in steps of a tenth of the half-life, so that it costs nothing per response.
   */
  halfLife?: number;
  /** Most levels kept per categorical predictor; later new levels share one bin. */
  maxLevels?: number;
  /**
   * Pairwise corrections (see pairs.ts): at most this many pairs of predictors whose dependence given
   * the outcome is clear add a joint term (0: plain weighted naive Bayes).
   */
  pairs?: number;
  /** Responses before pair statistics start (the codes of numeric predictors are frozen then). */
  pairsAfter?: number;
  /** Pairs are sought among this many predictors, the strongest by their own AUC when the statistics start. */
  pairCandidates?: number;
  /**
   * The predictors' terms count n / (n + trustAfter), n the responses of the rarer kind, so that a model with
   * little evidence of one kind stays near its base rate (0: always fully; see the model's evidenceScale).
   */
  trustAfter?: number;
  seed?: number;
}

// Defaults chosen with `npm run bench:cbify` over all six shared sets at once (no per-set tuning): per-bin
// shrinkage and Platt calibration each helped some sets and hurt others, so they are off by default; predictor
// weights helped five of six sets and bank-marketing (AUC 0.751 → 0.763, log loss 0.402 → 0.305); two pairwise
// corrections among eight candidates took bank-marketing to 0.779 and letter 0.595 → 0.602, the others unchanged
// within ±0.002, for about 15 % more time per example (more pairs or candidates gained nothing and cost more).
// trustAfter 4 (with SquareCB's gammaScale 50) raised all six plain sets but vowel (level within its noise) and
// every skewed one, and bank-marketing a little (AUC 0.7789 → 0.7792); 1 and 2 were below 4 on the skewed sets.
// weightPrior 5 (was 30; 2026-12-04): with 30 the prior still outweighed the curvature of thousands of responses
// (a rare outcome and small per-predictor terms accumulate little), so duplicated predictors (call minutes and
// their charge) stayed counted twice; 5 raised every binary set (churn AUC 0.834 → 0.849, loan default 0.690 →
// 0.715 with its log loss now below the base rate's, attrition log loss 0.446 → 0.400, bank marketing 0.7792 →
// 0.7799) and, over seeds 1–20, the plain dna, letter, satellite and vowel, the others level; 2 was level with 5
// on the binary sets but less stable on skewed letter.
export const DEFAULTS: Required<AdaptiveBinnedBayesOptions> = {
  maxBins: 16,
  reservoirSize: 256,
  binPrior: 1,
  priorPositives: 1,
  priorNegatives: 9,
  minAuc: 0.51,
  aucEvidence: 400,
  calibrate: false,
  weighted: true,
  weightPrior: 5,
  shrink: false,
  shrinkAfter: 30,
  sdScale: 1,
  scalePrior: true,
  maxLevels: 200,
  pairs: 2,
  pairsAfter: 200,
  pairCandidates: 8,
  halfLife: 0,
  trustAfter: 4,
  seed: 1,
};

export type Options = Required<AdaptiveBinnedBayesOptions>;
