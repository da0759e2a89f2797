import { describe, expect, it } from 'vitest';
import { openEngine, smallCatalogDoc } from '../helpers.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');

const types = {
  invoice: { payload: { amount: 'number' }, required: ['amount'] },
  call: { payload: { reason: 'string' } },
};

describe('feature states follow the declarations', () => {
  it('recomputes every state from stored events when the feature declarations change', async () => {
    const v1 = smallCatalogDoc({
      events: { types, features: { calls30d: { event: 'call', aggregate: 'count', windowDays: 30 } } },
    });
    const { engine, store } = await openEngine(v1, { clock: () => NOW });
    const at = (daysAgo: number) => NOW - daysAgo * DAY;
    await engine.ingestEvents(
      [
        { customerId: 'a', type: 'invoice', at: at(10), payload: { amount: 20 } },
        { customerId: 'a', type: 'call', at: at(3), payload: { reason: 'billing' } },
        { customerId: 'b', type: 'invoice', at: at(100), payload: { amount: 7 } },
        { customerId: 'a', type: 'invoice', at: at(40), payload: { amount: 5 } },
        { customerId: 'b', type: 'invoice', at: at(1), payload: { amount: 3 } },
      ],
      (i) => `body[${i}]`,
    );
    expect(await engine.customerFeatures('a')).toEqual({ calls30d: 1 });

    // v2 adds a 30-day invoice sum and a last call reason: both cover the events stored before.
    const v2 = smallCatalogDoc({
      events: {
        types,
        features: {
          calls30d: { event: 'call', aggregate: 'count', windowDays: 30 },
          invoices30d: { event: 'invoice', aggregate: 'sum', field: 'amount', windowDays: 30 },
          invoicesEver: { event: 'invoice', aggregate: 'sum', field: 'amount' },
          lastReason: { event: 'call', aggregate: 'last', field: 'reason' },
        },
      },
    });
    await engine.putCatalog(JSON.stringify(v2));
    expect(await engine.customerFeatures('a')).toEqual({
      calls30d: 1,
      invoices30d: 20,
      invoicesEver: 25,
      lastReason: 'billing',
    });
    expect(await engine.customerFeatures('b')).toEqual({ calls30d: 0, invoices30d: 3, invoicesEver: 10 });

    // New events keep updating the rebuilt states incrementally.
    await engine.ingestEvents(
      [{ customerId: 'b', type: 'invoice', at: at(0), payload: { amount: 1 } }],
      () => 'body',
    );
    expect(await engine.customerFeatures('b')).toMatchObject({ invoices30d: 4, invoicesEver: 11 });
    await engine.close();
    await store.close();
  });
});
