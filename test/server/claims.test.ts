// Claims across processes: two server processes that start at once recover the trigger jobs a stopped process
// left (each job decided once), and claiming outbound messages at the same time never hands one message to both.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.ts';
import { action, smallCatalogDoc } from '../helpers.ts';
import { DIALECTS } from '../store/dialects.ts';
import { callUrl, spawnServer } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-claims-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const catalog = smallCatalogDoc({
  channels: [{ id: 'web' }, { id: 'sms', direction: 'outbound' }],
  actions: [
    action('Repair', 'Service', 'Repair', {
      value: 10,
      treatments: { web: { title: 'Visit' }, sms: { title: 'Book' } },
    }),
  ],
  events: {
    types: { device_alert: { payload: { severity: 'string' }, required: ['severity'] } },
    features: {},
  },
  triggers: [
    {
      id: 'faults',
      event: 'device_alert',
      when: 'event.payload.severity == "critical"',
      channel: 'sms',
      actions: { issue: 'Service' },
    },
  ],
});

const JOBS = 60;

describe.each(DIALECTS)('claims across two processes ($name)', (dialect) => {
  it('recovers each left trigger job once and hands each outbound message to one claimant', async () => {
    const db = dialect.freshUrl();
    const file = join(dir, `catalog-${dialect.name}.json`);
    writeFileSync(file, JSON.stringify(catalog));
    // A process that stored the events (and their trigger jobs) two minutes ago and stopped before deciding.
    const setup = await openStore(db);
    const past = Date.now() - 120_000;
    for (let i = 0; i < JOBS; i++) await setup.putCustomer(`C${i}`, { age: 30 }, past);
    const { jobs } = await setup.appendEvents(
      Array.from({ length: JOBS }, (_, i) => ({
        customerId: `C${i}`,
        type: 'device_alert',
        at: past,
        payload: { severity: 'critical' },
      })),
      past,
      () => [{ trigger: 'faults', features: {} }],
    );
    expect(jobs).toHaveLength(JOBS);
    // The catalog the jobs belong to, active before the servers start.
    const { Engine } = await import('../../src/engine/engine.ts');
    const engine = await Engine.open(setup, JSON.stringify(catalog), {
      checkpointMs: 0,
      triggerRecoveryAgeMs: 10 ** 9,
    });
    await engine.close();
    await setup.close();

    const args = ['--db', db, '--catalog', file, '--no-demo-data'];
    const [a, b] = await Promise.all([spawnServer(args), spawnServer(args)]);
    try {
      const seen = new Map<number, string>();
      const claimers = [a, b].map(async (p) => {
        for (;;) {
          const r = await callUrl(p.url, 'GET', '/v1/outbound?channel=sms&limit=3&leaseSeconds=300');
          expect(r.status).toBe(200);
          if (r.body.items.length === 0) return;
          for (const item of r.body.items as Array<{ id: number }>) {
            expect(seen.has(item.id)).toBe(false);
            seen.set(item.id, p.url);
          }
        }
      });
      await Promise.all(claimers);
      // Every job made exactly one decision and one message; both processes took some.
      expect(seen.size).toBe(JOBS);
      const check = await openStore(db);
      const log = [];
      for await (const d of (await import('../../src/measure/evaluate.ts')).decisionLog(check, {
        from: 0,
        to: Date.now() + 1,
        positive: ['accept'],
      }))
        log.push(d);
      await check.close();
      const perEvent = new Map<number, number>();
      for (const d of log)
        if (d.trigger) perEvent.set(d.trigger.eventSeq, (perEvent.get(d.trigger.eventSeq) ?? 0) + 1);
      expect(perEvent.size).toBe(JOBS);
      expect([...perEvent.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
