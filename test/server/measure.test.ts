import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallCatalogDoc } from '../helpers.ts';
import { ADMIN_KEY, type Running, startServer } from './harness.ts';

let s: Running;
beforeAll(async () => {
  s = await startServer(
    JSON.stringify(smallCatalogDoc({ measurement: { controlShare: 0.3 }, contactPolicies: [] })),
  );
});
afterAll(async () => s.stop());

describe('GET /v1/kpis', () => {
  it('counts offers and accepts per arm and reports the lift with its interval', async () => {
    const tally = { adaptive: { offers: 0, accepts: 0 }, control: { offers: 0, accepts: 0 } };
    for (let i = 0; i < 120; i++) {
      const d = (await s.call('POST', '/v1/decide', { body: { channel: 'web', limit: 1 } })).body;
      const arm = d.arm as 'adaptive' | 'control';
      const a = d.actions[0];
      tally[arm].offers++;
      // Adaptive offers are accepted every second time, control offers every fifth time.
      const accept = arm === 'adaptive' ? tally[arm].offers % 2 === 0 : tally[arm].offers % 5 === 0;
      if (accept) tally[arm].accepts++;
      const outcome = accept ? 'accept' : 'reject';
      const r = await s.call('POST', '/v1/outcomes', {
        body: { decisionId: d.decisionId, actionId: a.actionId, outcome },
      });
      expect(r.status).toBe(200);
    }
    expect(tally.control.offers).toBeGreaterThan(15);
    const res = await s.call('GET', '/v1/kpis?by=arm', { key: ADMIN_KEY });
    expect(res.status).toBe(200);
    const rows = Object.fromEntries(res.body.rows.map((r: { key: { arm: string } }) => [r.key.arm, r]));
    expect(rows.adaptive).toMatchObject(tally.adaptive);
    expect(rows.control).toMatchObject(tally.control);
    expect(rows.adaptive.acceptRate).toBeCloseTo(tally.adaptive.accepts / tally.adaptive.offers, 12);
    const lift = res.body.lift.find((l: { baseline: string }) => l.baseline === 'control');
    const expected =
      tally.adaptive.accepts / tally.adaptive.offers / (tally.control.accepts / tally.control.offers) - 1;
    expect(lift.lift).toBeCloseTo(expected, 10);
    expect(lift.liftCi[0]).toBeLessThan(expected);
    expect(lift.liftCi[1]).toBeGreaterThan(expected);
    expect(res.body.method).toMatch(/Katz/);

    // by=arm,day: one lift per day; by=action: the lift per action.
    const daily = await s.call('GET', '/v1/kpis?by=arm,day', { key: ADMIN_KEY });
    expect(daily.body.lift[0].key.day).toMatch(/^\d{4}-\d\d-\d\d$/);
    const perAction = await s.call('GET', '/v1/kpis?by=action', { key: ADMIN_KEY });
    expect(perAction.body.rows.reduce((n: number, r: { offers: number }) => n + r.offers, 0)).toBe(120);
  });

  it('names the bad query field, and needs the admin key', async () => {
    const bad = await s.call('GET', '/v1/kpis?by=arm,colour', { key: ADMIN_KEY });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('querystring.by');
    expect(bad.body.message).toMatch(/unknown dimension 'colour'/);
    const badDate = await s.call('GET', '/v1/kpis?from=yesterday', { key: ADMIN_KEY });
    expect(badDate.status).toBe(400);
    expect(badDate.body.field).toBe('querystring.from');
    expect((await s.call('GET', '/v1/kpis')).status).toBe(403);
  });
});

