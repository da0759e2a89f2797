import { describe, expect, it } from 'vitest';
import { auc, averagePrecision, calibrationTable, logLoss } from '../../src/measure/modelQuality.ts';

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
});
