import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/core/catalog.ts';
import { policySpecSchema } from '../../src/core/policy.ts';
import { mulberry32 } from '../../src/core/random.ts';
import type { ScoredCandidate } from '../../src/core/types.ts';
import type { LoggedDecision } from '../../src/measure/evaluate.ts';
import { evaluatePolicy } from '../../src/measure/evaluate.ts';
import type { LearnedOutcome } from '../../src/store/store.ts';
import { action, smallCatalogDoc } from '../helpers.ts';

// True accept rates: action by segment. Gold customers like B, basic ones like C.
const RATES: Record<string, Record<string, number>> = {
  A: { gold: 0.1, basic: 0.1 },
  B: { gold: 0.5, basic: 0.1 },
  C: { gold: 0.05, basic: 0.3 },
};
const candidate = (actionId: string): ScoredCandidate => ({
  actionId,
  issue: 'Sales',
  group: actionId,
  propensity: 0.1,
  value: 1,
  contextWeight: 1,
  lever: 1,
  priority: 0.1,
  logitSd: 0,
  evidence: 0,
});

/** A log of a uniform-random policy (probability 1/3 each), 60 % gold customers. */
function uniformLog(n: number, seed: number): LoggedDecision[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const segment = rnd() < 0.6 ? 'gold' : 'basic';
    const actionId = ['A', 'B', 'C'][Math.floor(rnd() * 3)]!;
    const reward = rnd() < RATES[actionId]![segment]! ? 1 : 0;
    return {
      id: `d${i}`,
      customerId: null,
      channel: 'web',
      context: {},
      at: i,
      catalogVersion: 1,
      modelVersion: 'x',
      arm: 'control',
      features: { 'customer.segment': segment, 'customer.noise': rnd() },
      candidates: ['A', 'B', 'C'].map(candidate),
      dropped: [],
      chosen: [
        {
          actionId,
          issue: 'Sales',
          group: actionId,
          rank: 1,
          probability: 1 / 3,
          propensity: 0.1,
          priority: 0.1,
          treatment: { title: actionId },
        },
      ],
      rewards: { [actionId]: reward as 0 | 1 },
    };
  });
}

async function* stream<T>(items: T[]) {
  yield* items;
}

const catalog = compileCatalog(
  smallCatalogDoc({ actions: ['A', 'B', 'C'].map((id) => action(id, 'Sales', id)) }),
);

/** The log with its outcomes, each recorded half a time unit after its decision. */
function source(log: LoggedDecision[]) {
  const outcomes: LearnedOutcome[] = [];
  for (const d of log)
    for (const [actionId, reward] of Object.entries(d.rewards))
      if (reward !== null)
        outcomes.push({
          seq: outcomes.length + 1,
          decisionId: d.id,
          actionId,
          outcome: reward === 1 ? 'accept' : 'reject',
          at: d.at + 0.5,
          learned: true,
          corrects: 0,
          foldedIn: 0,
          correctsFolded: false,
          features: d.features,
        });
  return { log: stream(log), outcomes: stream(outcomes), catalog };
}

describe('evaluatePolicy on a log with a known truth', () => {
  it('a lever set that always picks B: the estimators cover B’s true rate 0.34', async () => {
    const spec = policySpecSchema.parse({
      explorer: 'epsilonGreedy',
      exploration: 0,
      levers: { A: 0, C: 0 },
    });
    const r = await evaluatePolicy(source(uniformLog(6000, 3)), spec);
    const truth = 0.6 * 0.5 + 0.4 * 0.1;
    expect(r.rounds).toBe(6000);
    const byName = Object.fromEntries(r.estimates.map((e) => [e.estimator, e]));
    for (const name of ['IPS', 'SNIPS', 'DR']) {
      expect(byName[name]!.ci[0]).toBeLessThan(truth);
      expect(byName[name]!.ci[1]).toBeGreaterThan(truth);
    }
    // IPS keeps only the rounds where the log chose B: about a third of the weight mass.
    expect(byName.IPS!.effectiveSampleSize).toBeGreaterThan(1700);
    expect(byName.IPS!.effectiveSampleSize).toBeLessThan(2300);
    // The uniform logging policy's own rate: (0.1 + 0.34 + 0.15) / 3.
    expect(r.logged.estimate).toBeCloseTo((0.1 + truth + (0.6 * 0.05 + 0.4 * 0.3)) / 3, 1);
  });

  it('an adaptive candidate learns the segments from the log and is estimated well above the logged policy', async () => {
    const spec = policySpecSchema.parse({
      learner: 'adaptiveBinnedBayes',
      explorer: 'epsilonGreedy',
      exploration: 0.05,
    });
    const progress: number[] = [];
    const r = await evaluatePolicy(source(uniformLog(6000, 4)), spec, {
      onProgress: (n) => progress.push(n),
    });
    expect(progress.at(-1)).toBe(6000);
    const dr = r.estimates.find((e) => e.estimator === 'DR')!;
    // Best possible: 0.6 × 0.5 + 0.4 × 0.3 = 0.42; the log's uniform policy gets about 0.2.
    expect(dr.ci[0]).toBeGreaterThan(r.logged.ci[1]);
    expect(dr.estimate).toBeGreaterThan(0.33);
    expect(dr.estimate).toBeLessThan(0.46);
    expect(r.agreement).toBeGreaterThan(0.25);
  });

  it('skips decisions whose first slot has no answer yet', async () => {
    const log = uniformLog(10, 5);
    log[0]!.rewards = { [log[0]!.chosen[0]!.actionId]: null };
    const r = await evaluatePolicy(source(log), policySpecSchema.parse({}));
    expect(r).toMatchObject({ decisions: 10, rounds: 9, skipped: { unanswered: 1, noCandidates: 0 } });
  });
});
