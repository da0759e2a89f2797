import { describe, expect, it } from 'vitest';
import { Engine, EngineError } from '../../src/engine/engine.ts';
import { openStore } from '../../src/store/open.ts';
import { windowCatalogDoc } from '../helpers.ts';
import { DIALECTS } from '../store/dialects.ts';

const HOUR = 3_600_000;

describe.each(DIALECTS)('retention of the decision log ($name)', (dialect) => {
  it('removes decisions past the period once their windows are settled, keeping what they taught', async () => {
    let now = Date.parse('2026-06-01T10:00:00Z');
    const url = dialect.freshUrl();
    const doc = windowCatalogDoc(24);
    const options = {
      seed: 1,
      checkpointMs: 0,
      expiryMs: 0,
      clock: () => now,
      retention: { decisionsDays: 2, sweepMs: 0 },
    };
    const store = await openStore(url);
    const engine = await Engine.open(store, JSON.stringify(doc), options);
    const decide = async (customerId: string) => {
      await engine.putCustomer(customerId, { age: 30 });
      return engine.decide({ customerId, channel: 'web', limit: 1 });
    };
    const old = await Promise.all(['c1', 'c2', 'c3'].map(decide));
    const answer = (d: (typeof old)[number], outcome: 'accept' | 'reject') =>
      engine.recordOutcome({ decisionId: d.decisionId, actionId: d.actions[0]!.actionId, outcome });
    await answer(old[0]!, 'accept');
    await answer(old[1]!, 'reject');
    now += 3 * 24 * HOUR;
    const recent = await decide('c4');
    // c3's window closed unanswered, but the window sweep has not taught its expiry yet: nothing goes.
    expect(await engine.sweepRetention()).toMatchObject({ decisions: 0 });
    expect(await engine.expireResponses()).toBe(1);
    await engine.checkpoint();
    const learned = engine.modelReports().map((r) => [r.actionId, r.responses, r.positives]);
    expect(learned.reduce((n, [, responses]) => n + Number(responses), 0)).toBe(3);
    const report = await engine.sweepRetention();
    expect(report).toMatchObject({ decisions: 3, outcomes: 3, before: now - 2 * 24 * HOUR });
    await expect(engine.getDecision(old[0]!.decisionId)).rejects.toThrow(EngineError);
    await expect(answer(old[2]!, 'accept')).rejects.toThrow(/unknown decision/);
    expect(await engine.getDecision(recent.decisionId)).toMatchObject({ id: recent.decisionId });
    // The KPIs cover the retained decisions only; the models and the contact history keep the rest.
    const kpis = await engine.kpis({ from: 0, to: now + 1, by: [] });
    expect(kpis.rows[0]).toMatchObject({ decisions: 1 });
    expect(engine.modelReports().map((r) => [r.actionId, r.responses, r.positives])).toEqual(learned);
    expect((await store.loadHistory('c1', 0, true)).map((h) => h.kind)).toEqual(['contact', 'accept']);
    await engine.close();
    // A restart reads the same models back (nothing they learned was lost with the log).
    const again = await Engine.open(store, JSON.stringify(doc), options);
    expect(again.modelReports().map((r) => [r.actionId, r.responses, r.positives])).toEqual(learned);
    await again.close();
    await store.close();
  });
});