describe('model reports', () => {
  it('lists the models and reports one with progressive AUC, calibration and predictor importance', async () => {
    for (let i = 0; i < 40; i++) {
      await s.call('PUT', `/v1/customers/m${i}`, { key: ADMIN_KEY, body: { attributes: { age: 20 + i } } });
    }
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 40; i++) {
        const d = (
          await s.call('POST', '/v1/decide', { body: { customerId: `m${i}`, channel: 'web', limit: 4 } })
        ).body;
        for (const a of d.actions) {
          // Older customers accept R1.
          const outcome = a.actionId === 'R1' && i >= 20 ? 'accept' : 'reject';
          await s.call('POST', '/v1/outcomes', {
            body: { decisionId: d.decisionId, actionId: a.actionId, outcome },
          });
        }
      }
    }
    const list = await s.call('GET', '/v1/models', { key: ADMIN_KEY });
    expect(list.status).toBe(200);
    expect(list.body.models.map((m: { actionId: string }) => m.actionId)).toEqual(['A1', 'A2', 'B1', 'R1']);
    const r1 = await s.call('GET', '/v1/models/R1/report', { key: ADMIN_KEY });
    expect(r1.status).toBe(200);
    expect(r1.body.kind).toBe('adaptiveBinnedBayes');
    expect(r1.body.answered).toBeGreaterThan(100);
    // The model learns the age effect as it goes: the logged (progressive) propensities rank accepts first.
    expect(r1.body.auc).toBeGreaterThan(0.8);
    expect(r1.body.calibration.length).toBe(10);
    expect(r1.body.calibration.reduce((n: number, b: { n: number }) => n + b.n, 0)).toBe(r1.body.answered);
    // Each decile's observed rate with its Wilson interval, and the error and slope computed from the deciles.
    type Bin = { n: number; meanPredicted: number; observedRate: number; low: number; high: number };
    const bins = r1.body.calibration as Bin[];
    for (const bin of bins) {
      expect(bin.low).toBeLessThanOrEqual(bin.observedRate);
      expect(bin.high).toBeGreaterThanOrEqual(bin.observedRate);
      expect(bin.high - bin.low).toBeGreaterThan(0);
    }
    const ece =
      bins.reduce((e, b) => e + b.n * Math.abs(b.meanPredicted - b.observedRate), 0) / r1.body.answered;
    expect(r1.body.ece).toBeCloseTo(ece, 9);
    expect(r1.body.calibrationSlope).toBeGreaterThan(0);
    expect(r1.body.predictors[0].name).toBe('customer.age');
    // The list has the same progressive AUC per model over its window (30 days by default: all of it here).
    const listed = (await s.call('GET', '/v1/models', { key: ADMIN_KEY })).body.models.find(
      (m: { actionId: string }) => m.actionId === 'R1',
    );
    expect(listed.answered).toBe(r1.body.answered);
    expect(listed.auc).toBeCloseTo(r1.body.auc, 12);
    const later = await s.call('GET', `/v1/models?from=${new Date(Date.now() + 60_000).toISOString()}`, {
      key: ADMIN_KEY,
    });
    expect(
      later.body.models.every((m: { answered: number; auc: unknown }) => m.answered === 0 && m.auc === null),
    ).toBe(true);
    expect((await s.call('GET', '/v1/models?from=soon', { key: ADMIN_KEY })).body.field).toBe(
      'querystring.from',
    );
    // A window with more decisions than the list reads is narrowed to its latest part, and says where it starts.
    const all = await s.engine.modelList();
    const narrowed = await s.engine.modelList({}, 10);
    expect(narrowed.from).toBeGreaterThan(all.from);
    const r1Narrowed = narrowed.models.find((m) => m.actionId === 'R1')!;
    expect(r1Narrowed.answered).toBeLessThan(listed.answered);
    const missing = await s.call('GET', '/v1/models/nope/report', { key: ADMIN_KEY });
    expect(missing.status).toBe(404);
    expect(missing.body.field).toBe('params.id');
  });
});

describe('GET /v1/shadow', () => {
  it('reports no rounds without a shadow policy, and names a bad query field', async () => {
    const res = await s.call('GET', '/v1/shadow', { key: ADMIN_KEY });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ policies: [], rounds: 0, estimates: [], agreement: null });
    expect(res.body.skipped.noShadow).toBe(res.body.decisions);
    const bad = await s.call('GET', '/v1/shadow?to=soon', { key: ADMIN_KEY });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('querystring.to');
  });

  it('estimates the shadow policy once the catalog names one', async () => {
    const doc = smallCatalogDoc({
      measurement: { controlShare: 0.3, shadow: { name: 'cards-first', levers: { 'group:Cards': 3 } } },
      contactPolicies: [],
    });
    expect(
      (
        await s.call('PUT', '/v1/catalog', {
          key: ADMIN_KEY,
          body: JSON.stringify(doc),
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBeLessThan(300);
    for (let i = 0; i < 40; i++) {
      const d = (await s.call('POST', '/v1/decide', { body: { channel: 'web', limit: 1 } })).body;
      await s.call('POST', '/v1/outcomes', {
        body: {
          decisionId: d.decisionId,
          actionId: d.actions[0].actionId,
          outcome: i % 3 === 0 ? 'accept' : 'reject',
        },
      });
    }
    const res = await s.call('GET', '/v1/shadow', { key: ADMIN_KEY });
    expect(res.status).toBe(200);
    expect(res.body.policies).toEqual(['cards-first']);
    expect(res.body.rounds).toBe(40);
    expect(res.body.estimates.map((e: { estimator: string }) => e.estimator)).toEqual([
      'DM',
      'IPS',
      'SNIPS',
      'DR',
    ]);
    expect(res.body.agreement).toBeGreaterThanOrEqual(0);
  });
});
