import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { action, openEngine, smallCatalogDoc } from '../helpers.ts';

const doc = smallCatalogDoc({
  channels: [{ id: 'web' }, { id: 'sms', direction: 'outbound' }],
  actions: [
    action('TechVisit', 'Service', 'Repair', {
      value: 10,
      treatments: { sms: { title: 'Book a repair slot' } },
    }),
  ],
  events: {
    types: { device_alert: { payload: { severity: 'string' }, required: ['severity'] } },
    features: { faults7d: { event: 'device_alert', aggregate: 'count', windowDays: 7 } },
  },
  triggers: [
    {
      id: 'router-faults',
      event: 'device_alert',
      when: 'event.payload.severity == "critical" || features.faults7d >= 3.0',
      channel: 'sms',
    },
  ],
});

/** Reads the open jobs at `now` (a claim with no lease, which leaves them to the next claimant). */
const peek = (now: number) => ({ createdBefore: Number.MAX_SAFE_INTEGER, limit: 10, now, leaseMs: 0 });
const T0 = Date.parse('2026-11-30T10:00:00Z');

describe('trigger jobs', () => {
  it('a trigger whose decision was never made (the process stopped) is run when an engine opens later', async () => {
    let now = T0;
    const { engine, store } = await openEngine(doc, { seed: 1, clock: () => now });
    await engine.putCustomer('c1', { age: 40 });
    await engine.putCustomer('c2', { age: 50 });
    // What ingestEvents commits before it decides: the events, their features and a job per fired trigger.
    // Stopping right there (no decision) is the crash this guards against.
    const { jobs } = await store.appendEvents(
      [
        { customerId: 'c1', type: 'device_alert', at: now, payload: { severity: 'critical' } },
        { customerId: 'c2', type: 'device_alert', at: now, payload: { severity: 'minor' } },
      ],
      now,
      () => [{ trigger: 'router-faults', features: { faults7d: 1 } }],
    );
    expect(jobs).toHaveLength(2);
    await engine.close();
    expect(await engine.claimOutbound('sms', 10, 60_000)).toEqual([]);

    // A job younger than the recovery age may belong to a request still running: left alone.
    now = T0 + 10_000;
    const early = await Engine.open(store, undefined, { clock: () => now, checkpointMs: 0 });
    expect(await store.claimTriggerJobs(peek(now))).toHaveLength(2);
    await early.close();

    now = T0 + 120_000;
    const restarted = await Engine.open(store, undefined, { clock: () => now, checkpointMs: 0 });
    // c1's critical alert decided and queued its SMS; c2's minor alert did not meet the condition. Both settled.
    expect(await store.claimTriggerJobs(peek(now))).toEqual([]);
    const queued = await restarted.claimOutbound('sms', 10, 60_000);
    expect(queued.map((m) => [m.customerId, m.trigger.id, m.trigger.eventSeq])).toEqual([
      ['c1', 'router-faults', jobs[0]!.eventSeq],
    ]);
    // Running the sweep again decides nothing twice.
    expect(await restarted.recoverTriggerJobs(Number.POSITIVE_INFINITY)).toBe(0);
    await restarted.close();
    await store.close();
  });

  it('ingestion settles its own jobs: none are left after the request', async () => {
    const { engine, store } = await openEngine(doc, { seed: 1 });
    await engine.putCustomer('c1', { age: 40 });
    const { triggered } = await engine.ingestEvents(
      [
        { customerId: 'c1', type: 'device_alert', at: Date.now(), payload: { severity: 'critical' } },
        { customerId: 'c1', type: 'device_alert', at: Date.now(), payload: { severity: 'minor' } },
        { customerId: 'nobody', type: 'device_alert', at: Date.now(), payload: { severity: 'critical' } },
      ],
      (i) => `body[${i}]`,
    );
    expect(triggered.map((t) => [t.index, t.queued ?? t.skipped])).toEqual([
      [0, true],
      [2, 'unknown customer (no profile)'],
    ]);
    expect(await store.claimTriggerJobs(peek(Date.now()))).toEqual([]);
    await engine.close();
    await store.close();
  });
});
