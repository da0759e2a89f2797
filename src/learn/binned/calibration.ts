// Platt calibration of the naive-Bayes log-odds, learned online: p = sigmoid(a + b·z), a 2×2 logistic regression
// whose curvature accumulates from a prior that starts it at the identity, so overconfident log-odds are shrunk
// as soon as the evidence says so.

/** Prior curvature of the calibration: how many responses it takes before it moves far from the identity. */
const CAL_PRIOR = 5;

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export class PlattCalibration {
  a = 0;
  b = 1;
  /** Weight of the responses it learned from. */
  n = 0;
  /** Accumulated curvature [aa, ab, bb], starting from the prior. */
  h: [number, number, number] = [CAL_PRIOR, 0, CAL_PRIOR * 4];

  /** The calibrated probability of log-odds z. */
  apply(z: number): number {
    return sigmoid(this.a + this.b * z);
  }

  /** One online Newton step on the log loss of one response with naive-Bayes log-odds z. */
  step(z: number, reward: number, weight: number): void {
    const zc = Math.max(-30, Math.min(30, z));
    const p = sigmoid(this.a + this.b * zc);
    const g = (p - reward) * weight;
    const w = Math.max(p * (1 - p), 0.01) * weight;
    this.h[0] += w;
    this.h[1] += w * zc;
    this.h[2] += w * zc * zc;
    const [h00, h01, h11] = this.h;
    const det = h00 * h11 - h01 * h01;
    if (det <= 0) return;
    const ga = g;
    const gb = g * zc;
    this.a -= (h11 * ga - h01 * gb) / det;
    this.b -= (-h01 * ga + h00 * gb) / det;
    if (this.b < 0.02) this.b = 0.02;
    this.n += weight;
  }

  /** Joins another calibration: coefficients weighted by evidence, curvatures add (the prior once). */
  merge(other: PlattCalibration): void {
    const n1 = this.n;
    const n2 = other.n;
    if (n1 + n2 > 0) {
      this.a = (this.a * n1 + other.a * n2) / (n1 + n2);
      this.b = (this.b * n1 + other.b * n2) / (n1 + n2);
    }
    this.n = n1 + n2;
    this.h = [
      this.h[0] + other.h[0] - CAL_PRIOR,
      this.h[1] + other.h[1],
      this.h[2] + other.h[2] - CAL_PRIOR * 4,
    ];
  }

  /** As stored: [a, b, n, h00, h01, h11]. */
  toJSON(): number[] {
    return [this.a, this.b, this.n, ...this.h];
  }

  static fromJSON(s: readonly number[]): PlattCalibration {
    const c = new PlattCalibration();
    const [a, b, n, h00, h01, h11] = s as [number, number, number, number, number, number];
    [c.a, c.b, c.n] = [a, b, n];
    c.h = [h00, h01, h11];
    return c;
  }
}
