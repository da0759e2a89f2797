import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import { type OpeRound, offPolicyEstimates } from '../../src/measure/ope.ts';

/**
 * Three actions with known reward rates, logged by a non-uniform policy; the evaluated policy is fixed, so its
 * true value is Σ π(a) · rate(a) = 0.1·0.2 + 0.2·0.5 + 0.7·0.8 = 0.68 exactly.
 */
const RATES = [0.2, 0.5, 0.8];
const LOGGING = [0.5, 0.3, 0.2];
const TARGET = [0.1, 0.2, 0.7];
const TRUTH = 0.68;

function syntheticLog(n: number, seed: number, modelled: readonly number[]): OpeRound[] {
  const rnd = mulberry32(seed);
  const rounds: OpeRound[] = [];
  const direct = TARGET.reduce((s, p, a) => s + p * modelled[a]!, 0);
  for (let i = 0; i < n; i++) {
    const u = rnd();
    const a = u < LOGGING[0]! ? 0 : u < LOGGING[0]! + LOGGING[1]! ? 1 : 2;
    rounds.push({
      reward: rnd() < RATES[a]! ? 1 : 0,
      loggingProbability: LOGGING[a]!,
      targetProbability: TARGET[a]!,
      directValue: direct,
      modelledReward: modelled[a]!,
    });
  }
  return rounds;
}

const byName = (rounds: OpeRound[]) =>
  Object.fromEntries(offPolicyEstimates(rounds).map((e) => [e.estimator, e]));

describe('off-policy estimators', () => {
  it('recover the analytically known value, each inside its 95 % interval', () => {
    const est = byName(syntheticLog(50_000, 7, RATES));
    for (const name of ['IPS', 'SNIPS', 'DR']) {
      const e = est[name]!;
      expect(Math.abs(e.estimate - TRUTH)).toBeLessThan(0.02);
      expect(e.ci[0]).toBeLessThan(TRUTH);
      expect(e.ci[1]).toBeGreaterThan(TRUTH);
    }
    // With the exact reward model, DM has no sampling noise in this log.
    expect(est.DM!.estimate).toBeCloseTo(TRUTH, 12);
  });

  it('a wrong reward model biases DM; doubly robust corrects it with the importance weights', () => {
    const wrong = [0.5, 0.5, 0.5];
    const est = byName(syntheticLog(50_000, 8, wrong));
    expect(est.DM!.estimate).toBeCloseTo(0.5, 12);
    expect(Math.abs(est.DR!.estimate - TRUTH)).toBeLessThan(0.02);
    expect(est.DR!.ci[0]).toBeLessThan(TRUTH);
    expect(est.DR!.ci[1]).toBeGreaterThan(TRUTH);
  });

  it('the intervals cover the truth about 95 % of the time (200 small logs)', () => {
    let covered = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const ips = byName(syntheticLog(2000, 100 + seed, RATES)).IPS!;
      if (ips.ci[0] <= TRUTH && TRUTH <= ips.ci[1]) covered++;
    }
    // Binomial(200, 0.95): 180 is more than 3 sd below the mean.
    expect(covered).toBeGreaterThan(180);
  });

  it('effective sample size: n when the policies agree, smaller when they differ; zero probabilities refused', () => {
    const same = syntheticLog(1000, 9, RATES).map((r) => ({ ...r, targetProbability: r.loggingProbability }));
    expect(byName(same).IPS!.effectiveSampleSize).toBeCloseTo(1000, 6);
    expect(byName(syntheticLog(1000, 9, RATES)).IPS!.effectiveSampleSize).toBeLessThan(700);
    expect(() =>
      offPolicyEstimates([
        { reward: 1, loggingProbability: 0, targetProbability: 1, directValue: 0, modelledReward: 0 },
      ]),
    ).toThrow(/round 0/);
  });
});
