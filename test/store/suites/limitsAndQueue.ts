// Store suite, part 2: reserved limits, the outbound queue, and the reporting reads (every dialect runs it).
import { expect, it } from 'vitest';
import type { InteractionRecord } from '../../../src/core/types.ts';
import type { DecisionRecord, OutboundMessage, Store } from '../../../src/store/store.ts';

const T0 = Date.parse('2026-06-15T12:00:00Z');
const DAY = 86_400_000;

type Make = (id: string, customerId: string | null, extra?: Partial<DecisionRecord>) => DecisionRecord;

const choice = (actionId: string, rank = 1) => ({
  actionId,
  issue: 'Sales',
  group: actionId,
  rank,
  probability: 0.5,
  propensity: 0.1,
  priority: 1,
  treatment: { title: actionId },
});

const contactOf = (actionId: string, channel: string, at: number): InteractionRecord => ({
  kind: 'contact',
  actionId,
  issue: 'Sales',
  group: actionId,
  channel,
  at,
});

function message(decisionId: string, customerId: string, at: number): OutboundMessage {
  return {
    decisionId,
    customerId,
    channel: 'sms',
    trigger: { id: 'alerts', eventSeq: 1, eventType: 'alert', eventAt: at - 1000 },
    actions: [
      { actionId: 'A1', name: 'A1', issue: 'Sales', group: 'A1', rank: 1, treatment: { title: 'A1' } },
    ],
    createdAt: at,
  };
}

