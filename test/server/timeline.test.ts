import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallCatalogDoc } from '../helpers.ts';
import { ADMIN_KEY, type Running, startServer } from './harness.ts';

const T0 = Date.parse('2026-11-01T10:00:00Z');
let now = T0;

const catalogDoc = smallCatalogDoc({
  events: {
    types: {
      call: { payload: { reason: 'string' } },
      invoice: { payload: { amount: 'number' }, required: ['amount'] },
    },
  },
});

let s: Running;
let decisionId: string;
const iso = (ms: number) => new Date(ms).toISOString();
const get = (query: string) => s.call('GET', `/v1/customers/c1/timeline${query}`, { key: ADMIN_KEY });

beforeAll(async () => {
  s = await startServer(JSON.stringify(catalogDoc), { clock: () => now });
  await s.call('PUT', '/v1/customers/c1', { key: ADMIN_KEY, body: { attributes: { age: 40 } } });
  await s.call('POST', '/v1/events', {
    body: [
      { customerId: 'c1', type: 'call', timestamp: iso(T0 - 7_200_000), channel: 'phone', payload: {} },
      { customerId: 'c1', type: 'invoice', timestamp: iso(T0 - 3_600_000), payload: { amount: 30 } },
    ],
  });
  const decision = await s.call('POST', '/v1/decide', {
    body: { customerId: 'c1', channel: 'web', limit: 1 },
  });
  decisionId = decision.body.decisionId;
  now = T0 + 60_000;
  const actionId = decision.body.actions[0].actionId;
  await s.call('POST', '/v1/outcomes', { body: { decisionId, actionId, outcome: 'accept' } });
  // Arrives after the outcome but happened before it: the timeline orders by when things happened.
  await s.call('POST', '/v1/events', {
    body: [
      { customerId: 'c1', type: 'call', timestamp: iso(T0 + 30_000), payload: { reason: 'billing' } },
      // Same millisecond as the decision: ties put the event after (newer than) the decision.
      { customerId: 'c1', type: 'call', timestamp: iso(T0), payload: { reason: 'tie' } },
    ],
  });
});
afterAll(async () => s.stop());

describe('GET /v1/customers/:id/timeline', () => {
  it('merges events, decisions and outcomes newest first', async () => {
    const res = await get('');
    expect(res.status).toBe(200);
    expect(res.body.next).toBeNull();
    expect(res.body.entries.map((e: { kind: string; at: string }) => [e.kind, e.at])).toEqual([
      ['outcome', iso(T0 + 60_000)],
      ['event', iso(T0 + 30_000)],
      ['event', iso(T0)],
      ['decision', iso(T0)],
      ['event', iso(T0 - 3_600_000)],
      ['event', iso(T0 - 7_200_000)],
    ]);
    expect(res.body.entries[0]).toMatchObject({ decisionId, outcome: 'accept', channel: 'web' });
    expect(res.body.entries[3]).toMatchObject({ decisionId, channel: 'web', arm: 'adaptive' });
    expect(res.body.entries[5]).toMatchObject({ type: 'call', channel: 'phone' });
  });

  it('pages with a cursor without gaps or repeats', async () => {
    const all = (await get('')).body.entries;
    const seen: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`?limit=4${cursor ? `&before=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.entries);
      cursor = res.body.next;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(all);
  });

  it('filters by kind and time', async () => {
    const events = await get('?kinds=event');
    expect(events.body.entries).toHaveLength(4);
    const window = await get(`?from=${iso(T0)}&to=${iso(T0 + 60_000)}&kinds=event,decision`);
    expect(window.body.entries.map((e: { kind: string }) => e.kind)).toEqual(['event', 'event', 'decision']);
  });

  it('names bad requests', async () => {
    const cursor = await get('?before=garbage');
    expect(cursor.status).toBe(400);
    expect(cursor.body.field).toBe('querystring.before');
    const kinds = await get('?kinds=email');
    expect(kinds.status).toBe(400);
    expect(kinds.body.field).toBe('querystring.kinds');
    const unknown = await s.call('GET', '/v1/customers/nobody/timeline', { key: ADMIN_KEY });
    expect(unknown.status).toBe(404);
  });
});
