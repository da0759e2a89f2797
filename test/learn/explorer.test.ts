import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import { EpsilonGreedy } from '../../src/learn/explore/epsilonGreedy.ts';
import { SquareCb } from '../../src/learn/explore/squareCb.ts';
import { Thompson } from '../../src/learn/explore/thompson.ts';
import { type Arm, sampleIndex } from '../../src/learn/explorer.ts';

const arms = (scores: number[]): Arm[] => scores.map((s) => ({ score: s, propensity: s, logitSd: 0 }));

describe('explorers', () => {
  it('epsilon-greedy probabilities sum to 1 and favour the best score', () => {
    const choice = new EpsilonGreedy(0.1).choose(arms([0.2, 0.9, 0.5]), mulberry32(1), 0);
    expect(choice.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(choice.probabilities[1]).toBeCloseTo(0.9 + 0.1 / 3, 12);
    expect(choice.probabilities[choice.index]).toBeGreaterThan(0);
  });

  it('greedy (epsilon 0) always takes the best', () => {
    const g = new EpsilonGreedy(0);
    const rng = mulberry32(2);
    for (let i = 0; i < 100; i++) expect(g.choose(arms([1, 3, 2]), rng, 0).index).toBe(1);
  });

  it('sampleIndex follows the distribution', () => {
    const rng = mulberry32(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[sampleIndex([0.2, 0.5, 0.3], rng)]!++;
    expect(counts[1]! / 30_000).toBeCloseTo(0.5, 1);
    expect(sampleIndex([0, 0, 1], () => 0.999999999)).toBe(2);
  });

  it('rejects an epsilon outside [0, 1]', () => {
    expect(() => new EpsilonGreedy(1.5)).toThrow(RangeError);
  });
});

describe('SquareCB and Thompson', () => {
  const armsOf = (ps: number[], evidence = 1000): Arm[] =>
    ps.map((p) => ({ score: p, propensity: p, logitSd: 0.5, evidence }));

  it('SquareCB probabilities sum to 1, favour the best and shrink with the rounds', () => {
    const sq = new SquareCb();
    const early = sq.choose(armsOf([0.1, 0.3, 0.2]), mulberry32(1), 1);
    const late = sq.choose(armsOf([0.1, 0.3, 0.2]), mulberry32(1), 10_000);
    for (const c of [early, late]) expect(c.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(late.probabilities[1]).toBeGreaterThan(early.probabilities[1]!);
    expect(late.probabilities[0]).toBeLessThan(late.probabilities[2]!);
    expect(Math.min(...late.probabilities)).toBeGreaterThan(0);
  });

  it('SquareCB keeps trying an arm with little evidence (cold start)', () => {
    const sq = new SquareCb();
    const arms = armsOf([0.3, 0.05]);
    const mature = sq.choose(arms, mulberry32(1), 10_000).probabilities[1]!;
    arms[1]!.evidence = 2;
    const fresh = sq.choose(arms, mulberry32(1), 10_000).probabilities[1]!;
    expect(fresh).toBeGreaterThan(mature * 5);
  });

  it('SquareCB explores as much in total with many arms as with a few (gamma grows with their square root)', () => {
    const explored = (k: number, scaleWithArms: boolean) => {
      const arms = armsOf([0.5, ...Array.from({ length: k - 1 }, () => 0.1)], 5);
      return 1 - new SquareCb({ scaleWithArms }).choose(arms, mulberry32(1), 100).probabilities[0]!;
    };
    // Four arms or fewer: unchanged.
    expect(explored(4, true)).toBeCloseTo(explored(4, false), 12);
    // 26 arms: without the scaling each added arm adds its own share, with it the total stays near the 4-arm one.
    expect(explored(26, false)).toBeGreaterThan(2.5 * explored(4, false));
    expect(explored(26, true)).toBeLessThan(2 * explored(4, true));
  });

  it('Thompson estimates probabilities that match its own choice frequencies', () => {
    const ts = new Thompson({ probabilityDraws: 200 });
    const arms = armsOf([0.2, 0.25, 0.1]);
    const rng = mulberry32(2);
    const counts = [0, 0, 0];
    let estimate = [0, 0, 0];
    for (let i = 0; i < 2000; i++) {
      const c = ts.choose(arms, rng);
      counts[c.index]!++;
      estimate = estimate.map((e, j) => e + c.probabilities[j]! / 2000);
    }
    counts.forEach((n, j) => {
      expect(n / 2000).toBeCloseTo(estimate[j]!, 1);
    });
    expect(estimate.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });
});
