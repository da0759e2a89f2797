// Store suite, part 3: retention of the decision log (every dialect runs it).
import { expect, it } from 'vitest';
import { DECISION_GONE, type DecisionRecord, type Store } from '../../../src/store/store.ts';
// Called only inside tests, after both modules have loaded (storeSuite.ts imports this suite).
import { contact } from '../storeSuite.ts';

const T0 = Date.parse('2026-06-15T12:00:00Z');
const HOUR = 3_600_000;

type Make = (id: string, customerId: string | null, extra?: Partial<DecisionRecord>) => DecisionRecord;

/** Folds every learned outcome into the stored models (the quick path, as a single process does). */
async function foldAll(store: Store) {
  await store.foldModels({
    since: 0,
    replayAll: false,
    pending: [],
    quick: () => [{ key: 'A1', state: { kind: 'betaBinomial' } }],
    replay: () => [],
  });
}

export function retentionSuite(get: () => Store, record: Make) {
  const outcome = (decisionId: string, at: number, kind: 'accept' | 'impression' = 'accept') =>
    get().recordOutcome({
      decisionId,
      actionId: 'A1',
      outcome: kind,
      at,
      customerId: 'c1',
      teaches: kind === 'accept',
      interaction: { ...contact('c1', at), kind },
    });

  it('sweeps the oldest decisions with their choices and outcomes, never an unfolded lesson', async () => {
    const store = get();
    for (let i = 0; i < 5; i++)
      await store.commitDecision({
        decision: record(`d${i}`, 'c1', { at: T0 + i * HOUR }),
        contacts: [contact('c1', T0)],
      });
    await outcome('d0', T0 + 1);
    await outcome('d1', T0 + HOUR + 1, 'impression');
    // d0's accept is learned but not folded: d0 stays; d1's impression teaches nothing: d1 goes.
    expect(await store.sweepDecisions(T0 + 3 * HOUR, 10)).toEqual({ decisions: 2, outcomes: 1, outbound: 0 });
    expect(await store.getDecision('d0')).toBeDefined();
    expect(await store.getDecision('d1')).toBeUndefined();
    expect(await store.getDecision('d2')).toBeUndefined();
    expect(await store.outcomesForDecision('d1')).toEqual([]);
    expect(await store.getDecision('d3')).toBeDefined();
    await foldAll(store);
    expect(await store.sweepDecisions(T0 + 3 * HOUR, 10)).toEqual({ decisions: 1, outcomes: 1, outbound: 0 });
    expect(await store.outcomesForDecision('d0')).toEqual([]);
    // The choices went too (KPIs count them), the contact history stays (contact policies read it).
    const tallies = await store.choiceTallies(T0 - HOUR, T0 + 10 * HOUR, []);
    expect(tallies.reduce((n, t) => n + t.offers, 0)).toBe(2);
    expect(await store.loadHistory('c1', 0, true)).toHaveLength(5 + 2);
    // Batches: the limit is the most one call removes, oldest first.
    expect(await store.sweepDecisions(T0 + 10 * HOUR, 1)).toEqual({ decisions: 1, outcomes: 0, outbound: 0 });
    expect(await store.getDecision('d3')).toBeUndefined();
    expect(await store.getDecision('d4')).toBeDefined();
  });

  it('keeps a decision whose outbound message is still to be delivered', async () => {
    const store = get();
    const message = (id: string) => ({
      decisionId: id,
      customerId: 'c1',
      channel: 'sms',
      trigger: { id: 'alerts', eventSeq: 1, eventType: 'alert', eventAt: T0 },
      actions: [
        { actionId: 'A1', name: 'A1', issue: 'Sales', group: 'A1', rank: 1, treatment: { title: 'A1' } },
      ],
      createdAt: T0,
    });
    await store.commitDecision({ decision: record('m1', 'c1'), contacts: [], outbound: message('m1') });
    await store.commitDecision({ decision: record('m2', 'c1'), contacts: [], outbound: message('m2') });
    const [claimed] = await store.claimOutbound({
      channels: ['sms'],
      limit: 1,
      leaseMs: 1000,
      now: T0,
      maxAttempts: 2,
    });
    expect(await store.ackOutbound(claimed!.id, claimed!.claimToken, T0 + 1)).toBe('ok');
    expect(await store.sweepDecisions(T0 + HOUR, 10)).toEqual({ decisions: 1, outcomes: 0, outbound: 1 });
    const kept = claimed!.decisionId === 'm1' ? 'm2' : 'm1';
    expect(await store.getDecision(kept)).toBeDefined();
    expect(await store.outboundCounts()).toEqual([{ channel: 'sms', status: 'pending', count: 1 }]);
  });

  it('stores no outcome for a swept decision, also when both happen at the same time', async () => {
    const store = get();
    const n = 40;
    for (let i = 0; i < n; i++) await store.commitDecision({ decision: record(`s${i}`, 'c1'), contacts: [] });
    await store.sweepDecisions(T0 + 1, 1);
    const gone = await outcome('s0', T0 + 2).catch((e: unknown) => e);
    expect((gone as { code?: string }).code).toBe(DECISION_GONE);
    // Outcomes (impressions: they teach nothing, so they never hold a decision back) race sweeps of a few
    // decisions each: every outcome either stays with its decision or is refused.
    const results = await Promise.all([
      ...Array.from({ length: n - 1 }, (_, i) =>
        outcome(`s${i + 1}`, T0 + 2, 'impression').then(
          () => 'stored',
          (e: { code?: string }) => (e.code === DECISION_GONE ? 'gone' : Promise.reject(e)),
        ),
      ),
      ...Array.from({ length: 8 }, () => store.sweepDecisions(T0 + 1, 3)),
    ]);
    for (let i = 1; i < n; i++) {
      const kept = (await store.getDecision(`s${i}`)) !== undefined;
      const outcomes = await store.outcomesForDecision(`s${i}`);
      if (!kept) expect(outcomes, `s${i}`).toEqual([]);
      if (results[i - 1] === 'stored' && kept) expect(outcomes, `s${i}`).toHaveLength(1);
      if (results[i - 1] === 'gone') expect(kept, `s${i}`).toBe(false);
    }
  });
}
