import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import { BayesianLogistic } from '../../src/learn/bayesianLogistic.ts';
import { learnerConformance } from './conformance.ts';

describe('BayesianLogistic', () => {
  learnerConformance(() => new BayesianLogistic(), 0.05);

  it('recovers the probabilities of a known logistic model', () => {
    const rnd = mulberry32(21);
    const m = new BayesianLogistic({ interactions: false, priorPrecision: 1 });
    const truth = (a: number, gold: boolean) => 1 / (1 + Math.exp(-(-2 + 1.5 * a + (gold ? 1 : 0))));
    for (let i = 0; i < 30_000; i++) {
      const a = rnd() * 2 - 1;
      const gold = rnd() < 0.5;
      m.learn({ a, segment: gold ? 'gold' : 'basic' }, rnd() < truth(a, gold) ? 1 : 0);
    }
    // Inputs are standardised (uniform on [-1, 1] has sd 0.577), so compare probabilities, not weights.
    for (const [a, gold] of [
      [-0.8, false],
      [0, true],
      [0.8, true],
    ] as const) {
      expect(Math.abs(m.predict({ a, segment: gold ? 'gold' : 'basic' }) - truth(a, gold))).toBeLessThan(
        0.04,
      );
    }
  });

  it('learns an interaction that no single feature shows', () => {
    const rnd = mulberry32(5);
    const m = new BayesianLogistic();
    for (let i = 0; i < 20_000; i++) {
      const a = rnd() < 0.5 ? 'x' : 'y';
      const b = rnd() < 0.5 ? 'x' : 'y';
      m.learn({ a, b }, rnd() < (a === b ? 0.4 : 0.05) ? 1 : 0);
    }
    expect(m.predict({ a: 'x', b: 'x' })).toBeGreaterThan(0.3);
    expect(m.predict({ a: 'x', b: 'y' })).toBeLessThan(0.1);
  });

  it('its uncertainty shrinks with evidence', () => {
    const m = new BayesianLogistic();
    const before = m.logitSd({ a: 'x' });
    for (let i = 0; i < 500; i++) m.learn({ a: 'x' }, i % 4 === 0 ? 1 : 0);
    expect(m.logitSd({ a: 'x' })).toBeLessThan(before / 2);
  });
});
