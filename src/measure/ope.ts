// Off-policy evaluation: how would another policy have done, from logs of the one that ran? Hand-written: four
// textbook estimators over per-round quantities, so that the same code serves the OBD benchmark and
// `nextbest evaluate` on our own decision logs (Dudík, Langford & Li, 2011; Swaminathan & Joachims, 2015).
import { Z95 } from './stats.ts';

/** One logged round as the estimators need it. */
export interface OpeRound {
  /** Observed reward of the logged action (0 or 1 for clicks/accepts). */
  reward: number;
  /** Probability with which the logging policy chose the logged action (> 0). */
  loggingProbability: number;
  /** Probability with which the evaluated policy would choose the logged action. */
  targetProbability: number;
  /** Σ over actions of target probability × modelled reward: the direct method's value for this round. */
  directValue: number;
  /** The reward model's value for the logged action. */
  modelledReward: number;
}

export interface OpeEstimate {
  estimator: OpeEstimator;
  estimate: number;
  /** 95 % normal-approximation interval over rounds (delta method for the self-normalised estimator). */
  ci: [number, number];
  /** Effective sample size of the importance weights, (Σw)² / Σw²; n for the direct method. */
  effectiveSampleSize: number;
  rounds: number;
}

export const OPE_ESTIMATORS = ['DM', 'IPS', 'SNIPS', 'DR'] as const;
export type OpeEstimator = (typeof OPE_ESTIMATORS)[number];

export function meanAndCi(values: readonly number[]): { mean: number; ci: [number, number] } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, ci: [Number.NaN, Number.NaN] };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const se = n > 1 ? Math.sqrt(ss / (n - 1) / n) : 0;
  return { mean, ci: [mean - Z95 * se, mean + Z95 * se] };
}

/** All four estimates of the evaluated policy's mean reward per round. */
export function offPolicyEstimates(rounds: readonly OpeRound[]): OpeEstimate[] {
  const n = rounds.length;
  for (const [i, r] of rounds.entries()) {
    if (!(r.loggingProbability > 0))
      throw new RangeError(`round ${i}: logging probability must be > 0 (got ${r.loggingProbability})`);
  }
  const w = rounds.map((r) => r.targetProbability / r.loggingProbability);
  let sw = 0;
  let sw2 = 0;
  for (const x of w) {
    sw += x;
    sw2 += x * x;
  }
  const ess = sw2 > 0 ? (sw * sw) / sw2 : 0;

  const dm = meanAndCi(rounds.map((r) => r.directValue));
  const ips = meanAndCi(rounds.map((r, i) => w[i]! * r.reward));
  const dr = meanAndCi(rounds.map((r, i) => r.directValue + w[i]! * (r.reward - r.modelledReward)));

  // Self-normalised IPS: Σ w r / Σ w, with the delta-method variance Σ w² (r − v)² / (Σ w)².
  let swr = 0;
  for (let i = 0; i < n; i++) swr += w[i]! * rounds[i]!.reward;
  const snips = sw > 0 ? swr / sw : Number.NaN;
  let v = 0;
  for (let i = 0; i < n; i++) v += w[i]! ** 2 * (rounds[i]!.reward - snips) ** 2;
  const seSnips = sw > 0 ? Math.sqrt(v) / sw : Number.NaN;

  return [
    { estimator: 'DM', estimate: dm.mean, ci: dm.ci, effectiveSampleSize: n, rounds: n },
    { estimator: 'IPS', estimate: ips.mean, ci: ips.ci, effectiveSampleSize: ess, rounds: n },
    {
      estimator: 'SNIPS',
      estimate: snips,
      ci: [snips - Z95 * seSnips, snips + Z95 * seSnips],
      effectiveSampleSize: ess,
      rounds: n,
    },
    { estimator: 'DR', estimate: dr.mean, ci: dr.ci, effectiveSampleSize: ess, rounds: n },
  ];
}
