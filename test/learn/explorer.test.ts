import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import { EpsilonGreedy } from '../../src/learn/explore/epsilonGreedy.ts';
import { sampleIndex } from '../../src/learn/explorer.ts';

describe('explorers', () => {
  it('epsilon-greedy probabilities sum to 1 and favour the best score', () => {
    const choice = new EpsilonGreedy(0.1).choose([0.2, 0.9, 0.5], mulberry32(1));
    expect(choice.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(choice.probabilities[1]).toBeCloseTo(0.9 + 0.1 / 3, 12);
    expect(choice.probabilities[choice.index]).toBeGreaterThan(0);
  });

  it('greedy (epsilon 0) always takes the best', () => {
    const g = new EpsilonGreedy(0);
    const rng = mulberry32(2);
    for (let i = 0; i < 100; i++) expect(g.choose([1, 3, 2], rng).index).toBe(1);
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
