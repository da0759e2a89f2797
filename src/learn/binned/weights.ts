// Weighted naive Bayes: one weight per predictor multiplies its log-likelihood ratio, learned by a diagonal Newton
// step per response on the log loss with a prior around 1, so that correlated predictors are not counted twice.

/**
 * One diagonal Newton step of the first n weights: `terms` are the predictors' unweighted terms at the row, g the
 * log loss's gradient in the log-odds (reward − p, times the response's weight) and h its curvature; `prior` is
 * the prior precision around 1. Weights stay in [0, 2].
 */
export function weightStep(
  terms: Float64Array,
  n: number,
  weights: number[],
  curvature: number[],
  g: number,
  h: number,
  prior: number,
): void {
  for (let i = 0; i < n; i++) {
    const ti = terms[i]!;
    if (ti === 0) continue;
    curvature[i]! += h * ti * ti;
    const w = weights[i]! + (g * ti) / (prior + curvature[i]!);
    weights[i] = Math.max(0, Math.min(2, w));
  }
}

/** Joins two estimates of one weight (each around the same prior): curvature-weighted mean, curvatures add. */
export function mergeWeight(
  w1: number,
  h1: number,
  w2: number,
  h2: number,
  prior: number,
): { weight: number; curvature: number } {
  const ha = prior + h1;
  const hb = prior + h2;
  return { weight: (ha * w1 + hb * w2) / (ha + hb), curvature: h1 + h2 };
}
