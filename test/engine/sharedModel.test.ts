import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { action, openEngine, smallCatalogDoc } from '../helpers.ts';

const open = (doc: Record<string, unknown>, clock?: () => number) =>
  openEngine(doc, { seed: 3, expiryMs: 0, clock });

/** Young customers accept the Cards group and reject the rest; older customers the other way round. */
async function teachCardsForTheYoung(engine: Engine, rounds: number) {
  await engine.putCustomer('young', { age: 22, segment: 'young' });
  await engine.putCustomer('old', { age: 70, segment: 'old' });
  for (let i = 0; i < rounds; i++) {
    const customerId = i % 2 === 0 ? 'young' : 'old';
    const d = await engine.decide({ customerId, channel: 'web', limit: 4 });
    for (const a of d.actions) {
      const accepts = (a.group === 'Cards') === (customerId === 'young');
      await engine.recordOutcome({
        decisionId: d.decisionId,
        actionId: a.actionId,
        outcome: accepts ? 'accept' : 'reject',
      });
    }
  }
}

async function propensity(engine: Engine, customerId: string, actionId: string): Promise<number> {
  const d = await engine.decide({ customerId, channel: 'email', limit: 10 });
  const logged = await engine.getDecision(d.decisionId);
  return logged.candidates.find((c) => c.actionId === actionId)!.propensity;
}

const noPolicies = { contactPolicies: [] };

describe('shared model with action features', () => {
  it('a new action starts from what similar actions learned, per customer', async () => {
    const doc = smallCatalogDoc({
      ...noPolicies,
      learning: { explorer: 'epsilonGreedy', exploration: 0, learner: 'bayesianLogistic', shared: true },
    });
    const { engine, store } = await open(doc);
    await teachCardsForTheYoung(engine, 200);
    const reports = engine.modelReports();
    expect(new Set(reports.map((r) => r.model))).toEqual(new Set(['shared:*']));
    expect(reports[0]!.responses).toBe(600);

    // A3 is new, in the Cards group; N1 is new, in the Loans group of the same issue.
    const actions = [
      ...(doc.actions as object[]),
      action('A3', 'Sales', 'Cards'),
      action('L2', 'Sales', 'Loans'),
    ];
    await engine.putCatalog(JSON.stringify({ ...doc, actions }));
    const youngA3 = await propensity(engine, 'young', 'A3');
    const oldA3 = await propensity(engine, 'old', 'A3');
    const youngL2 = await propensity(engine, 'young', 'L2');
    const oldL2 = await propensity(engine, 'old', 'L2');
    // Without a single response of their own, the new actions already know who they suit.
    expect(youngA3).toBeGreaterThan(oldA3 + 0.3);
    expect(oldL2).toBeGreaterThan(youngL2 + 0.3);
    await engine.close();
    await store.close();
  });

  it('the same actions with their own models know nothing about a new action', async () => {
    const doc = smallCatalogDoc({
      ...noPolicies,
      learning: { explorer: 'epsilonGreedy', exploration: 0, learner: 'bayesianLogistic' },
    });
    const { engine, store } = await open(doc);
    await teachCardsForTheYoung(engine, 200);
    const actions = [...(doc.actions as object[]), action('A3', 'Sales', 'Cards')];
    await engine.putCatalog(JSON.stringify({ ...doc, actions }));
    const youngA3 = await propensity(engine, 'young', 'A3');
    const oldA3 = await propensity(engine, 'old', 'A3');
    expect(Math.abs(youngA3 - oldA3)).toBeLessThan(0.01);
    await engine.close();
    await store.close();
  });

  it('rebuilds the shared model from the outcome log when actions move into it, and keeps it on restart', async () => {
    const doc = smallCatalogDoc({
      ...noPolicies,
      learning: { explorer: 'epsilonGreedy', exploration: 0, learner: 'bayesianLogistic' },
    });
    const { engine, store } = await open(doc);
    await teachCardsForTheYoung(engine, 50);
    const total = engine.modelReports().reduce((n, r) => n + r.responses, 0);
    expect(total).toBe(150);
    await engine.putCatalog(
      JSON.stringify({
        ...doc,
        learning: {
          ...(doc.learning as object),
          overrides: [{ appliesTo: { issue: 'Sales' }, shared: true }],
        },
      }),
    );
    const reports = Object.fromEntries(engine.modelReports().map((r) => [r.actionId, r]));
    expect(reports.A1!.model).toBe(reports.B1!.model);
    expect(reports.A1!.shared).toBe(true);
    expect(reports.R1!.model).toBe('R1');
    // Sales saw 100 responses (one Cards and one Loans action per decision); Retention 50.
    expect(reports.A1!.responses).toBe(100);
    expect(reports.R1!.responses).toBe(50);
    await engine.close();
    const again = await Engine.open(store, undefined, { checkpointMs: 0, expiryMs: 0 });
    expect(again.modelReports().find((r) => r.actionId === 'B1')).toMatchObject({
      shared: true,
      responses: 100,
    });
    await again.close();
    await store.close();
  });
});

describe('forgetting in time (halfLifeDays)', () => {
  it('halves the weight of earlier responses every half-life', async () => {
    let now = Date.parse('2026-03-01T00:00:00Z');
    const doc = smallCatalogDoc({
      ...noPolicies,
      learning: { explorer: 'epsilonGreedy', exploration: 0, learner: 'betaBinomial', halfLifeDays: 10 },
    });
    const { engine, store } = await open(doc, () => now);
    await engine.putCustomer('c', { age: 40 });
    const respond = async (outcome: 'accept' | 'reject') => {
      const d = await engine.decide({ customerId: 'c', channel: 'web', limit: 4 });
      const r1 = d.actions.find((a) => a.actionId === 'R1')!;
      await engine.recordOutcome({ decisionId: d.decisionId, actionId: r1.actionId, outcome });
    };
    for (let i = 0; i < 40; i++) await respond('accept');
    now += 30 * 86_400_000;
    await respond('reject');
    const r1 = engine.modelReports().find((r) => r.actionId === 'R1')!;
    // 40 accepts three half-lives ago count as 5, plus today's rejection.
    expect(r1.responses).toBeCloseTo(6, 6);
    expect(r1.positives).toBeCloseTo(5, 6);
    // A replay from the log (switching the learner's settings) forgets the same way, by outcome time.
    await engine.putCatalog(
      JSON.stringify({ ...doc, learning: { ...(doc.learning as object), halfLifeDays: 30 } }),
    );
    expect(engine.modelReports().find((r) => r.actionId === 'R1')!.responses).toBeCloseTo(21, 6);
    await engine.close();
    await store.close();
  });
});
