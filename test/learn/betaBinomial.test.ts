import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import { BetaBinomial } from '../../src/learn/betaBinomial.ts';
import { learnerConformance } from './conformance.ts';

describe('BetaBinomial', () => {
  learnerConformance(() => new BetaBinomial());

  it('starts at its prior mean', () => {
    expect(new BetaBinomial({ priorPositives: 2, priorNegatives: 8 }).predict({})).toBeCloseTo(0.2);
  });

  it('recovers a known acceptance rate', () => {
    const rnd = mulberry32(5);
    const m = new BetaBinomial();
    for (let i = 0; i < 20_000; i++) m.learn({}, rnd() < 0.23 ? 1 : 0);
    // Posterior sd at n = 20,000 is about 0.003.
    expect(m.predict({})).toBeGreaterThan(0.23 - 0.012);
    expect(m.predict({})).toBeLessThan(0.23 + 0.012);
  });

  it('rejects bad weights and rewards', () => {
    const m = new BetaBinomial();
    expect(() => m.learn({}, 2)).toThrow(RangeError);
    expect(() => m.learn({}, 1, -1)).toThrow(RangeError);
    expect(() => m.learn({}, 1, Number.NaN)).toThrow(RangeError);
  });
});
