import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { action, smallCatalogDoc } from '../helpers.ts';
import { ADMIN_KEY, type Running, startServer } from './harness.ts';

const catalogDoc = smallCatalogDoc({
  actions: [
    // Proactive service: a technician visit only after repeated device faults.
    action('TechVisit', 'Service', 'Repair', { value: 10, eligibility: 'features.faults7d >= 2.0' }),
    action('Upsell', 'Sales', 'Cards', { value: 1 }),
  ],
  events: {
    types: {
      device_alert: { payload: { severity: 'string', code: 'number' }, required: ['severity'] },
      invoice: { payload: { amount: 'number' }, required: ['amount'] },
    },
    features: {
      faults7d: { event: 'device_alert', aggregate: 'count', windowDays: 7 },
      invoiceTotal90d: { event: 'invoice', aggregate: 'sum', field: 'amount', windowDays: 90 },
    },
  },
});

let s: Running;
beforeAll(async () => {
  s = await startServer(JSON.stringify(catalogDoc));
  await s.call('PUT', '/v1/customers/c1', { key: ADMIN_KEY, body: { attributes: { age: 40 } } });
});
afterAll(async () => s.stop());

const now = () => new Date().toISOString();
const decideIds = async () =>
  (
    await s.call('POST', '/v1/decide', { body: { customerId: 'c1', channel: 'web', limit: 5 } })
  ).body.actions.map((a: { actionId: string }) => a.actionId);

describe('POST /v1/events', () => {
  it('stores one event or a batch, and derived features reach the rules at once', async () => {
    expect(await decideIds()).not.toContain('TechVisit');
    const one = await s.call('POST', '/v1/events', {
      body: {
        customerId: 'c1',
        type: 'device_alert',
        timestamp: now(),
        payload: { severity: 'critical', code: 7 },
      },
    });
    expect(one.status).toBe(200);
    expect(one.body.accepted).toBe(1);
    expect(await decideIds()).not.toContain('TechVisit');
    const batch = await s.call('POST', '/v1/events', {
      body: [
        {
          customerId: 'c1',
          type: 'device_alert',
          timestamp: now(),
          channel: 'iot',
          payload: { severity: 'minor' },
        },
        { customerId: 'c1', type: 'invoice', timestamp: '2026-11-20T10:00:00Z', payload: { amount: 42.5 } },
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.seqs).toHaveLength(2);
    expect(batch.body.seqs[1]).toBeGreaterThan(batch.body.seqs[0]);
    expect(await decideIds()).toContain('TechVisit');
    expect(await s.engine.customerFeatures('c1')).toMatchObject({ faults7d: 2 });
  });

  it.each([
    ['an unknown type', { customerId: 'c1', type: 'fax', timestamp: '2026-11-20T10:00:00Z' }, 'body.type'],
    [
      'a wrong payload type',
      { customerId: 'c1', type: 'invoice', timestamp: '2026-11-20T10:00:00Z', payload: { amount: 'lots' } },
      'body.payload.amount',
    ],
    [
      'a missing required field',
      { customerId: 'c1', type: 'invoice', timestamp: '2026-11-20T10:00:00Z', payload: {} },
      'body.payload.amount',
    ],
    [
      'a bad timestamp',
      { customerId: 'c1', type: 'invoice', timestamp: 'yesterday', payload: { amount: 1 } },
      'body.timestamp',
    ],
    [
      'a timestamp in the future',
      { customerId: 'c1', type: 'invoice', timestamp: '2099-01-01T00:00:00Z', payload: { amount: 1 } },
      'body.timestamp',
    ],
    [
      'a missing customer id',
      { type: 'invoice', timestamp: '2026-11-20T10:00:00Z', payload: { amount: 1 } },
      'body.customerId',
    ],
    [
      'an unknown field',
      { customerId: 'c1', type: 'invoice', timestamp: '2026-11-20T10:00:00Z', colour: 'red' },
      'body.colour',
    ],
    [
      'a batch element without a customer id',
      [
        { customerId: 'c1', type: 'invoice', timestamp: '2026-11-20T10:00:00Z', payload: { amount: 1 } },
        { type: 'invoice', timestamp: '2026-11-20T10:00:00Z', payload: { amount: 1 } },
      ],
      'body[1].customerId',
    ],
  ])('rejects %s with a 400 naming the field', async (_what, body, field) => {
    const res = await s.call('POST', '/v1/events', { body });
    expect(res.status).toBe(400);
    expect(res.body.field).toBe(field);
  });

  it('one bad event in a batch rejects the batch and names it; nothing is stored', async () => {
    const before = await s.engine.customerFeatures('c1');
    const res = await s.call('POST', '/v1/events', {
      body: [
        { customerId: 'c1', type: 'invoice', timestamp: now(), payload: { amount: 5 } },
        { customerId: 'c1', type: 'invoice', timestamp: now(), payload: { amount: -1, extra: true } },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('body[1].payload.extra');
    expect(await s.engine.customerFeatures('c1')).toEqual(before);
  });

  it('erasing a customer erases their events and features', async () => {
    await s.call('PUT', '/v1/customers/gone', { key: ADMIN_KEY, body: { attributes: { age: 30 } } });
    await s.call('POST', '/v1/events', {
      body: { customerId: 'gone', type: 'device_alert', timestamp: now(), payload: { severity: 'x' } },
    });
    const res = await s.call('DELETE', '/v1/customers/gone', { key: ADMIN_KEY });
    expect(res.status).toBe(200);
    expect(res.body.erased.events).toBe(1);
    expect(await s.engine.customerFeatures('gone')).toMatchObject({ faults7d: 0 });
  });
});
