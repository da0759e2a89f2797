import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG } from '../../src/cli/paths.ts';
import { PERSONAS } from '../../src/demo/assumptions.ts';
import { acceptProbability, DemoSimulator, demoPopulation } from '../../src/demo/simulator.ts';
import { ADMIN_KEY, type Running, startServer } from '../server/harness.ts';

describe('demo population', () => {
  it('is seeded and follows the persona shares', () => {
    const a = demoPopulation(4000, 5);
    expect(demoPopulation(4000, 5).map((c) => c.attributes)).toEqual(a.map((c) => c.attributes));
    expect(demoPopulation(4000, 6).map((c) => c.attributes)).not.toEqual(a.map((c) => c.attributes));
    for (const p of PERSONAS) {
      const share = a.filter((c) => c.persona.id === p.id).length / a.length;
      expect(share).toBeGreaterThan(p.share - 0.03);
      expect(share).toBeLessThan(p.share + 0.03);
    }
  });

  it('gives personas different hidden propensities for the same action', () => {
    const people = demoPopulation(2000, 1);
    const mean = (persona: string, action: { actionId: string; issue: string; group: string }) => {
      const group = people.filter((c) => c.persona.id === persona);
      return (
        group.reduce((s, c) => s + acceptProbability(c, action, undefined, Date.now()), 0) / group.length
      );
    };
    const bundle = { actionId: 'BusinessBundle', issue: 'Sales', group: 'Fibre' };
    expect(mean('business', bundle)).toBeGreaterThan(5 * mean('senior', bundle));
    const scam = { actionId: 'ScamWarning', issue: 'Information', group: 'Security' };
    expect(mean('senior', scam)).toBeGreaterThan(3 * mean('digital-native', scam));
  });
});

describe('demo simulator against a server', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startServer(readFileSync(BUNDLED_CATALOG, 'utf8'));
  });
  afterAll(async () => s.stop());

  it('loads the customers and drives decisions, answers and events over HTTP', async () => {
    const sim = new DemoSimulator({
      url: s.url,
      adminKey: ADMIN_KEY,
      customers: 300,
      seed: 2,
      speed: 50,
      maxSessions: 400,
    });
    await sim.loadCustomers();
    const stats = await sim.run();
    expect(stats.errors).toBe(0);
    expect(stats.sessions).toBe(400);
    // Sessions happen on the inbound channels; triggered messages (sms, email) are answered separately.
    const kpis = await s.call('GET', '/v1/kpis?by=channel', { key: ADMIN_KEY });
    const inbound = kpis.body.rows.filter(
      (r: { key: { channel: string } }) => !['sms', 'email'].includes(r.key.channel),
    );
    const offers = inbound.reduce((n: number, r: { offers: number }) => n + r.offers, 0);
    const accepts = inbound.reduce((n: number, r: { accepts: number }) => n + r.accepts, 0);
    expect(offers).toBe(Object.values(stats.offers).reduce((a, b) => a + b, 0));
    expect(accepts).toBe(Object.values(stats.accepts).reduce((a, b) => a + b, 0));
    expect(stats.events).toBeGreaterThan(0);
    expect((await s.call('GET', '/v1/customers/C00300', { key: ADMIN_KEY })).status).toBe(200);
  });
});
