// Which predictors count: each predictor's own AUC from its bins switches off those with too little signal, and
// picks the candidates for pairwise corrections.
import type { Predictor } from './predictors.ts';

export interface PredictorAuc {
  name: string;
  auc: number;
  bins: number;
  active: boolean;
}

/** AUC of a binned score: bins ranked by their smoothed positive rate, ties count half. */
export function binAuc(bins: ReadonlyArray<readonly [number, number]>): number {
  let tp = 0;
  let tn = 0;
  for (const [p, n] of bins) {
    tp += p;
    tn += n;
  }
  if (tp === 0 || tn === 0) return 0.5;
  const rate = tp / (tp + tn);
  const ranked = [...bins].sort(
    (a, b) => (b[0] + rate) / (b[0] + b[1] + 1) - (a[0] + rate) / (a[0] + a[1] + 1),
  );
  let negBelow = tn;
  let area = 0;
  for (const [p, n] of ranked) {
    negBelow -= n;
    area += p * negBelow + 0.5 * p * n;
  }
  return area / (tp * tn);
}

/** Each predictor's AUC from its own bins (missing values as one more bin). */
export function predictorAucs(
  list: readonly Predictor[],
  names: readonly string[],
  inactive: ReadonlySet<string>,
): PredictorAuc[] {
  const out: PredictorAuc[] = [];
  for (let i = 0; i < list.length; i++) {
    const name = names[i]!;
    const p = list[i]!;
    const bins: Array<[number, number]> = p.pos.map((pos, i) => [pos, p.neg[i]!]);
    bins.push([p.missPos, p.missNeg]);
    out.push({ name, auc: binAuc(bins), bins: bins.length, active: !inactive.has(name) });
  }
  return out;
}

/** The names of predictors whose AUC is below minAuc. */
export function weakPredictors(aucs: readonly PredictorAuc[], minAuc: number): Set<string> {
  return new Set(aucs.flatMap((a) => (a.auc < minAuc ? [a.name] : [])));
}

/**
 * The indices of the `count` strongest predictors by their own AUC, ascending: pair tables grow with the square
 * of the candidates, so only these take part.
 */
export function pairCandidates(aucs: readonly PredictorAuc[], count: number): number[] {
  return aucs
    .map((a, i) => ({ i, strength: Math.abs(a.auc - 0.5) }))
    .sort((a, b) => b.strength - a.strength)
    .slice(0, count)
    .map((c) => c.i)
    .sort((a, b) => a - b);
}
