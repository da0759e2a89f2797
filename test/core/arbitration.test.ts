import { describe, expect, it } from 'vitest';
import { arbitrate, priorityOf, rankByPriority } from '../../src/core/arbitration.ts';
import { decide } from '../../src/core/decide.ts';
import { mulberry32 } from '../../src/core/random.ts';
import { dropText } from '../../src/core/reasons.ts';
import type { DroppedCandidate, ScoredCandidate } from '../../src/core/types.ts';
import { EpsilonGreedy } from '../../src/learn/explore/epsilonGreedy.ts';
import { action, smallCatalog } from '../helpers.ts';

/** A dropped candidate's reason as its English sentence. */
const reasonOf = (dropped: readonly DroppedCandidate[], id: string) => {
  const d = dropped.find((x) => x.actionId === id);
  return d && dropText(d.reason);
};

function cand(
  actionId: string,
  group: string,
  propensity: number,
  value = 1,
  contextWeight = 1,
  lever = 1,
): ScoredCandidate {
  const c = {
    actionId,
    issue: 'I',
    group,
    propensity,
    value,
    contextWeight,
    lever,
    priority: 0,
    logitSd: 0,
    evidence: 0,
  };
  c.priority = priorityOf(c);
  return c;
}

const greedy = new EpsilonGreedy(0);

describe('arbitration', () => {
  it('priority is propensity × value × context weight × lever', () => {
    expect(priorityOf({ propensity: 0.2, value: 50, contextWeight: 2, lever: 1.5 })).toBeCloseTo(30);
  });

  it('ranks by priority, ties in catalog order', () => {
    const ranked = rankByPriority([
      cand('a', 'g1', 0.1),
      cand('b', 'g2', 0.3),
      cand('c', 'g3', 0.1),
      cand('d', 'g4', 0.2),
    ]);
    expect(ranked.map((c) => c.actionId)).toEqual(['b', 'd', 'a', 'c']);
  });

  it('keeps at most one action per group unless told otherwise', () => {
    const cands = [cand('a1', 'A', 0.9), cand('a2', 'A', 0.8), cand('b1', 'B', 0.5)];
    const one = arbitrate(cands, {
      limit: 3,
      onePerGroup: true,
      explorer: greedy,
      rng: mulberry32(1),
      round: 0,
    });
    expect(one.map((s) => s.candidate.actionId)).toEqual(['a1', 'b1']);
    const all = arbitrate(cands, {
      limit: 3,
      onePerGroup: false,
      explorer: greedy,
      rng: mulberry32(1),
      round: 0,
    });
    expect(all.map((s) => s.candidate.actionId)).toEqual(['a1', 'a2', 'b1']);
    expect(all.map((s) => s.rank)).toEqual([1, 2, 3]);
    expect(all.every((s) => s.probability === 1)).toBe(true);
  });

  it('records the probability of each explored choice, and the choice frequencies match it', () => {
    const cands = [cand('a', 'A', 0.5), cand('b', 'B', 0.4), cand('c', 'C', 0.1), cand('d', 'D', 0.05)];
    const explorer = new EpsilonGreedy(0.2);
    const rng = mulberry32(7);
    const counts = new Map<string, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const [slot] = arbitrate(cands, { limit: 1, onePerGroup: true, explorer, rng, round: 0 });
      counts.set(slot!.candidate.actionId, (counts.get(slot!.candidate.actionId) ?? 0) + 1);
      const expected = slot!.candidate.actionId === 'a' ? 0.8 + 0.05 : 0.05;
      expect(slot!.probability).toBeCloseTo(expected, 12);
    }
    // Binomial sd for p = 0.85 over 20,000 draws is 0.0025; allow four sd.
    expect((counts.get('a') ?? 0) / n).toBeGreaterThan(0.85 - 0.01);
    expect((counts.get('a') ?? 0) / n).toBeLessThan(0.85 + 0.01);
    expect((counts.get('d') ?? 0) / n).toBeGreaterThan(0.05 - 0.0065);
  });
});

