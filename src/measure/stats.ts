// Confidence intervals for proportions and for comparing two of them. Hand-written: a few closed formulas,
// each named after its published method so that the API docs can say exactly what they report.

/** Two-sided 95 % normal quantile. */
export const Z95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval for x successes in n trials (Wilson, 1927). */
export function wilson(x: number, n: number, z = Z95): Interval {
  if (n <= 0) return { low: 0, high: 1 };
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At x = 0 and x = n the bound is exactly 0 (or 1); the formula leaves a rounding error there.
  return {
    low: x <= 0 ? 0 : Math.max(0, centre - half),
    high: x >= n ? 1 : Math.min(1, centre + half),
  };
}

/**
 * Difference of two independent proportions p1 − p2 with Newcombe's hybrid score interval (Newcombe, 1998,
 * method 10), built from the two Wilson intervals; good coverage also for small counts and rates near 0.
 */
export function newcombeDifference(x1: number, n1: number, x2: number, n2: number, z = Z95) {
  const p1 = n1 > 0 ? x1 / n1 : 0;
  const p2 = n2 > 0 ? x2 / n2 : 0;
  const a = wilson(x1, n1, z);
  const b = wilson(x2, n2, z);
  const d = p1 - p2;
  return {
    difference: d,
    low: d - Math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2),
    high: d + Math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2),
  };
}

/**
 * Ratio of two independent proportions (p1 / p2) with the Katz log interval (Katz et al., 1978):
 * exp(ln RR ± z·sqrt(1/x1 − 1/n1 + 1/x2 − 1/n2)). With a zero count, 0.5 is added to both successes and
 * both trial counts (Haldane–Anscombe), so the interval stays finite. Undefined (null) without trials.
 */
export function katzRatio(x1: number, n1: number, x2: number, n2: number, z = Z95) {
  if (n1 <= 0 || n2 <= 0) return null;
  const zero = x1 === 0 || x2 === 0;
  const [a, m, c, k] = zero ? [x1 + 0.5, n1 + 0.5, x2 + 0.5, n2 + 0.5] : [x1, n1, x2, n2];
  const ratio = a / m / (c / k);
  const se = Math.sqrt(Math.max(0, 1 / a - 1 / m + 1 / c - 1 / k));
  return { ratio, low: ratio * Math.exp(-z * se), high: ratio * Math.exp(z * se) };
}
