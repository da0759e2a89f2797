import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { openEngine, smallCatalogDoc, windowCatalogDoc } from '../helpers.ts';

const open = (doc: Record<string, unknown>) => openEngine(doc, { seed: 3 });

describe('engine learning', () => {
  it('uses the learner the catalog names, per issue or group', async () => {
    const { engine, store } = await open(
      smallCatalogDoc({
        learning: {
          explorer: 'epsilonGreedy',
          exploration: 0,
          learner: 'adaptiveBinnedBayes',
          overrides: [{ appliesTo: { issue: 'Retention' }, learner: 'betaBinomial' }],
        },
      }),
    );
    const kinds = Object.fromEntries(engine.modelReports().map((r) => [r.actionId, r.kind]));
    expect(kinds).toEqual({
      A1: 'adaptiveBinnedBayes',
      A2: 'adaptiveBinnedBayes',
      B1: 'adaptiveBinnedBayes',
      R1: 'betaBinomial',
    });
    await engine.close();
    await store.close();
  });

  it('rebuilds a model from the outcome log when the catalog switches its learner', async () => {
    const doc = smallCatalogDoc();
    const { engine, store } = await open(doc);
    await engine.putCustomer('c', { age: 30 });
    let accepted = 0;
    for (let i = 0; i < 20; i++) {
      const d = await engine.decide({ customerId: 'c', channel: 'web', limit: 4 });
      for (const a of d.actions) {
        const outcome = i % 3 === 0 ? 'accept' : 'reject';
        if (a.actionId === 'R1' && outcome === 'accept') accepted++;
        await engine.recordOutcome({ decisionId: d.decisionId, actionId: a.actionId, outcome });
      }
    }
    const before = engine.modelReports().find((r) => r.actionId === 'R1')!;
    expect(before.kind).toBe('adaptiveBinnedBayes');
    expect(before.responses).toBe(20);
    await engine.putCatalog(
      JSON.stringify({
        ...doc,
        learning: {
          ...(doc.learning as object),
          overrides: [{ appliesTo: { action: 'R1' }, learner: 'betaBinomial' }],
        },
      }),
    );
    const after = engine.modelReports().find((r) => r.actionId === 'R1')!;
    expect(after.kind).toBe('betaBinomial');
    expect(after.responses).toBe(20);
    expect(after.positives).toBe(accepted);
    // The rebuilt model survives a restart.
    await engine.close();
    const again = await Engine.open(store, undefined, { checkpointMs: 0 });
    expect(again.modelReports().find((r) => r.actionId === 'R1')).toMatchObject({
      kind: 'betaBinomial',
      responses: 20,
    });
    await again.close();
    await store.close();
  });

  it('rebuilds from the outcome log when only the learner options change (half-life)', async () => {
    const doc = smallCatalogDoc();
    const { engine, store } = await open(doc);
    await engine.putCustomer('c', { age: 30 });
    for (let i = 0; i < 10; i++) {
      const d = await engine.decide({ customerId: 'c', channel: 'web', limit: 1 });
      await engine.recordOutcome({
        decisionId: d.decisionId,
        actionId: d.actions[0]!.actionId,
        outcome: 'reject',
      });
    }
    const before = engine.modelReports().reduce((n, r) => n + r.responses, 0);
    expect(before).toBe(10);
    await engine.putCatalog(
      JSON.stringify({ ...doc, learning: { ...(doc.learning as object), halfLife: 1000 } }),
    );
    const state = (
      engine as unknown as {
        registry: { live: { models: Map<string, { toJSON(): { options?: { halfLife?: number } } }> } };
      }
    ).registry.live.models;
    for (const m of state.values()) expect(m.toJSON().options?.halfLife).toBe(1000);
    expect(engine.modelReports().reduce((n, r) => n + r.responses, 0)).toBeCloseTo(before, 6);
    await engine.close();
    await store.close();
  });

  it('a new action borrows the acceptance rate of its group; a new group starts from the generic prior', async () => {
    const doc = smallCatalogDoc();
    const { engine, store } = await open(doc);
    await engine.putCustomer('c', { age: 30 });
    for (let i = 0; i < 60; i++) {
      const d = await engine.decide({ customerId: 'c', channel: 'web', limit: 4 });
      for (const a of d.actions) {
        // The Cards group (A1, A2) is accepted half of the time, everything else never.
        const outcome = a.group === 'Cards' && i % 2 === 0 ? 'accept' : 'reject';
        await engine.recordOutcome({ decisionId: d.decisionId, actionId: a.actionId, outcome });
      }
    }
    const actions = [
      ...(doc.actions as object[]),
      { id: 'A3', name: 'A3', issue: 'Sales', group: 'Cards', treatments: { web: { title: 'A3' } } },
      { id: 'N1', name: 'N1', issue: 'New', group: 'Fresh', treatments: { web: { title: 'N1' } } },
    ];
    await engine.putCatalog(JSON.stringify({ ...doc, actions }));
    const d = await engine.decide({ channel: 'web', limit: 10 });
    const logged = await engine.getDecision(d.decisionId);
    const p = (id: string) => logged.candidates.find((c) => c.actionId === id)!.propensity;
    expect(p('A3')).toBeGreaterThan(0.35);
    expect(p('N1')).toBeCloseTo(0.1, 5);
    const reports = Object.fromEntries(engine.modelReports().map((r) => [r.actionId, r]));
    expect(reports.A3!.responses).toBe(0);
    expect(reports.A3!.maturity).toBe('cold');
    expect(reports.A2!.maturity).toBe('learning');
    await engine.close();
    await store.close();
  });

  it('counts silence past the response window as a negative, and a late positive takes it back', async () => {
    let now = Date.parse('2026-06-01T10:00:00Z');
    const clock = () => now;
    const doc = windowCatalogDoc(24);
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-window-'));
    const store = new SqliteStore(join(dir, 'w.db'));
    await store.init();
    const engine = await Engine.open(store, JSON.stringify(doc), {
      seed: 1,
      checkpointMs: 0,
      expiryMs: 0,
      clock,
    });
    await engine.putCustomer('c', { age: 30 });
    const d = await engine.decide({ customerId: 'c', channel: 'web', limit: 1 });
    const actionId = d.actions[0]!.actionId;
    const report = (e: Engine) => e.modelReports().find((r) => r.actionId === actionId)!;

    now += 23 * 3_600_000;
    expect(await engine.expireResponses()).toBe(0);
    now += 2 * 3_600_000;
    expect(await engine.expireResponses()).toBe(1);
    expect(await engine.expireResponses()).toBe(0);
    expect(report(engine)).toMatchObject({ responses: 1, positives: 0 });
    await engine.checkpoint();

    // The customer accepts two days late: the negative is taken back and the positive counts.
    now += 48 * 3_600_000;
    await engine.recordOutcome({ decisionId: d.decisionId, actionId, outcome: 'accept' });
    expect(report(engine)).toMatchObject({ responses: 1, positives: 1 });
    const logged = await engine.getDecision(d.decisionId);
    expect(logged.outcomes.map((o) => [o.outcome, o.learned])).toEqual([
      ['expired', false],
      ['accept', true],
    ]);

    // After a crash (no checkpoint since the expiry), the replay makes the same correction.
    const again = await Engine.open(store, undefined, { checkpointMs: 0, expiryMs: 0, clock });
    expect(report(again)).toMatchObject({ responses: 1, positives: 1 });
    await again.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('a stored catalog of an older release', () => {
  it('loads without the treatment keys treatments no longer accept, and the engine says which', async () => {
    const store = new SqliteStore(':memory:');
    await store.init();
    const doc = smallCatalogDoc();
    const actions = doc.actions as Array<{ treatments: Record<string, Record<string, unknown>> }>;
    actions[0]!.treatments.web!.cta = 'Go';
    // Written as an older release would have (it accepted any treatment key), past today's validation.
    await store.addCatalog(JSON.stringify(doc), 'old', 0);
    const lines: string[] = [];
    const engine = await Engine.open(store, undefined, {
      seed: 1,
      checkpointMs: 0,
      log: (l) => lines.push(l),
    });
    expect(lines).toEqual([
      "catalog version 1: actions[0].treatments.web.cta: ignored: treatments accept title, text, link, image, data (a touchpoint's own fields go under data)",
    ]);
    expect(engine.activeCatalog.catalog.actionsById.get('A1')!.treatments.get('web')).toEqual({
      title: 'A1 on web',
    });
    await engine.close();
    await store.close();
  });
});
