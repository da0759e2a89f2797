import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { action, smallCatalogDoc } from '../helpers.ts';
import { ADMIN_KEY, type Running, startServer } from './harness.ts';

const T0 = Date.parse('2026-11-03T12:00:00Z');
let now = T0;
const iso = (ms: number) => new Date(ms).toISOString();

let s: Running;
beforeAll(async () => {
  const doc = smallCatalogDoc({
    actions: [action('A', 'Sales', 'A', { value: 1 }), action('B', 'Sales', 'B', { value: 1 })],
    measurement: { controlShare: 0.5 },
  });
  s = await startServer(JSON.stringify(doc), { clock: () => now });
  // 60 anonymous decisions, one every 10 s over 10 minutes; every third one accepted.
  for (let i = 0; i < 60; i++) {
    now = T0 + i * 10_000;
    const d = await s.call('POST', '/v1/decide', { body: { channel: 'web', limit: 1 } });
    if (i % 3 === 0)
      await s.call('POST', '/v1/outcomes', {
        body: { decisionId: d.body.decisionId, actionId: d.body.actions[0].actionId, outcome: 'accept' },
      });
  }
  now = T0 + 3_600_000;
});
afterAll(async () => s.stop());

describe('GET /v1/kpis/series', () => {
  it('buckets offers per arm and cumulates them to the totals of /v1/kpis', async () => {
    const range = `from=${iso(T0)}&to=${iso(T0 + 600_000)}`;
    const series = await s.call('GET', `/v1/kpis/series?${range}&stepSeconds=60`, { key: ADMIN_KEY });
    expect(series.status).toBe(200);
    expect(series.body.points).toHaveLength(10);
    expect(series.body.points.map((p: { decisions: number }) => p.decisions)).toEqual(Array(10).fill(6));
    const last = series.body.points[9];
    const kpis = await s.call('GET', `/v1/kpis?${range}&by=arm`, { key: ADMIN_KEY });
    for (const row of kpis.body.rows) {
      expect(last.arms[row.key.arm]).toMatchObject({ cumOffers: row.offers, cumAccepts: row.accepts });
    }
    const a = last.arms.adaptive;
    const c = last.arms.control;
    expect(a.cumOffers + c.cumOffers).toBe(60);
    expect(a.cumAccepts + c.cumAccepts).toBe(20);
    // The seeded run puts accepts in both arms, so the lift is defined and must be their ratio.
    expect(c.cumAccepts).toBeGreaterThan(0);
    expect(last.lift).toBeCloseTo(a.cumRate / c.cumRate - 1, 9);
  });

  it('names a bad range or step', async () => {
    const reversed = await s.call('GET', `/v1/kpis/series?from=${iso(T0)}&to=${iso(T0 - 1000)}`, {
      key: ADMIN_KEY,
    });
    expect(reversed.status).toBe(400);
    expect(reversed.body.field).toBe('querystring.from');
    const tooFine = await s.call(
      'GET',
      `/v1/kpis/series?from=${iso(T0)}&to=${iso(T0 + 86_400_000)}&stepSeconds=1`,
      {
        key: ADMIN_KEY,
      },
    );
    expect(tooFine.status).toBe(400);
    expect(tooFine.body.field).toBe('querystring.stepSeconds');
  });
});
