import { describe, expect, it } from 'vitest';
import { katzRatio, newcombeDifference, wilson } from '../../src/measure/stats.ts';

describe('confidence intervals', () => {
  it('Wilson matches the published examples (Newcombe 1998, table I)', () => {
    const a = wilson(81, 263);
    expect(a.low).toBeCloseTo(0.2553, 4);
    expect(a.high).toBeCloseTo(0.3662, 4);
    const b = wilson(0, 10);
    expect(b.low).toBe(0);
    expect(b.high).toBeCloseTo(0.2775, 4);
  });

  it('Newcombe hybrid score matches the published example 56/70 − 48/80 (Newcombe 1998, table II)', () => {
    const d = newcombeDifference(56, 70, 48, 80);
    expect(d.difference).toBeCloseTo(0.2, 12);
    expect(d.low).toBeCloseTo(0.0524, 4);
    expect(d.high).toBeCloseTo(0.3339, 4);
    // Example (b), small counts: 9/10 − 3/10.
    const e = newcombeDifference(9, 10, 3, 10);
    expect(e.low).toBeCloseTo(0.1705, 4);
    expect(e.high).toBeCloseTo(0.809, 4);
  });

  it('Katz log interval for a ratio of proportions, by hand', () => {
    // 20/100 vs 10/100: RR 2, SE = sqrt(1/20 − 1/100 + 1/10 − 1/100) = sqrt(0.13).
    const r = katzRatio(20, 100, 10, 100)!;
    expect(r.ratio).toBeCloseTo(2, 12);
    expect(r.low).toBeCloseTo(2 * Math.exp(-1.959963984540054 * Math.sqrt(0.13)), 10);
    expect(r.high).toBeCloseTo(2 * Math.exp(1.959963984540054 * Math.sqrt(0.13)), 10);
    expect(r.low).toBeCloseTo(0.9866, 3);
    expect(r.high).toBeCloseTo(4.0541, 3);
  });

  it('stays finite with zero successes and is undefined without trials', () => {
    const r = katzRatio(5, 50, 0, 50)!;
    expect(Number.isFinite(r.high)).toBe(true);
    expect(r.low).toBeGreaterThan(0);
    expect(katzRatio(1, 0, 1, 10)).toBeNull();
  });
});
