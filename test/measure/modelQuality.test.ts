import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import {
  auc,
  averagePrecision,
  calibrationSlope,
  calibrationTable,
  expectedCalibrationError,
  logLoss,
} from '../../src/measure/modelQuality.ts';

describe('model quality', () => {
  it('AUC counts pairs, ties half', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(auc([0.5, 0.5], [0, 1])).toBe(0.5);
    expect(auc([0.2, 0.3], [1, 1])).toBe(0.5);
  });

  it('average precision by hand', () => {
    // Ranked: 0.8 (1), 0.4 (0), 0.35 (1), 0.1 (0): AP = (1/2)(1/1) + (1/2)(2/3).
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.5 + 1 / 3, 12);
  });

  it('calibration deciles and log loss', () => {
    const scores = Array.from({ length: 100 }, (_, i) => i / 100);
    const labels = scores.map((_, i) => (i % 10 < Math.floor(i / 10) ? 1 : 0));
    const table = calibrationTable(scores, labels);
    expect(table).toHaveLength(10);
    expect(table[0]!.n).toBe(10);
    expect(table[0]!.meanPredicted).toBeCloseTo(0.045, 12);
    expect(table[0]!.observedRate).toBe(0);
    expect(table[9]!.observedRate).toBeCloseTo(0.9, 12);
    expect(logLoss([0.5, 0.5], [0, 1])).toBeCloseTo(Math.log(2), 12);
  });

  it('expected calibration error by hand: equal-mass bins weighted by their share', () => {
    // Two bins of two: predicted 0.1 and 0.3 (mean 0.2) with one positive (0.5): gap 0.3; predicted 0.8 and
    // 0.8 with two positives: gap 0.2. ECE = (2·0.3 + 2·0.2) / 4.
    expect(expectedCalibrationError([0.1, 0.3, 0.8, 0.8], [1, 0, 1, 1], 2)).toBeCloseTo(0.25, 12);
    expect(expectedCalibrationError([0.5, 0.5], [0, 1], 1)).toBe(0);
  });

  it('calibration slope: 1 for calibrated predictions, under 1 for overconfident, over 1 for timid ones', () => {
    const rnd = mulberry32(3);
    const z = Array.from({ length: 20_000 }, () => (rnd() - 0.5) * 6);
    const labels = z.map((v) => (rnd() < 1 / (1 + Math.exp(-v)) ? 1 : 0));
    const at = (k: number) => z.map((v) => 1 / (1 + Math.exp(-k * v)));
    const calibrated = calibrationSlope(at(1), labels);
    const near = (x: number, target: number) => expect(Math.abs(x / target - 1)).toBeLessThan(0.06);
    near(calibrated.slope, 1);
    expect(Math.abs(calibrated.intercept)).toBeLessThan(0.05);
    // Log-odds twice too extreme: the fit halves them back.
    near(calibrationSlope(at(2), labels).slope, 0.5);
    near(calibrationSlope(at(0.5), labels).slope, 2);
    expect(expectedCalibrationError(at(1), labels)).toBeLessThan(0.02);
    expect(expectedCalibrationError(at(2), labels)).toBeGreaterThan(0.05);
  });
});