export function limitsAndQueueSuite(get: () => Store, record: Make) {
  it('reserves budgets at commit: a commit past a daily or total limit is refused and writes nothing', async () => {
    const store = get();
    const commit = (
      id: string,
      at: number,
      actions: string[],
      budgets: Array<{ actionId: string; maxPerDay?: number; total?: number }>,
    ) =>
      store.commitDecision({
        decision: record(id, 'c1', { at, chosen: actions.map((a, i) => choice(a, i + 1)) }),
        contacts: actions.map((a) => contactOf(a, 'web', at)),
        reserve: { budgets },
      });
    expect(await commit('d1', T0, ['A1', 'B1'], [{ actionId: 'A1', maxPerDay: 2, total: 3 }])).toEqual({
      committed: true,
    });
    expect(await commit('d2', T0, ['A1'], [{ actionId: 'A1', maxPerDay: 2, total: 3 }])).toEqual({
      committed: true,
    });
    expect(await commit('d3', T0, ['A1', 'B1'], [{ actionId: 'A1', maxPerDay: 2, total: 3 }])).toEqual({
      committed: false,
      budgets: ['A1'],
      caps: [],
    });
    expect(await store.getDecision('d3')).toBeUndefined();
    const day = Math.floor(T0 / DAY);
    expect((await store.budgetUsage(['A1', 'B1'], day)).get('B1')).toEqual({ today: 1, total: 1 });
    // The next day the daily limit is free again, the total is not (3 in all).
    expect(await commit('d4', T0 + DAY, ['A1'], [{ actionId: 'A1', maxPerDay: 2, total: 3 }])).toEqual({
      committed: true,
    });
    expect(await commit('d5', T0 + DAY, ['A1'], [{ actionId: 'A1', maxPerDay: 2, total: 3 }])).toMatchObject({
      committed: false,
      budgets: ['A1'],
    });
    expect((await store.budgetUsage(['A1'], day + 1)).get('A1')).toEqual({ today: 1, total: 3 });
    // A limit of 0 allows nothing; simultaneous commits never go past a limit.
    expect(await commit('d6', T0, ['C1'], [{ actionId: 'C1', maxPerDay: 0 }])).toMatchObject({
      committed: false,
    });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => commit(`e${i}`, T0, ['E1'], [{ actionId: 'E1', total: 5 }])),
    );
    expect(results.filter((r) => r.committed)).toHaveLength(5);
    expect((await store.budgetUsage(['E1'], day)).get('E1')).toEqual({ today: 5, total: 5 });
  });

  it.each([['c9'], ["O'Brien \\'; DROP TABLE interactions; --"]])(
    'checks caps at commit against the history as committed, one decision per customer at a time (%s)',
    async (customer) => {
      const store = get();
      const cap = 2;
      const commit = (id: string) =>
        store.commitDecision({
          decision: record(id, customer, { chosen: [choice('A1')] }),
          contacts: [contactOf('A1', 'email', T0)],
          reserve: {
            budgets: [],
            caps: {
              since: T0 - 7 * DAY,
              acceptsForever: false,
              check: {
                channel: 'email',
                now: T0,
                chosen: [
                  {
                    id: 'A1',
                    issue: 'Sales',
                    group: 'G',
                    caps: [
                      {
                        id: 'email-cap',
                        type: 'maxContacts',
                        scope: 'customer',
                        count: cap,
                        days: 7,
                        countOn: 'decision',
                      },
                    ],
                  },
                ],
              },
            },
          },
        });
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => commit(`c${i}`)));
      expect(results.filter((r) => r.committed)).toHaveLength(cap);
      expect(results.find((r) => !r.committed)).toEqual({ committed: false, budgets: [], caps: ['A1'] });
      expect(await store.loadHistory(customer, 0, false)).toHaveLength(cap);
    },
  );

  it('queues outbound messages: claims, acknowledgements, releases and counts', async () => {
    const store = get();
    for (let i = 0; i < 4; i++)
      await store.commitDecision({
        decision: record(`m${i}`, `c${i}`),
        contacts: [],
        outbound: message(`m${i}`, `c${i}`, T0 + i),
      });
    const claim = (now: number, limit = 10) =>
      store.claimOutbound({ channels: ['sms'], limit, leaseMs: 1000, now, maxAttempts: 2 });
    // Simultaneous claims share the due messages out; none is handed out twice.
    const [a, b] = await Promise.all([claim(T0 + 10, 2), claim(T0 + 10, 2)]);
    const ids = [...a!, ...b!].map((m) => m.id);
    expect(new Set(ids).size).toBe(4);
    expect(await claim(T0 + 20)).toEqual([]);
    const first = a![0]!;
    expect(first).toMatchObject({
      status: 'claimed',
      attempts: 1,
      leaseUntil: T0 + 1010,
      customerId: expect.any(String),
    });
    expect(await store.ackOutbound(first.id, 'wrong', T0 + 30)).toBe('wrong_token');
    expect(await store.ackOutbound(first.id, first.claimToken, T0 + 30)).toBe('ok');
    expect(await store.ackOutbound(first.id, first.claimToken, T0 + 31)).toBe('not_claimed');
    expect(await store.ackOutbound(999_999, 'x', T0)).toBe('unknown');
    const second = a![1] ?? b![0]!;
    expect(await store.releaseOutbound(second.id, second.claimToken, T0 + 500, 'gateway down')).toBe('ok');
    expect(await claim(T0 + 499)).toEqual([]);
    const retried = await claim(T0 + 500);
    expect(retried.map((m) => [m.id, m.attempts, m.lastError])).toEqual([[second.id, 2, 'gateway down']]);
    // Leases that run out make messages due again; past maxAttempts they are given up.
    const expired = await claim(T0 + 5000);
    expect(expired.map((m) => m.id).sort()).toEqual(
      ids.filter((id) => id !== first.id && id !== second.id).sort(),
    );
    await claim(T0 + 10_000);
    await claim(T0 + 20_000);
    expect(await store.outboundCounts()).toEqual([
      { channel: 'sms', status: 'done', count: 1 },
      { channel: 'sms', status: 'failed', count: 3 },
    ]);
    // Journeys: when each outcome type was first reported for a message's decision.
    await store.recordOutcome({
      decisionId: 'm1',
      actionId: 'A1',
      outcome: 'click',
      at: T0 + 70,
      customerId: 'c1',
      teaches: true,
    });
    await store.recordOutcome({
      decisionId: 'm1',
      actionId: 'A1',
      outcome: 'impression',
      at: T0 + 60,
      customerId: 'c1',
      teaches: false,
    });
    const journeys = await store.triggerJourneys(T0, T0 + 4);
    expect(journeys.map((j) => [j.trigger, j.channel, j.eventAt, j.createdAt, j.firstAt])).toEqual([
      ['alerts', 'sms', T0 - 1000, T0, {}],
      ['alerts', 'sms', T0 - 999, T0 + 1, { impression: T0 + 60, click: T0 + 70 }],
      ['alerts', 'sms', T0 - 998, T0 + 2, {}],
      ['alerts', 'sms', T0 - 997, T0 + 3, {}],
    ]);
  });

  it('reads the timeline newest first, by kind, in pages', async () => {
    const store = get();
    await store.appendEvents(
      [{ customerId: 'c1', type: 'call', at: T0, payload: { minutes: 3 } }],
      T0,
      () => undefined,
    );
    await store.commitDecision({ decision: record('d1', 'c1', { at: T0 + 10 }), contacts: [] });
    await store.recordOutcome({
      decisionId: 'd1',
      actionId: 'A1',
      outcome: 'accept',
      value: 4,
      at: T0 + 20,
      customerId: 'c1',
      teaches: true,
    });
    await store.commitDecision({ decision: record('other', 'c2', { at: T0 + 15 }), contacts: [] });
    const all = await store.timeline({ customerId: 'c1', limit: 10 });
    expect(all.entries.map((e) => e.kind)).toEqual(['outcome', 'decision', 'event']);
    expect(all.entries[0]).toMatchObject({
      decisionId: 'd1',
      actionId: 'A1',
      outcome: 'accept',
      value: 4,
      channel: 'web',
    });
    expect(all.entries[1]).toMatchObject({ decisionId: 'd1', arm: 'adaptive', actions: ['A1'] });
    expect(all.entries[2]).toMatchObject({ type: 'call', payload: { minutes: 3 }, channel: null });
    expect(all.next).toBeUndefined();
    for (const kind of ['event', 'decision', 'outcome'] as const) {
      const one = await store.timeline({ customerId: 'c1', limit: 10, kinds: [kind] });
      expect(one.entries.map((e) => e.kind)).toEqual([kind]);
    }
    const page1 = await store.timeline({ customerId: 'c1', limit: 2 });
    expect(page1.entries).toHaveLength(2);
    const page2 = await store.timeline({ customerId: 'c1', limit: 2, before: page1.next! });
    expect(page2.entries.map((e) => e.kind)).toEqual(['event']);
    const window = await store.timeline({ customerId: 'c1', limit: 10, from: T0 + 5, to: T0 + 20 });
    expect(window.entries.map((e) => e.kind)).toEqual(['decision']);
  });

  it('reports recent decisions, counts, the decision log with answers, contacts and attributed events', async () => {
    const store = get();
    await store.commitDecision({
      decision: record('d1', 'c1', { at: T0 }),
      contacts: [contactOf('A1', 'web', T0)],
    });
    await store.commitDecision({
      decision: record('d2', 'c1', { at: T0 + 10, chosen: [choice('A1'), choice('B1', 2)] }),
      contacts: [contactOf('A1', 'web', T0 + 10), contactOf('B1', 'web', T0 + 10)],
    });
    await store.commitDecision({
      decision: record('d3', null, { at: T0 + 20, channel: 'app' }),
      contacts: [],
    });
    await store.recordOutcome({
      decisionId: 'd2',
      actionId: 'B1',
      outcome: 'reject',
      at: T0 + 30,
      customerId: 'c1',
      teaches: true,
    });
    expect((await store.recentDecisions(2)).map((d) => [d.decisionId, d.customerId])).toEqual([
      ['d3', null],
      ['d2', 'c1'],
    ]);
    expect(await store.decisionCount(T0, T0 + 20)).toBe(2);
    expect(await store.nthLatestDecisionAt(T0 + 100, 1)).toBe(T0 + 20);
    expect(await store.nthLatestDecisionAt(T0 + 20, 2)).toBe(T0);
    expect(await store.nthLatestDecisionAt(T0 + 100, 4)).toBeUndefined();
    const page = await store.decisionLog({ from: T0, to: T0 + 100, limit: 2 });
    expect(page.map((d) => d.id)).toEqual(['d1', 'd2']);
    expect(page[1]!.answers.B1).toMatchObject({ reject: true, accept: false });
    expect(page[1]!.answers.A1).toMatchObject({ reject: false, expired: false });
    const rest = await store.decisionLog({
      from: T0,
      to: T0 + 100,
      limit: 2,
      after: { at: page[1]!.at, id: 'd2' },
    });
    expect(rest.map((d) => d.id)).toEqual(['d3']);
    expect(
      (await store.contactCounts(T0, T0 + 100)).sort((a, b) => a.channel.localeCompare(b.channel)),
    ).toEqual([{ channel: 'web', customerId: 'c1', contacts: 3 }]);
    await store.appendEvents(
      [
        { customerId: 'c1', type: 'survey', at: T0 + 40, payload: { nps: 9 } },
        { customerId: 'c2', type: 'survey', at: T0 + 41, channel: 'email', payload: { nps: 3 } },
      ],
      T0 + 50,
      () => undefined,
    );
    expect(await store.eventsWithLastAction('survey', T0, T0 + 100, 1000)).toEqual([
      { at: T0 + 40, channel: null, payload: { nps: 9 }, actionId: 'A1' },
      { at: T0 + 41, channel: 'email', payload: { nps: 3 }, actionId: null },
    ]);
  });

  it('rebuilds every feature state from the stored events', async () => {
    const store = get();
    const count = (state: Record<string, unknown>) => {
      state.n = Number(state.n ?? 0) + 1;
    };
    const bump = (state: object) => {
      const s = state as Record<string, unknown>;
      s.m = Number(s.m ?? 0) + 1;
    };
    await store.appendEvents(
      [
        { customerId: 'c1', type: 'call', at: T0 + 2, payload: {} },
        { customerId: 'c2', type: 'call', at: T0, payload: {} },
        { customerId: 'c1', type: 'call', at: T0 + 1, payload: {} },
      ],
      T0,
      (state) => {
        count(state as Record<string, unknown>);
        return undefined;
      },
    );
    expect(await store.featureState('c1')).toEqual({ n: 2 });
    const order: number[] = [];
    const replayed = await store.rebuildFeatureStates((state, event) => {
      if (event.customerId === 'c1') order.push(event.at);
      bump(state);
    });
    expect(replayed).toBe(3);
    expect(order).toEqual([T0 + 1, T0 + 2]);
    expect(await store.featureState('c1')).toEqual({ m: 2 });
    expect(await store.featureState('c2')).toEqual({ m: 1 });
    expect(await store.featureState('nobody')).toEqual({});
  });
}
