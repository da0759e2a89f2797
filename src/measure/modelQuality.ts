// How good a propensity model is, from predictions made before each outcome was known (progressive
// validation): AUC, average precision, log loss and a calibration table. Pure functions over two arrays.
import { wilson } from './stats.ts';

/** How far a model has come, by its evidence: cold below 50 responses, learning below 1,000, then mature. */
export const MATURITY_LEVELS = ['cold', 'learning', 'mature'] as const;
export type Maturity = (typeof MATURITY_LEVELS)[number];
export const MATURITY_THRESHOLDS = { learning: 50, mature: 1000 } as const;

export function maturityOf(responses: number): Maturity {
  return responses < MATURITY_THRESHOLDS.learning
    ? 'cold'
    : responses < MATURITY_THRESHOLDS.mature
      ? 'learning'
      : 'mature';
}

/** Exact ROC AUC with ties counted half (rank-sum); 0.5 when one class is missing. */
export function auc(scores: readonly number[], labels: readonly number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let pos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]!] === 1) {
        rankSumPos += rank;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return 0.5;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Average precision (area under the precision-recall curve, step-wise); tied scores enter together. */
export function averagePrecision(scores: readonly number[], labels: readonly number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const positives = labels.reduce((n, y) => n + (y === 1 ? 1 : 0), 0);
  if (positives === 0) return 0;
  let tp = 0;
  let seen = 0;
  let area = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    let newTp = 0;
    while (j < idx.length && scores[idx[j]!] === scores[idx[i]!]) {
      if (labels[idx[j]!] === 1) newTp++;
      j++;
    }
    tp += newTp;
    seen = j;
    area += (newTp / positives) * (tp / seen);
    i = j;
  }
  return area;
}

export function logLoss(scores: readonly number[], labels: readonly number[]): number {
  if (scores.length === 0) return Number.NaN;
  let loss = 0;
  scores.forEach((s, i) => {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, s));
    loss -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  });
  return loss / scores.length;
}

export interface CalibrationBin {
  /** Responses in the bin. */
  n: number;
  meanPredicted: number;
  observedRate: number;
  /** Wilson 95 % interval of the observed rate. */
  low: number;
  high: number;
}

/** Predicted vs observed rate in up to `bins` equal-count bins of the sorted predictions (deciles by default). */
export function calibrationTable(
  scores: readonly number[],
  labels: readonly number[],
  bins = 10,
): CalibrationBin[] {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const out: CalibrationBin[] = [];
  const k = Math.min(bins, idx.length);
  for (let b = 0; b < k; b++) {
    const from = Math.floor((b * idx.length) / k);
    const to = Math.floor(((b + 1) * idx.length) / k);
    let p = 0;
    let y = 0;
    for (let i = from; i < to; i++) {
      p += scores[idx[i]!]!;
      y += labels[idx[i]!]!;
    }
    const n = to - from;
    if (n > 0) out.push({ n, meanPredicted: p / n, observedRate: y / n, ...wilson(y, n) });
  }
  return out;
}

/**
 * Expected calibration error: the mean absolute gap between predicted and observed rate over `bins` equal-mass
 * bins of the sorted predictions, each weighted by its share of the responses (0: perfectly calibrated).
 */
export function expectedCalibrationError(
  scores: readonly number[],
  labels: readonly number[],
  bins = 10,
): number {
  if (scores.length === 0) return Number.NaN;
  let gap = 0;
  for (const b of calibrationTable(scores, labels, bins))
    gap += b.n * Math.abs(b.meanPredicted - b.observedRate);
  return gap / scores.length;
}

/**
 * Calibration intercept and slope: the logistic regression of the outcome on the prediction's log-odds, fitted by
 * Newton's method. Slope 1 and intercept 0 when calibrated; a slope under 1 means overconfident predictions
 * (too extreme), over 1 too timid. Hand-written: a two-parameter fit is not worth a dependency.
 */
export function calibrationSlope(
  scores: readonly number[],
  labels: readonly number[],
): { intercept: number; slope: number } {
  const z = scores.map((s) => {
    const p = Math.min(1 - 1e-9, Math.max(1e-9, s));
    return Math.log(p / (1 - p));
  });
  let a = 0;
  let b = 1;
  for (let iteration = 0; iteration < 50; iteration++) {
    let ga = 0;
    let gb = 0;
    let haa = 0;
    let hab = 0;
    let hbb = 0;
    for (let i = 0; i < z.length; i++) {
      const p = 1 / (1 + Math.exp(-(a + b * z[i]!)));
      const r = labels[i]! - p;
      const w = p * (1 - p);
      ga += r;
      gb += r * z[i]!;
      haa += w;
      hab += w * z[i]!;
      hbb += w * z[i]! * z[i]!;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 1e-12)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a += da;
    b += db;
    if (Math.abs(da) + Math.abs(db) < 1e-10) break;
  }
  return { intercept: a, slope: b };
}