describe('decide', () => {
  const base = {
    channel: 'web',
    customer: { age: 40, segment: 'gold', products: ['card'], balance: 100 },
    features: {},
    context: {},
    history: [],
    budgetUsage: new Map(),
    limit: 3,
    now: Date.parse('2026-06-15T12:00:00Z'),
    explorer: greedy,
    propensity: () => ({ propensity: 0.1, logitSd: 0 }),
    round: 0,
  };

  it('drops actions by rule, validity, channel and budget, and says why', () => {
    const catalog = smallCatalog({
      actions: [
        action('Young', 'S', 'G1', { eligibility: 'customer.age < 30' }),
        action('Old', 'S', 'G2', { validity: { end: '2026-01-01T00:00:00Z' } }),
        action('Later', 'S', 'G3', { validity: { start: '2027-01-01T00:00:00Z' } }),
        action('PhoneOnly', 'S', 'G4', { treatments: { 'call-centre': { title: 'x' } } }),
        action('Spent', 'S', 'G5', { budget: { maxPerDay: 5 } }),
        action('SpentTotal', 'S', 'G6', { budget: { total: 50 } }),
        action('NoData', 'S', 'G7', { suitability: 'context.intent == "x"' }),
        action('Fine', 'S', 'G8', { applicability: 'customer.balance > 50.0' }),
      ],
    });
    const result = decide({
      ...base,
      catalog,
      rng: mulberry32(1),
      budgetUsage: new Map([
        ['Spent', { today: 5, total: 5 }],
        ['SpentTotal', { today: 0, total: 50 }],
      ]),
    });
    const stages = Object.fromEntries(result.dropped.map((d) => [d.actionId, d.stage]));
    expect(stages).toEqual({
      Young: 'eligibility',
      Old: 'validity',
      Later: 'validity',
      PhoneOnly: 'channel',
      Spent: 'budget',
      SpentTotal: 'budget',
      NoData: 'suitability',
    });
    expect(reasonOf(result.dropped, 'NoData')).toMatch(/could not be evaluated/);
    expect(result.chosen.map((c) => c.actionId)).toEqual(['Fine']);
    expect(result.chosen[0]?.treatment.title).toBe('Fine on web');
  });

  it('applies context weights, value expressions and levers to the priority', () => {
    const catalog = smallCatalog({
      actions: [
        action('Keep', 'Retention', 'Care', { value: 'customer.balance * 0.5', lever: 2 }),
        action('Sell', 'Sales', 'Cards', { value: 150 }),
      ],
      contextWeights: [
        { when: 'context.intent == "cancel"', appliesTo: { issue: 'Retention' }, weight: 5 },
        { channel: 'email', appliesTo: { issue: 'Sales' }, weight: 0 },
      ],
    });
    const cancel = decide({ ...base, catalog, rng: mulberry32(1), context: { intent: 'cancel' } });
    expect(cancel.chosen.map((c) => c.actionId)).toEqual(['Keep', 'Sell']);
    const keep = cancel.chosen[0]!;
    expect([keep.value, keep.contextWeight, keep.lever]).toEqual([50, 5, 2]);
    expect(keep.priority).toBeCloseTo(0.1 * 50 * 5 * 2);
    const browse = decide({ ...base, catalog, rng: mulberry32(1) });
    expect(browse.chosen.map((c) => c.actionId)).toEqual(['Sell', 'Keep']);
    const email = decide({ ...base, catalog, channel: 'email', rng: mulberry32(1) });
    expect(email.candidates.find((c) => c.actionId === 'Sell')?.priority).toBe(0);
  });

  it('passes the learner a flat view of profile, context and channel', () => {
    const catalog = smallCatalog();
    const seen: Array<Record<string, unknown>> = [];
    decide({
      ...base,
      catalog,
      rng: mulberry32(1),
      context: { intent: 'browse' },
      propensity: (_a, x) => {
        seen.push({ ...x });
        return { propensity: 0.5, logitSd: 0 };
      },
    });
    expect(seen[0]).toEqual({
      channel: 'web',
      'customer.age': 40,
      'customer.segment': 'gold',
      'customer.products=card': 1,
      'customer.balance': 100,
      'context.intent': 'browse',
    });
  });

  it('replays exactly with the same seed', () => {
    const catalog = smallCatalog({ learning: { explorer: 'epsilonGreedy', exploration: 0.5 } });
    const run = (seed: number) =>
      decide({
        ...base,
        catalog,
        explorer: new EpsilonGreedy(0.5),
        rng: mulberry32(seed),
        limit: 2,
      }).chosen.map((c) => `${c.actionId}:${c.probability}`);
    expect(run(3)).toEqual(run(3));
    // ... and the seed is what decides: other seeds explore differently (a run that ignored its random source
    // would replay too, trivially).
    expect(new Set(Array.from({ length: 20 }, (_, seed) => run(seed).join(','))).size).toBeGreaterThan(3);
  });
});
