// GDPR access: GET /v1/customers/:id/export holds everything the store keeps about a customer, and after an
// erasure nothing is left to export. On both stores.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../store/dialects.ts';
import { ADMIN_KEY, startServer } from './harness.ts';

const catalogSource = readFileSync(join(import.meta.dirname, '../../examples/telco/catalog.yaml'), 'utf8');

describe.each(DIALECTS)('customer data export ($name)', (dialect) => {
  it('exports profile, features, events, decisions with reasons, outcomes, contacts and outbound; nothing after erasure', async () => {
    const s = await startServer(catalogSource, {}, dialect.freshUrl());
    try {
      const profile = { age: 41, hasRouter: true, products: ['fibre', 'mobile'], monthlySpend: 55 };
      expect(
        (await s.call('PUT', '/v1/customers/gdpr-1', { key: ADMIN_KEY, body: { attributes: profile } }))
          .status,
      ).toBe(201);
      // Someone else, whose data must not appear.
      await s.call('PUT', '/v1/customers/other', { key: ADMIN_KEY, body: { attributes: { age: 30 } } });
      const now = new Date().toISOString();
      const events = await s.call('POST', '/v1/events', {
        body: [
          { customerId: 'gdpr-1', type: 'call', timestamp: now, payload: { reason: 'billing', minutes: 4 } },
          { customerId: 'gdpr-1', type: 'life_event', timestamp: now, payload: { kind: 'moving' } },
          { customerId: 'other', type: 'call', timestamp: now, payload: { reason: 'other' } },
        ],
      });
      expect(events.status).toBe(200);
      const d = await s.call('POST', '/v1/decide', { body: { customerId: 'gdpr-1', channel: 'web' } });
      expect(d.status).toBe(200);
      const chosen = d.body.actions[0].actionId;
      expect(
        (
          await s.call('POST', '/v1/outcomes', {
            body: { decisionId: d.body.decisionId, actionId: chosen, outcome: 'accept' },
          })
        ).status,
      ).toBe(200);

      const ex = await s.call('GET', '/v1/customers/gdpr-1/export', { key: ADMIN_KEY });
      expect(ex.status).toBe(200);
      const doc = ex.body;
      expect(doc.customerId).toBe('gdpr-1');
      expect(doc.profile.attributes).toEqual(profile);
      expect(doc.features.callsLast30d).toBe(1);
      expect(doc.features.lastLifeEvent).toBe('moving');
      expect(doc.events.map((e: { type: string }) => e.type).sort()).toEqual(['call', 'life_event']);
      // The web decision and the one the moving-house trigger made, each with its reasons and outcomes.
      expect(doc.decisions.length).toBe(2);
      const web = doc.decisions.find((x: { id: string }) => x.id === d.body.decisionId);
      expect(web.dropped.length).toBeGreaterThan(0);
      expect(web.dropped[0].reason).toEqual(expect.any(String));
      expect(web.outcomes.map((o: { outcome: string }) => o.outcome)).toEqual(['accept']);
      expect(
        doc.interactions.some(
          (i: { kind: string; actionId: string }) => i.kind === 'accept' && i.actionId === chosen,
        ),
      ).toBe(true);
      expect(doc.outbound.length).toBe(1);
      expect(doc.outbound[0].channel).toBe('email');
      expect(JSON.stringify(doc)).not.toContain('"other"');
      expect(doc.exportedAt).toMatch(/^\d{4}-\d\d-\d\dT/);

      expect((await s.call('DELETE', '/v1/customers/gdpr-1', { key: ADMIN_KEY })).status).toBe(200);
      const after = await s.call('GET', '/v1/customers/gdpr-1/export', { key: ADMIN_KEY });
      expect(after.status).toBe(404);
      expect(after.body.message).toMatch(/nothing is held/);
      // And really nothing: the logged decision and the queue entry are gone too.
      expect(await s.store.getDecision(d.body.decisionId)).toBeUndefined();
      expect(await s.store.outboundForCustomer('gdpr-1')).toEqual([]);
      // The other customer's data is untouched.
      expect(
        (await s.call('GET', '/v1/customers/other/export', { key: ADMIN_KEY })).body.events,
      ).toHaveLength(1);
    } finally {
      await s.stop();
    }
  }, 60_000);
});
