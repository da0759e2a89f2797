import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import { BayesianLogistic } from '../../src/learn/bayesianLogistic.ts';
import { AdaptiveBinnedBayes } from '../../src/learn/binned/model.ts';
import type { Learner } from '../../src/learn/learner.ts';

// 'plan' drives the rate (gold 40 %, basic 5 %), 'noise' does not.
function trained(learner: Learner): Learner {
  const rnd = mulberry32(11);
  for (let i = 0; i < 6000; i++) {
    const gold = rnd() < 0.5;
    learner.learn(
      { 'customer.plan': gold ? 'gold' : 'basic', 'customer.noise': rnd() * 100 },
      rnd() < (gold ? 0.4 : 0.05) ? 1 : 0,
    );
  }
  return learner;
}

describe.each([
  ['adaptiveBinnedBayes', () => new AdaptiveBinnedBayes()],
  ['bayesianLogistic', () => new BayesianLogistic()],
])('%s explain', (_name, make) => {
  const m = trained(make());

  it('names the feature that moved the propensity most, with its direction', () => {
    const gold = m.explain!({ 'customer.plan': 'gold', 'customer.noise': 50 });
    expect(gold[0]).toMatchObject({ name: 'customer.plan', value: 'gold' });
    expect(gold[0]!.contribution).toBeGreaterThan(0.5);
    const basic = m.explain!({ 'customer.plan': 'basic', 'customer.noise': 50 });
    expect(basic[0]!.name).toBe('customer.plan');
    expect(basic[0]!.contribution).toBeLessThan(-0.5);
    // Largest first.
    for (let i = 1; i < gold.length; i++)
      expect(Math.abs(gold[i]!.contribution)).toBeLessThanOrEqual(Math.abs(gold[i - 1]!.contribution));
  });
});

describe('AdaptiveBinnedBayes explain', () => {
  it('its contributions are exactly the terms of the log-odds', () => {
    const m = trained(new AdaptiveBinnedBayes()) as AdaptiveBinnedBayes;
    const x = { 'customer.plan': 'gold', 'customer.noise': 12 };
    const y = { 'customer.plan': 'basic', 'customer.noise': 80 };
    const sum = (f: typeof x) => m.explain(f).reduce((s, c) => s + c.contribution, 0);
    expect(m.logOdds(x) - m.logOdds(y)).toBeCloseTo(sum(x) - sum(y), 10);
  });
});
