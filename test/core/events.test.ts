import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  type CustomerEvent,
  type CustomerFeatureState,
  DAY,
  eventIssues,
  eventsConfigIssues,
  eventsConfigSchema,
  featureValues,
} from '../../src/core/events.ts';

const config = eventsConfigSchema.parse({
  types: {
    call: { payload: { reason: 'string', minutes: 'number' }, required: ['reason'] },
    invoice: { payload: { amount: 'number' }, required: ['amount'] },
    device_alert: { payload: { severity: 'string' } },
  },
  features: {
    calls30d: { event: 'call', aggregate: 'count', windowDays: 30 },
    callsEver: { event: 'call', aggregate: 'count' },
    invoiceTotal90d: { event: 'invoice', aggregate: 'sum', field: 'amount', windowDays: 90 },
    lastCallReason: { event: 'call', aggregate: 'last', field: 'reason' },
    daysSinceCall: { event: 'call', aggregate: 'daysSince' },
    criticalAlerts7d: {
      event: 'device_alert',
      aggregate: 'count',
      windowDays: 7,
      where: { field: 'severity', equals: 'critical' },
    },
    callTrend14d: { event: 'call', aggregate: 'trend', windowDays: 14 },
  },
});

const NOW = Date.UTC(2026, 10, 24, 12); // 2026-11-24 12:00 UTC
const daysAgo = (d: number, hours = 0) => NOW - d * DAY - hours * 3_600_000;
const ev = (type: string, at: number, payload: CustomerEvent['payload'] = {}): CustomerEvent => ({
  customerId: 'c1',
  type,
  at,
  payload,
});

function build(events: CustomerEvent[]): CustomerFeatureState {
  const state: CustomerFeatureState = {};
  for (const e of events) applyEvent(config, state, e);
  return state;
}

const stream = [
  ev('call', daysAgo(40), { reason: 'billing' }), // outside 30 days, inside "ever"
  ev('call', daysAgo(20), { reason: 'outage' }),
  ev('call', daysAgo(3), { reason: 'outage' }),
  ev('call', daysAgo(1), { reason: 'cancel' }),
  ev('invoice', daysAgo(100), { amount: 50 }), // outside 90 days
  ev('invoice', daysAgo(60), { amount: 40 }),
  ev('invoice', daysAgo(10), { amount: 45.5 }),
  ev('device_alert', daysAgo(2), { severity: 'critical' }),
  ev('device_alert', daysAgo(1), { severity: 'minor' }),
  ev('device_alert', daysAgo(9), { severity: 'critical' }), // outside 7 days
];

describe('derived features', () => {
  it('match hand-computed values', () => {
    expect(featureValues(config, build(stream), NOW)).toEqual({
      calls30d: 3,
      callsEver: 4,
      invoiceTotal90d: 85.5,
      lastCallReason: 'cancel',
      daysSinceCall: 1,
      criticalAlerts7d: 1,
      // Last 7 days: 2 calls (3 and 1 days ago); the 7 days before: none.
      callTrend14d: 2,
    });
  });

  it('are the same whatever order the events arrive in (late events)', () => {
    const inOrder = featureValues(config, build(stream), NOW);
    const shuffled = [
      stream[3]!,
      stream[9]!,
      stream[6]!,
      stream[0]!,
      stream[7]!,
      stream[2]!,
      stream[5]!,
      stream[1]!,
      stream[8]!,
      stream[4]!,
    ];
    expect(featureValues(config, build(shuffled), NOW)).toEqual(inOrder);
    // A late call older than the newest one does not replace the last reason, but counts in its window.
    const late = build([...stream, ev('call', daysAgo(5), { reason: 'late' })]);
    expect(featureValues(config, late, NOW)).toMatchObject({
      lastCallReason: 'cancel',
      calls30d: 4,
      daysSinceCall: 1,
    });
  });

  it('slide with the clock: windows count whole UTC days, today included', () => {
    const state = build([ev('call', Date.UTC(2026, 10, 1, 23), { reason: 'x' })]);
    expect(featureValues(config, state, Date.UTC(2026, 10, 30, 0)).calls30d).toBe(1); // day 30 of 30
    expect(featureValues(config, state, Date.UTC(2026, 11, 1, 0)).calls30d).toBe(0);
    expect(featureValues(config, state, Date.UTC(2026, 11, 1, 0)).callsEver).toBe(1);
  });

  it('checks events against their declared type, naming the field', () => {
    expect(eventIssues(config, { type: 'call', payload: { reason: 'x', minutes: 3 } })).toEqual([]);
    expect(eventIssues(config, { type: 'fax', payload: {} })[0]).toMatchObject({
      field: 'type',
      message: expect.stringMatching(/unknown event type 'fax'/),
    });
    expect(eventIssues(config, { type: 'call', payload: { reason: 'x', minutes: 'long' } })).toEqual([
      { field: 'payload.minutes', message: 'expected number' },
    ]);
    expect(eventIssues(config, { type: 'call', payload: {} })).toEqual([
      { field: 'payload.reason', message: 'required' },
    ]);
    expect(eventIssues(config, { type: 'invoice', payload: { amount: 1, colour: 'red' } })).toEqual([
      { field: 'payload.colour', message: "not a field of 'invoice'" },
    ]);
  });

  it('rejects feature declarations that cannot work, with their path', () => {
    const bad = eventsConfigSchema.parse({
      types: { call: { payload: { reason: 'string' } } },
      features: {
        a: { event: 'chat', aggregate: 'count' },
        b: { event: 'call', aggregate: 'sum', field: 'reason', windowDays: 7 },
        c: { event: 'call', aggregate: 'trend', windowDays: 1 },
        d: { event: 'call', aggregate: 'last' },
      },
    });
    expect(eventsConfigIssues(bad)).toEqual([
      { path: 'events.features.a.event', message: "unknown event type 'chat'" },
      { path: 'events.features.b.field', message: "sum needs a number field, 'reason' is string" },
      { path: 'events.features.c.windowDays', message: 'trend needs a window of at least 2 days' },
      { path: 'events.features.d.field', message: 'last needs a field' },
    ]);
  });
});
