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
