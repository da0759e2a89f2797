// The bundled example is what people copy: every trigger has something to offer when it fires, consent is used,
// and the README's counts are the catalog's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/core/catalog.ts';
import { parseCatalogSource } from '../../src/core/catalogSource.ts';
import { telcoCustomers } from '../../src/demo/telcoCustomers.ts';
import { ADMIN_KEY, type Running, startServer } from './harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const source = readFileSync(join(ROOT, 'examples/telco/catalog.yaml'), 'utf8');
const catalog = compileCatalog(parseCatalogSource(source));

// One of the example customers, with a router, no open ticket and no marketing consent.
const profile = {
  ...telcoCustomers(1)[0]!.attributes,
  hasRouter: true,
  openTickets: 0,
  marketingConsent: false,
};
const now = () => new Date().toISOString();
/** For every trigger of the example, the single event that should fire it for a customer with `profile`. */
const FIRST_EVENT: Record<string, { type: string; payload: Record<string, unknown> }> = {
  'router-faults': { type: 'device_alert', payload: { device: 'router', code: 'E1', severity: 'critical' } },
  'moving-house': { type: 'life_event', payload: { kind: 'moving' } },
};

let s: Running;
beforeAll(async () => {
  s = await startServer(source);
});
afterAll(async () => s.stop());

describe('the example catalog', () => {
  it('every trigger offers something the first time it fires', async () => {
    const triggers = [...catalog.triggersByEvent.values()].flat().map((t) => t.id);
    expect(Object.keys(FIRST_EVENT).sort()).toEqual([...triggers].sort());
    for (const [i, id] of triggers.entries()) {
      const customerId = `T${i}`;
      await s.call('PUT', `/v1/customers/${customerId}`, { key: ADMIN_KEY, body: { attributes: profile } });
      const event = FIRST_EVENT[id]!;
      const res = await s.call('POST', '/v1/events', { body: { customerId, timestamp: now(), ...event } });
      expect(res.status).toBe(200);
      const fired = res.body.triggered.find((t: { trigger: string }) => t.trigger === id);
      expect(fired, `${id} fired`).toBeDefined();
      expect(fired.actions.length, `${id} offered: ${JSON.stringify(fired)}`).toBeGreaterThan(0);
    }
  });

  it('asks for marketing consent before Sales offers go out by email, push or SMS', async () => {
    const consentOf = async (customerId: string, given: boolean) => {
      await s.call('PUT', `/v1/customers/${customerId}`, {
        key: ADMIN_KEY,
        body: { attributes: { ...profile, marketingConsent: given } },
      });
      const decision = await s.call('POST', '/v1/decide', {
        body: { customerId, channel: 'email', limit: 10 },
      });
      expect(decision.status).toBe(200);
      const logged = await s.call('GET', `/v1/decisions/${decision.body.decisionId}`, { key: ADMIN_KEY });
      return logged.body;
    };
    const without = await consentOf('NoConsent', false);
    const sales = catalog.actions
      .filter((a) => a.issue === 'Sales' && a.treatments.has('email'))
      .map((a) => a.id);
    expect(sales.length).toBeGreaterThan(0);
    const droppedForConsent = without.dropped
      .filter((d: { stage: string }) => d.stage === 'consent')
      .map((d: { actionId: string }) => d.actionId);
    expect(droppedForConsent.sort()).toEqual([...sales].sort());
    const withIt = await consentOf('Consent', true);
    expect(withIt.dropped.filter((d: { stage: string }) => d.stage === 'consent')).toEqual([]);
  });

  it("the README's counts are the catalog's", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const issues = new Set(catalog.actions.map((a) => a.issue)).size;
    expect(readme).toContain(`complete example with ${catalog.actions.length} actions in ${issues} issues`);
  });

  it('speaks German: every action has its name, description and every treatment title translated', () => {
    const missing = catalog.actions.flatMap((a) => {
      const de = a.translations.get('de');
      const channels = [...a.treatments.keys()].filter((c) => !de?.treatments?.[c]?.title);
      return [
        ...(de?.name ? [] : [`${a.id}.name`]),
        ...(de?.description ? [] : [`${a.id}.description`]),
        ...channels.map((c) => `${a.id}.${c}`),
      ];
    });
    expect(missing).toEqual([]);
    expect(catalog.definition.currency).toBe('EUR');
  });
});
