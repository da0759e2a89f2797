import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csatOf, npsOf } from '../../src/measure/feedback.ts';
import { action, smallCatalogDoc } from '../helpers.ts';
import { ADMIN_KEY, type Running, startServer } from './harness.ts';

const T0 = Date.parse('2026-11-02T08:00:00Z');
const HOUR = 3_600_000;
let now = T0;
const iso = (ms: number) => new Date(ms).toISOString();

const catalogDoc = smallCatalogDoc({
  actions: [
    action('Move', 'Service', 'Moving', { value: 5, eligibility: 'has(features.lastLife)' }),
    action('Card', 'Sales', 'Cards', { value: 10 }),
  ],
  events: {
    types: {
      life_event: { payload: { kind: 'string' }, required: ['kind'] },
      survey: {
        payload: { kind: 'string', score: 'number', touchpoint: 'string' },
        required: ['kind', 'score'],
      },
    },
    features: { lastLife: { event: 'life_event', aggregate: 'last', field: 'kind' } },
    surveys: {
      nps: {
        event: 'survey',
        field: 'score',
        where: { field: 'kind', equals: 'nps' },
        touchpoint: 'touchpoint',
      },
      csat: { event: 'survey', field: 'score', where: { field: 'kind', equals: 'csat' } },
    },
  },
  triggers: [
    {
      id: 'moving',
      event: 'life_event',
      when: 'event.payload.kind == "moving"',
      channel: 'email',
      actions: { action: 'Move' },
    },
  ],
});

let s: Running;
const survey = (customerId: string, at: number, kind: string, score: number, touchpoint?: string) => ({
  customerId,
  type: 'survey',
  timestamp: iso(at),
  channel: 'web',
  payload: { kind, score, ...(touchpoint ? { touchpoint } : {}) },
});

beforeAll(async () => {
  s = await startServer(JSON.stringify(catalogDoc), { clock: () => now });
  for (const id of ['c1', 'c2', 'c3'])
    await s.call('PUT', `/v1/customers/${id}`, { key: ADMIN_KEY, body: { attributes: { age: 30 } } });
  // c1 moves; the event reaches us ten minutes late and triggers an email.
  const moved = await s.call('POST', '/v1/events', {
    body: {
      customerId: 'c1',
      type: 'life_event',
      timestamp: iso(T0 - HOUR / 6),
      payload: { kind: 'moving' },
    },
  });
  const decisionId = moved.body.triggered[0].decisionId;
  // c2 gets two web decisions.
  for (let i = 0; i < 2; i++)
    await s.call('POST', '/v1/decide', { body: { customerId: 'c2', channel: 'web', limit: 1 } });
  now = T0 + 2 * HOUR;
  await s.call('POST', '/v1/outcomes', { body: { decisionId, actionId: 'Move', outcome: 'accept' } });
  now = T0 + 4 * HOUR;
  await s.call('POST', '/v1/events', {
    body: [
      survey('c1', T0 + 3 * HOUR, 'nps', 10, 'email'),
      survey('c2', T0 + 1 * HOUR, 'nps', 3, 'web'),
      survey('c3', T0 + 1 * HOUR, 'nps', 8, 'web'),
      survey('c3', T0 + 2 * HOUR, 'nps', 11, 'web'),
      survey('c3', T0 + 2 * HOUR, 'csat', 5),
      survey('c3', T0 + 3 * HOUR, 'csat', 2),
    ],
  });
});
afterAll(async () => s.stop());

const range = `?from=${iso(T0 - 24 * HOUR)}&to=${iso(T0 + 24 * HOUR)}`;

describe('GET /v1/kpis/journey', () => {
  it('counts contacts per customer per channel and times trigger → outcome', async () => {
    const res = await s.call('GET', `/v1/kpis/journey${range}`, { key: ADMIN_KEY });
    expect(res.status).toBe(200);
    expect(res.body.contacts).toEqual([
      { channel: 'email', contacts: 1, customers: 1, perCustomer: { mean: 1, median: 1, p90: 1, max: 1 } },
      { channel: 'web', contacts: 2, customers: 1, perCustomer: { mean: 2, median: 2, p90: 2, max: 2 } },
    ]);
    expect(res.body.triggers).toHaveLength(1);
    const t = res.body.triggers[0];
    expect(t).toMatchObject({ trigger: 'moving', channel: 'email', messages: 1, answered: 1, positives: 1 });
    // Event at T0 − 10 min, answer at T0 + 2 h.
    expect(t.hoursToOutcome.median).toBeCloseTo(2 + 1 / 6, 9);
    expect(t.minutesToMessage.median).toBeCloseTo(10, 9);
  });
});

describe('GET /v1/kpis/feedback', () => {
  it('reports NPS and CSAT overall, per touchpoint and per action taken before the survey', async () => {
    const res = await s.call('GET', `/v1/kpis/feedback${range}`, { key: ADMIN_KEY });
    expect(res.status).toBe(200);
    const { nps, csat } = res.body;
    expect(nps.overall).toMatchObject({ responses: 3, promoters: 1, passives: 1, detractors: 1, nps: 0 });
    expect(nps.outOfRange).toBe(1);
    expect(nps.byTouchpoint.map((r: { touchpoint: string; nps: number }) => [r.touchpoint, r.nps])).toEqual([
      ['email', 100],
      ['web', -50],
    ]);
    const byAction = Object.fromEntries(
      nps.byAction.map((r: { actionId: string; responses: number; nps: number }) => [r.actionId, r.nps]),
    );
    // c1 was sent Move before answering 10; c3 had no action before answering 8 (a passive).
    expect(byAction.Move).toBe(100);
    expect(byAction.none).toBe(0);
    expect(csat.overall).toMatchObject({ responses: 2, satisfied: 1, csat: 50, meanScore: 3.5 });
    expect(csat.byTouchpoint).toEqual([expect.objectContaining({ touchpoint: 'web', responses: 2 })]);
  });
});

describe('survey statistics', () => {
  it('NPS with its adjusted-Wald interval (Rocks, 2016), also for one answer', () => {
    const r = npsOf([10, 9, 9, 8, 7, 3]);
    expect(r.nps).toBeCloseTo(100 * (3 / 6 - 1 / 6), 9);
    // 3.75 promoters and 1.75 detractors of 9 (¾ added to each, 3 to the count), computed by hand.
    const [pp, pd] = [3.75 / 9, 1.75 / 9];
    const half = 1.959963984540054 * Math.sqrt((pp + pd - (pp - pd) ** 2) / 9);
    expect(r.npsCi[0]).toBeCloseTo(100 * (pp - pd - half), 9);
    expect(r.npsCi[1]).toBeCloseTo(100 * (pp - pd + half), 9);
    // One detractor: NPS −100, but the interval is wide, not the point the plain Wald interval gives.
    const one = npsOf([2]);
    expect(one.nps).toBe(-100);
    expect(one.npsCi[0]).toBeLessThan(-90);
    expect(one.npsCi[1]).toBeGreaterThan(0);
    const none = npsOf([]);
    expect(none.npsCi[0]).toBeLessThan(0);
    expect(none.npsCi[1]).toBeGreaterThan(0);
  });

  it('CSAT as the share of 4–5 answers', () => {
    const r = csatOf([5, 4, 3, 1]);
    expect(r).toMatchObject({ responses: 4, satisfied: 2, csat: 50, meanScore: 3.25 });
    expect(r.csatCi[0]).toBeLessThan(50);
    expect(r.csatCi[1]).toBeGreaterThan(50);
  });
});
