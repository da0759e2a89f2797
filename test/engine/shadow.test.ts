import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/core/catalog.ts';
import { CatalogError } from '../../src/core/catalogSchema.ts';
import { mulberry32 } from '../../src/core/random.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { LearnerState } from '../../src/learn/learner.ts';
import { learnerFromJSON } from '../../src/learn/registry.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { action, smallCatalogDoc } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-shadow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RATE: Record<string, number> = { A: 0.1, B: 0.5, C: 0.2 };
const actions = [
  action('A', 'Sales', 'A', { value: 1 }),
  action('B', 'Sales', 'B', { value: 1 }),
  action('C', 'Sales', 'C', { value: 1 }),
];
const onlyB = { name: 'only-B', explorer: 'epsilonGreedy', exploration: 0, levers: { A: 0, C: 0 } };
const doc = (shadow?: object) =>
  smallCatalogDoc({
    actions,
    learning: { explorer: 'epsilonGreedy', exploration: 0.3 },
    measurement: { controlShare: 0.3, ...(shadow ? { shadow } : {}) },
  });

async function run(engine: Engine, n: number, seed: number) {
  const rnd = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    const d = await engine.decide({ channel: 'web', limit: 1 });
    const top = d.actions[0]!.actionId;
    await engine.recordOutcome({
      decisionId: d.decisionId,
      actionId: top,
      outcome: rnd() < RATE[top]! ? 'accept' : 'reject',
    });
  }
}

/** Responses learned by all shadow models, as checkpointed. */
async function shadowResponses(store: SqliteStore): Promise<number> {
  const { models } = await store.loadModels();
  return models
    .filter((m) => m.key.startsWith('shadow:'))
    .reduce((sum, m) => sum + learnerFromJSON(m.state as LearnerState).responses, 0);
}

describe('shadow mode', () => {
  it('logs what the candidate would have chosen, learns beside production and estimates its accept rate', async () => {
    const store = new SqliteStore(join(dir, 'a.db'));
    await store.init();
    const engine = await Engine.open(store, JSON.stringify(doc(onlyB)), { checkpointMs: 0, seed: 3 });
    await run(engine, 1500, 1);
    const d = await engine.decide({ channel: 'web', limit: 1 });
    const logged = await engine.getDecision(d.decisionId);
    expect(logged.shadow).toMatchObject({ policy: 'only-B', choice: 'B' });
    expect(logged.shadow!.probability).toBe(d.actions[0]!.actionId === 'B' ? 1 : 0);
    // Production decided as before: the shadow never changes what customers see.
    expect(
      new Set(
        (await engine.kpis({ from: 0, to: Date.now() + 1, by: ['action'] })).rows.map((r) => r.key.action),
      ),
    ).toEqual(new Set(['A', 'B', 'C']));
    const report = await engine.shadowReport({ from: 0, to: Date.now() + 1 });
    expect(report.policies).toEqual(['only-B']);
    expect(report.rounds).toBe(1500);
    const byName = Object.fromEntries(report.estimates.map((e) => [e.estimator, e]));
    for (const name of ['IPS', 'SNIPS', 'DR']) {
      expect(byName[name]!.ci[0]).toBeLessThan(0.5);
      expect(byName[name]!.ci[1]).toBeGreaterThan(0.5);
    }
    // Its per-action models learned every outcome, as production's did: after 1,500 decisions with one outcome
    // each, the shadow's models hold as many responses as production's, action by action.
    await engine.close();
    const { models } = await store.loadModels();
    const responses = (key: string) => {
      const m = models.find((x) => x.key === key);
      return m ? learnerFromJSON(m.state as LearnerState).responses : undefined;
    };
    const production = ['A', 'B', 'C'].map(responses);
    expect(production.reduce((a, b) => a! + b!, 0)).toBe(1500);
    expect(['shadow:A', 'shadow:B', 'shadow:C'].map(responses)).toEqual(production);
    await store.close();
  });

  it('a shadow switched on later starts from the whole outcome history', async () => {
    const path = join(dir, 'b.db');
    let store = new SqliteStore(path);
    await store.init();
    let engine = await Engine.open(store, JSON.stringify(doc()), { checkpointMs: 0, seed: 4 });
    await run(engine, 300, 2);
    const production = engine.modelReports().map((m) => m.responses);
    await engine.close();
    await store.close();
    store = new SqliteStore(path);
    await store.init();
    engine = await Engine.open(store, undefined, { checkpointMs: 0, seed: 4 });
    expect(production.reduce((a, b) => a + b, 0)).toBe(300);
    await engine.putCatalog(JSON.stringify(doc(onlyB)));
    expect(await shadowResponses(store)).toBe(300);
    await engine.close();
    await store.close();
  });

  it('rejects lever overrides for actions, groups or issues the catalog does not have', () => {
    let error: unknown;
    try {
      compileCatalog(doc({ ...onlyB, levers: { Z: 0, 'group:Nope': 1 } }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CatalogError);
    expect((error as CatalogError).issues).toEqual([
      { path: 'measurement.shadow.levers.Z', message: "no action 'Z' in the catalog" },
      { path: 'measurement.shadow.levers.group:Nope', message: "no group 'Nope' in the catalog" },
    ]);
  });
});
