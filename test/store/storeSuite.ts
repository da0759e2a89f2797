// One behavioural suite every store adapter passes (after Kysely's every-test-on-every-dialect).
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { InteractionRecord } from '../../src/core/types.ts';
import { kpiCounts, rewardOfFlags } from '../../src/measure/answers.ts';
import type { DecisionRecord, OutboundMessage, Store } from '../../src/store/store.ts';
import { limitsAndQueueSuite } from './suites/limitsAndQueue.ts';
import { retentionSuite } from './suites/retention.ts';

/** Commits a decision without reservations (the suite's shorthand). */
export function saveDecision(
  store: Store,
  decision: DecisionRecord,
  contacts: readonly InteractionRecord[],
  outbound?: OutboundMessage,
  settlesJob?: number,
) {
  return store.commitDecision({ decision, contacts, outbound, settlesJob });
}

const T0 = Date.parse('2026-06-15T12:00:00Z');

export function decisionRecord(
  id: string,
  customerId: string | null,
  extra: Partial<DecisionRecord> = {},
): DecisionRecord {
  return {
    id,
    customerId,
    channel: 'web',
    context: { intent: 'browse' },
    at: T0,
    catalogVersion: 1,
    modelVersion: 'm#0',
    arm: 'adaptive',
    features: { 'customer.age': 40 },
    candidates: [],
    dropped: [],
    chosen: [
      {
        actionId: 'A1',
        issue: 'Sales',
        group: 'Cards',
        rank: 1,
        probability: 0.95,
        propensity: 0.1,
        priority: 1,
        treatment: { title: 'A1' },
      },
    ],
    ...extra,
  };
}

/** A contact line of action A1 on the web (the suites' shorthand). */
export const contact = (_customerId: string, at: number): InteractionRecord => ({
  kind: 'contact',
  actionId: 'A1',
  issue: 'Sales',
  group: 'Cards',
  channel: 'web',
  at,
});

export function storeSuite(make: () => Promise<Store>) {
  let store: Store;
  beforeEach(async () => {
    store = await make();
    await store.init();
  });
  afterEach(async () => {
    await store.close();
  });
  limitsAndQueueSuite(() => store, decisionRecord);
  retentionSuite(() => store, decisionRecord);

  it('answers the health probe and keeps degraded periods for the KPIs', async () => {
    await store.probe();
    await store.recordDegradedPeriod({ from: T0, to: T0 + 5000, reason: 'disk full' });
    await store.recordDegradedPeriod({ from: T0 + 60_000, to: T0 + 61_000, reason: 'database unreachable' });
    expect(await store.degradedPeriods(T0 + 1000, T0 + 2000)).toEqual([
      { from: T0, to: T0 + 5000, reason: 'disk full' },
    ]);
    expect((await store.degradedPeriods(T0 - 1, T0 + 120_000)).map((p) => p.reason)).toEqual([
      'disk full',
      'database unreachable',
    ]);
    expect(await store.degradedPeriods(T0 + 5000, T0 + 60_000)).toEqual([]);
  });

  it('creates, replaces and reads customers', async () => {
    const first = await store.putCustomer('c1', { age: 40 }, T0);
    expect(first.created).toBe(true);
    const second = await store.putCustomer('c1', { age: 41, segment: 'gold' }, T0 + 1000);
    expect(second.created).toBe(false);
    expect(await store.getCustomer('c1')).toEqual({
      id: 'c1',
      attributes: { age: 41, segment: 'gold' },
      createdAt: T0,
      updatedAt: T0 + 1000,
    });
    expect(await store.getCustomer('nobody')).toBeUndefined();
    expect(await store.countCustomers()).toBe(1);
  });

  it('keeps catalog versions and activates the newest', async () => {
    const v1 = await store.addCatalog('a: 1', 'h1', T0);
    const v2 = await store.addCatalog('a: 2', 'h2', T0 + 1);
    expect(v2.version).toBeGreaterThan(v1.version);
    expect((await store.activeCatalog())?.source).toBe('a: 2');
    expect((await store.getCatalog(v1.version))?.source).toBe('a: 1');
    expect((await store.listCatalogs()).map((c) => c.active)).toEqual([false, true]);
    // The active content again (a second process starting with it) keeps the active version.
    const [x, y] = await Promise.all([
      store.addCatalog('a: 3', 'h3', T0 + 2),
      store.addCatalog('a: 3', 'h3', T0 + 3),
    ]);
    expect(x.version).toBe(y.version);
    expect(await store.listCatalogs()).toHaveLength(3);
  });

  it('stores a catalog version or an erasure together with its audit entry, or neither', async () => {
    const entry = (target: string) => ({
      at: T0,
      keyId: 'k1',
      requestId: 'r1',
      action: 'test.change',
      target,
      summary: 'why',
    });
    // An entry the database refuses (no action) takes the change down with it.
    const broken = { ...entry('x'), action: null as unknown as string };
    await expect(store.addCatalog('a: 9', 'h9', T0, () => broken)).rejects.toThrow();
    expect(await store.listCatalogs()).toHaveLength(0);
    const v1 = await store.addCatalog('a: 1', 'h1', T0, (s) => entry(`catalog v${s.version}`));
    // The same content again stores no version and so no entry.
    await store.addCatalog('a: 1', 'h1', T0, () => entry('again'));
    await store.putCustomer('C1', {}, T0);
    await expect(store.deleteCustomer('C1', () => broken)).rejects.toThrow();
    expect(await store.getCustomer('C1')).toBeDefined();
    const report = await store.deleteCustomer('C1', (r) => entry(`customer C1 ${r.customer}`));
    expect(report.customer).toBe(true);
    const trail = await store.auditLog({ limit: 10, action: 'test.change' });
    expect(trail.map((e) => e.target)).toEqual(['customer C1 true', `catalog v${v1.version}`]);
  });

  it('logs decisions with contacts and budget counts', async () => {
    await saveDecision(store, decisionRecord('d1', 'c1'), [contact('c1', T0)]);
    await saveDecision(store, decisionRecord('d2', 'c1', { at: T0 + 86_400_000 }), [
      contact('c1', T0 + 86_400_000),
    ]);
    expect(await store.getDecision('d1')).toEqual(decisionRecord('d1', 'c1'));
    const history = await store.loadHistory('c1', T0 - 1, false);
    expect(history).toHaveLength(2);
    const day = Math.floor((T0 + 86_400_000) / 86_400_000);
    expect((await store.budgetUsage(['A1', 'B1'], day)).get('A1')).toEqual({ today: 1, total: 2 });
    expect((await store.budgetUsage(['A1', 'B1'], day)).get('B1')).toEqual({ today: 0, total: 0 });
  });

  it('records outcomes idempotently and in the history', async () => {
    await saveDecision(store, decisionRecord('d1', 'c1'), [contact('c1', T0)]);
    const outcome = {
      decisionId: 'd1',
      actionId: 'A1',
      outcome: 'accept' as const,
      value: 12.5,
      at: T0 + 5,
      customerId: 'c1',
      teaches: true,
      interaction: { ...contact('c1', T0 + 5), kind: 'accept' as const },
    };
    const first = await store.recordOutcome(outcome);
    const again = await store.recordOutcome({ ...outcome, at: T0 + 99, value: 1 });
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.record).toEqual(first.record);
    expect(await store.outcomesForDecision('d1')).toEqual([first.record]);
    const history = await store.loadHistory('c1', T0 - 1, false);
    expect(history.filter((h) => h.kind === 'accept')).toHaveLength(1);
    const learned = await store.learnedOutcomesAfter(0, 10);
    expect(learned).toHaveLength(1);
    expect(learned[0]?.features).toEqual({ 'customer.age': 40 });
  });

  it('lets only the first decisive outcome of a decision and action teach the model', async () => {
    await saveDecision(store, decisionRecord('d1', 'c1'), []);
    const base = { decisionId: 'd1', actionId: 'A1', at: T0, customerId: 'c1' };
    const [impression, click, accept] = await Promise.all([
      store.recordOutcome({ ...base, outcome: 'impression', teaches: false }),
      store.recordOutcome({ ...base, outcome: 'click', teaches: true }),
      store.recordOutcome({ ...base, outcome: 'accept', teaches: true }),
    ]);
    // Sent at the same time, exactly one of the two teaches (which one depends on the order of arrival).
    expect(impression.record.learned).toBe(false);
    expect([click.record.learned, accept.record.learned].filter(Boolean)).toHaveLength(1);
    const teacher = click.record.learned ? 'click' : 'accept';
    expect((await store.learnedOutcomesAfter(0, 10)).map((o) => o.outcome)).toEqual([teacher]);
    // A later decisive outcome does not teach again.
    const reject = await store.recordOutcome({ ...base, outcome: 'reject', teaches: true });
    expect(reject.record.learned).toBe(false);
  });

  it('commits concurrent writes together without losing any', async () => {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        saveDecision(store, decisionRecord(`d${i}`, `c${i % 5}`), [contact('c', T0)]),
      ),
    );
    for (let i = 0; i < 50; i++) expect(await store.getDecision(`d${i}`)).toBeDefined();
    expect(await store.loadHistory('c3', 0, false)).toHaveLength(10);
  });

  it('a failing write does not undo the others in its batch', async () => {
    const results = await Promise.allSettled([
      saveDecision(store, decisionRecord('same', 'c1'), []),
      saveDecision(store, decisionRecord('same', 'c1'), []),
      saveDecision(store, decisionRecord('other', 'c1'), []),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.getDecision('other')).toBeDefined();
  });

  it('lets a late positive replace what an expired response window taught', async () => {
    await saveDecision(store, decisionRecord('d1', 'c1'), []);
    const base = { decisionId: 'd1', actionId: 'A1', at: T0, customerId: 'c1', teaches: true };
    const expired = await store.recordOutcome({ ...base, outcome: 'expired' });
    expect(expired.record.learned).toBe(true);
    const reject = await store.recordOutcome({ ...base, outcome: 'reject' });
    expect(reject.record.learned).toBe(false);
    const accept = await store.recordOutcome({ ...base, outcome: 'accept', positive: true });
    expect(accept.record).toMatchObject({ learned: true, corrects: expired.record.seq });
    expect((await store.learnedOutcomesAfter(0, 10)).map((o) => o.outcome)).toEqual(['accept']);
    expect((await store.learnedOutcomesAfter(0, 10))[0]).toMatchObject({
      correctsFolded: false,
      foldedIn: 0,
    });
    // Once a fold has taught an expiry to the stored models, the models' history keeps it (no longer learned)
    // and the late positive says it takes back a folded expiry: a replay then learns what the models did.
    await saveDecision(store, decisionRecord('d2', 'c1'), []);
    const late = { ...base, decisionId: 'd2' };
    const expiry = await store.recordOutcome({ ...late, outcome: 'expired' });
    const fold = await store.foldModels({
      since: 0,
      replayAll: false,
      pending: [],
      quick: () => [],
      replay: () => [],
    });
    expect(fold.folded).toEqual(expect.arrayContaining([expiry.record.seq]));
    await store.recordOutcome({ ...late, outcome: 'accept', positive: true });
    const history = (await store.learnedOutcomesAfter(0, 10)).filter((o) => o.decisionId === 'd2');
    expect(history.map((o) => [o.outcome, o.learned, o.correctsFolded, o.foldedIn > 0])).toEqual([
      ['expired', false, false, true],
      ['accept', true, true, false],
    ]);
  });

  it('lists chosen actions still waiting for a response', async () => {
    await saveDecision(store, decisionRecord('old', 'c1', { at: T0 - 10 }), []);
    await saveDecision(store, decisionRecord('d1', 'c1'), []);
    await saveDecision(store, decisionRecord('d2', 'c1', { at: T0 + 5 }), []);
    await store.recordOutcome({
      decisionId: 'd2',
      actionId: 'A1',
      outcome: 'click',
      at: T0,
      customerId: 'c1',
      teaches: true,
    });
    expect(await store.openChoices(T0 - 1, T0 + 10, 10)).toEqual([
      { decisionId: 'd1', actionId: 'A1', customerId: 'c1', at: T0 },
    ]);
  });

  it('loads old acceptances when asked for them', async () => {
    await saveDecision(store, decisionRecord('d1', 'c1'), []);
    await store.recordOutcome({
      decisionId: 'd1',
      actionId: 'A1',
      outcome: 'accept',
      at: T0,
      customerId: 'c1',
      teaches: true,
      interaction: { ...contact('c1', T0), kind: 'accept' },
    });
    expect(await store.loadHistory('c1', T0 + 1000, false)).toHaveLength(0);
    expect(await store.loadHistory('c1', T0 + 1000, true)).toHaveLength(1);
  });

  it('erases a customer with decisions, outcomes and history, and nothing else', async () => {
    await store.putCustomer('c1', { age: 1 }, T0);
    await store.putCustomer('c2', { age: 2 }, T0);
    await saveDecision(store, decisionRecord('d1', 'c1'), [contact('c1', T0)]);
    await saveDecision(store, decisionRecord('d2', 'c2'), [contact('c2', T0)]);
    for (const [d, c] of [
      ['d1', 'c1'],
      ['d2', 'c2'],
    ] as const) {
      await store.recordOutcome({
        decisionId: d,
        actionId: 'A1',
        outcome: 'reject',
        at: T0,
        customerId: c,
        teaches: true,
      });
    }
    await store.appendEvents(
      [
        { customerId: 'c1', type: 'call', at: T0, payload: {} },
        { customerId: 'c2', type: 'call', at: T0, payload: {} },
      ],
      T0,
      (state) => {
        state.calls = { kind: 'total', total: 1 };
        return undefined;
      },
    );
    expect(await store.deleteCustomer('c1')).toEqual({
      customer: true,
      decisions: 1,
      outcomes: 1,
      interactions: 1,
      events: 1,
    });
    expect(await store.featureState('c1')).toEqual({});
    expect(await store.featureState('c2')).toEqual({ calls: { kind: 'total', total: 1 } });
    expect(await store.getCustomer('c1')).toBeUndefined();
    expect(await store.getDecision('d1')).toBeUndefined();
    expect(await store.outcomesForDecision('d1')).toEqual([]);
    expect(await store.loadHistory('c1', 0, true)).toEqual([]);
    expect(await store.getDecision('d2')).toBeDefined();
    expect(await store.outcomesForDecision('d2')).toHaveLength(1);
    expect(await store.deleteCustomer('c1')).toEqual({
      customer: false,
      decisions: 0,
      outcomes: 0,
      interactions: 0,
      events: 0,
    });
  });

  it("keeps trigger jobs from the events' transaction until a decision or a finish settles them", async () => {
    const { seqs, jobs } = await store.appendEvents(
      [
        { customerId: 'c1', type: 'alert', at: T0, channel: 'iot', payload: { level: 3 } },
        { customerId: 'c2', type: 'call', at: T0, payload: {} },
        { customerId: 'c3', type: 'alert', at: T0, payload: { level: 1 } },
      ],
      T0,
      (_state, event) =>
        event.type === 'alert' ? [{ trigger: 'alerts', features: { level: 1 } }] : undefined,
    );
    expect(jobs.map((j) => [j.eventSeq, j.customerId, j.trigger])).toEqual([
      [seqs[0], 'c1', 'alerts'],
      [seqs[2], 'c3', 'alerts'],
    ]);
    expect(await store.claimTriggerJobs({ createdBefore: T0, limit: 10, now: T0, leaseMs: 0 })).toEqual([]);
    const open = await store.claimTriggerJobs({ createdBefore: T0 + 1, limit: 10, now: T0, leaseMs: 0 });
    expect(open).toEqual(jobs);
    expect(open[0]!.event).toEqual({ type: 'alert', at: T0, channel: 'iot', payload: { level: 3 } });
    await saveDecision(store, decisionRecord('d1', 'c1'), [], undefined, jobs[0]!.id);
    expect(
      (await store.claimTriggerJobs({ createdBefore: T0 + 1, limit: 10, now: T0, leaseMs: 0 })).map(
        (j) => j.customerId,
      ),
    ).toEqual(['c3']);
    await store.deleteCustomer('c3');
    expect(await store.claimTriggerJobs({ createdBefore: T0 + 1, limit: 10, now: T0, leaseMs: 0 })).toEqual(
      [],
    );
    const again = await store.appendEvents(
      [{ customerId: 'c4', type: 'alert', at: T0, payload: {} }],
      T0,
      () => [{ trigger: 'alerts', features: {} }],
    );
    await store.finishTriggerJobs([again.jobs[0]!.id]);
    expect(await store.claimTriggerJobs({ createdBefore: T0 + 1, limit: 10, now: T0, leaseMs: 0 })).toEqual(
      [],
    );
  });

  it('lets one claimant at a time hold a trigger job until its lease ends', async () => {
    const { jobs } = await store.appendEvents(
      [1, 2, 3].map((i) => ({ customerId: `c${i}`, type: 'alert', at: T0, payload: {} })),
      T0,
      () => [{ trigger: 'alerts', features: {} }],
    );
    const claim = (now: number, limit = 10) =>
      store.claimTriggerJobs({ createdBefore: T0 + 1, limit, now, leaseMs: 1000 });
    const [first, second] = await Promise.all([claim(T0 + 5, 2), claim(T0 + 5, 2)]);
    expect([...first!, ...second!].map((j) => j.id).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(await claim(T0 + 999)).toEqual([]);
    // A lease that ran out (the claimant stopped) lets the next one take the job.
    expect((await claim(T0 + 1005)).map((j) => j.id)).toEqual(jobs.map((j) => j.id));
  });

  it('folds learned outcomes into the stored models once, with a generation per fold', async () => {
    expect(await store.loadModels()).toEqual({ models: [], generation: 0, maxSeq: 0 });
    await saveDecision(store, decisionRecord('d1', 'c1'), []);
    await saveDecision(store, decisionRecord('d2', 'c2'), []);
    const base = { actionId: 'A1', at: T0, teaches: true };
    const a = await store.recordOutcome({ ...base, decisionId: 'd1', customerId: 'c1', outcome: 'accept' });
    const b = await store.recordOutcome({ ...base, decisionId: 'd2', customerId: 'c2', outcome: 'reject' });
    const seqs = [a.record.seq, b.record.seq];
    const state = (positives: number) => [{ key: 'A1', state: { kind: 'betaBinomial', positives } }];
    // The quick path sees the unfolded outcomes' numbers and writes what it returns.
    let seen: readonly number[] = [];
    const first = await store.foldModels({
      since: 0,
      replayAll: false,
      pending: [a.record.seq],
      quick: ({ changed, unfolded }) => {
        expect(changed).toEqual([]);
        seen = unfolded;
        return state(1);
      },
      replay: () => {
        throw new Error('not needed');
      },
    });
    expect(seen).toEqual(seqs);
    expect(first).toEqual({ generation: 1, folded: seqs, maxSeq: b.record.seq, unsettled: [] });
    expect(await store.loadModels()).toEqual({ models: state(1), generation: 1, maxSeq: b.record.seq });
    // A fold from an older generation sees what was written since; nothing is left to fold.
    const second = await store.foldModels({
      since: 0,
      replayAll: false,
      pending: [],
      quick: ({ changed, unfolded }) => {
        expect(changed).toEqual(state(1));
        expect(unfolded).toEqual([]);
        return [];
      },
      replay: () => [],
    });
    expect(second).toEqual({ generation: 1, folded: [], maxSeq: b.record.seq, unsettled: [] });
    // A late positive after a folded expiry is replayed with that expiry to take back; replayAll passes
    // folded outcomes too, flagged, in the order the folds taught them: the folded expiry among them (the
    // stored models learned it before the positive took it back).
    await saveDecision(store, decisionRecord('d3', 'c3'), []);
    const expired = await store.recordOutcome({
      ...base,
      decisionId: 'd3',
      customerId: 'c3',
      outcome: 'expired',
    });
    await store.foldModels({
      since: 1,
      replayAll: false,
      pending: [],
      quick: () => state(2),
      replay: () => [],
    });
    const late = await store.recordOutcome({
      ...base,
      decisionId: 'd3',
      customerId: 'c3',
      outcome: 'accept',
      positive: true,
    });
    const replayed: Array<Record<string, unknown>> = [];
    // A pending outcome that is still unfolded is reported as such (an expiry a late positive replaced is not).
    await saveDecision(store, decisionRecord('d4', 'c4'), []);
    const open = await store.recordOutcome({
      ...base,
      decisionId: 'd4',
      customerId: 'c4',
      outcome: 'reject',
    });
    const third = await store.foldModels({
      since: 2,
      replayAll: true,
      pending: [expired.record.seq, late.record.seq, open.record.seq],
      quick: () => undefined,
      replay: ({ outcomes }) => {
        for (const o of outcomes)
          replayed.push({
            seq: o.seq,
            folded: o.foldedIn > 0,
            correctsFolded: o.correctsFolded,
            features: o.features,
          });
        return state(3);
      },
    });
    const features = { 'customer.age': 40 };
    expect(replayed).toEqual([
      { seq: a.record.seq, folded: true, correctsFolded: false, features },
      { seq: b.record.seq, folded: true, correctsFolded: false, features },
      { seq: expired.record.seq, folded: true, correctsFolded: false, features },
      { seq: late.record.seq, folded: false, correctsFolded: true, features },
      { seq: open.record.seq, folded: false, correctsFolded: false, features },
    ]);
    expect(late.record.corrects).toBe(expired.record.seq);
    expect(third).toEqual({
      generation: 3,
      folded: [late.record.seq, open.record.seq],
      maxSeq: open.record.seq,
      unsettled: [],
    });
  });

  it('keeps settings', async () => {
    expect(await store.getSetting('x')).toBeUndefined();
    await store.setSetting('x', '1');
    await store.setSetting('x', '2');
    expect(await store.getSetting('x')).toBe('2');
    // Set once: of simultaneous writers one wins, and every one of them is told which value that is.
    const once = await Promise.all(['a', 'b', 'c'].map((v) => store.setSettingOnce('once', v)));
    expect(new Set(once).size).toBe(1);
    expect(await store.getSetting('once')).toBe(once[0]);
    expect(await store.setSettingOnce('x', 'other')).toBe('2');
  });

  it('changes managed keys with their audit entry, all or nothing', async () => {
    const key = (id: string, scopes: string[]) => ({
      id,
      digest: id.padEnd(64, '0'),
      label: `key ${id}`,
      scopes,
      createdAt: 1000,
      expiresAt: null,
      revokedAt: null,
      replacedBy: null,
      origins: scopes.includes('publishable') ? ['https://shop.example.com', 'https://m.example.com'] : null,
      channels: scopes.includes('publishable') ? ['web'] : null,
    });
    const audit = (target: string) => ({
      at: 1000,
      keyId: null,
      requestId: 'suite',
      action: 'key.test',
      target,
      summary: '',
    });
    const auditCount = async () => (await store.auditLog({ limit: 100, action: 'key.test' })).length;
    expect(await store.changeApiKeys({ insert: key('a1', ['admin']), audit: audit('a1') }, 1000)).toBe('ok');
    expect(await store.changeApiKeys({ insert: key('d1', ['decide']), audit: audit('d1') }, 1000)).toBe('ok');
    expect(await store.changeApiKeys({ insert: key('p1', ['publishable']), audit: audit('p1') }, 1000)).toBe(
      'ok',
    );
    expect((await store.apiKeys()).find((k) => k.id === 'p1')).toEqual(key('p1', ['publishable']));
    expect((await store.apiKeys()).find((k) => k.id === 'd1')).toEqual(key('d1', ['decide']));
    expect(await store.changeApiKeys({ insert: key('a1', ['read']), audit: audit('again') }, 1000)).toBe(
      'exists',
    );
    // The last working admin key stays, when asked to.
    expect(
      await store.changeApiKeys(
        { revoke: { id: 'a1', at: 2000, keepAnAdmin: true }, audit: audit('a1 last') },
        2000,
      ),
    ).toBe('last admin');
    // A rotation: the successor and the old key's end (a grace period) in one change.
    expect(
      await store.changeApiKeys(
        {
          insert: key('d2', ['decide']),
          revoke: { id: 'd1', at: 5000, replacedBy: 'd2' },
          audit: audit('d1'),
        },
        2000,
      ),
    ).toBe('ok');
    // Rotated once, never again; revoking it during its grace period brings its end forward, never later.
    expect(
      await store.changeApiKeys(
        {
          insert: key('d3', ['decide']),
          revoke: { id: 'd1', at: 9000, replacedBy: 'd3' },
          audit: audit('x'),
        },
        2500,
      ),
    ).toBe('not found');
    expect(await store.changeApiKeys({ revoke: { id: 'd1', at: 3000 }, audit: audit('d1 now') }, 3000)).toBe(
      'ok',
    );
    expect(
      await store.changeApiKeys({ revoke: { id: 'd1', at: 4000 }, audit: audit('d1 again') }, 4000),
    ).toBe('not found');
    expect(await store.changeApiKeys({ revoke: { id: 'zz', at: 4000 }, audit: audit('zz') }, 4000)).toBe(
      'not found',
    );
    const keys = await store.apiKeys();
    expect(keys.map((k) => [k.id, k.revokedAt, k.replacedBy])).toEqual([
      ['a1', null, null],
      ['d1', 3000, 'd2'],
      ['d2', null, null],
      ['p1', null, null],
    ]);
    expect(keys[0]!.scopes).toEqual(['admin']);
    // Only the changes that were made are in the audit trail.
    expect(await auditCount()).toBe(5);
  });

  it('aggregates KPIs per arm and day from choices and outcomes (hand-computed fixture)', async () => {
    const choice = (actionId: string) => ({
      actionId,
      issue: 'Sales',
      group: actionId === 'B1' ? 'Loans' : 'Cards',
      rank: 1,
      probability: 0.5,
      propensity: 0.2,
      priority: 1,
      treatment: { title: actionId },
    });
    const candidates = [
      {
        actionId: 'A1',
        issue: 'Sales',
        group: 'Cards',
        propensity: 0.2,
        value: 10,
        contextWeight: 1,
        lever: 1,
        priority: 2,
        logitSd: 0,
        evidence: 0,
      },
      {
        actionId: 'B1',
        issue: 'Sales',
        group: 'Loans',
        propensity: 0.2,
        value: 4,
        contextWeight: 1,
        lever: 1,
        priority: 0.8,
        logitSd: 0,
        evidence: 0,
      },
    ];
    const day2 = T0 + 86_400_000;
    // Adaptive: d1 offers A1 + B1 (A1 accepted, no value reported → 10; B1 rejected), d2 offers A1 (converted, 25).
    // Control: d3 offers B1 (impression only), d4 offers A1 on day 2 (expired).
    await saveDecision(
      store,
      decisionRecord('d1', 'c1', { candidates, chosen: [choice('A1'), choice('B1')] }),
      [],
    );
    await saveDecision(store, decisionRecord('d2', 'c2', { candidates, chosen: [choice('A1')] }), []);
    await saveDecision(
      store,
      decisionRecord('d3', 'c3', { candidates, arm: 'control', chosen: [choice('B1')] }),
      [],
    );
    await saveDecision(
      store,
      decisionRecord('d4', 'c4', { candidates, arm: 'control', at: day2, chosen: [choice('A1')] }),
      [],
    );
    const out = (
      decisionId: string,
      actionId: string,
      outcome: 'accept' | 'reject' | 'convert' | 'impression' | 'expired',
      value?: number,
    ) =>
      store.recordOutcome({
        decisionId,
        actionId,
        outcome,
        value,
        at: T0 + 10,
        customerId: null,
        teaches: false,
      });
    await out('d1', 'A1', 'impression');
    await out('d1', 'A1', 'accept');
    await out('d1', 'B1', 'reject');
    await out('d2', 'A1', 'convert', 25);
    await out('d3', 'B1', 'impression');
    await out('d4', 'A1', 'expired');

    const byArm = await kpiCounts(store, T0 - 1, T0 + 10 * 86_400_000, ['arm']);
    expect(byArm).toEqual([
      {
        key: { arm: 'adaptive' },
        decisions: 2,
        offers: 3,
        impressions: 1,
        clicks: 0,
        accepts: 2,
        conversions: 1,
        rejects: 1,
        expired: 0,
        value: 35,
      },
      {
        key: { arm: 'control' },
        decisions: 2,
        offers: 2,
        impressions: 1,
        clicks: 0,
        accepts: 0,
        conversions: 0,
        rejects: 0,
        expired: 1,
        value: 0,
      },
    ]);
    const byActionDay = await kpiCounts(store, T0 - 1, T0 + 10 * 86_400_000, ['action', 'day']);
    expect(byActionDay.map((r) => [r.key.action, r.key.day, r.offers, r.accepts])).toEqual([
      ['A1', '2026-06-15', 2, 2],
      ['A1', '2026-06-16', 1, 0],
      ['B1', '2026-06-15', 2, 0],
    ]);
    // The time range is half-open and filters by decision time.
    expect((await kpiCounts(store, T0 - 1, day2, [])).map((r) => r.offers)).toEqual([4]);
    // The choice log gives rewards per the positive outcome types, oldest first.
    const log = await store.choiceLog({
      from: T0 - 1,
      to: day2 + 1,
      limit: 10,
    });
    const positive = ['accept', 'convert'];
    expect(log.map((r) => [r.decisionId, r.actionId, rewardOfFlags(r.flags, positive), r.arm])).toEqual([
      ['d1', 'A1', 1, 'adaptive'],
      ['d1', 'B1', 0, 'adaptive'],
      ['d2', 'A1', 1, 'adaptive'],
      ['d3', 'B1', null, 'control'],
      ['d4', 'A1', 0, 'control'],
    ]);
    const page = await store.choiceLog({
      from: T0 - 1,
      to: day2 + 1,
      limit: 2,
      after: log[1]!,
    });
    expect(page.map((r) => r.decisionId)).toEqual(['d2', 'd3']);
    // Erasure removes the customer's choices from the KPIs too.
    await store.deleteCustomer('c1');
    expect((await kpiCounts(store, T0 - 1, day2 + 1, [])).map((r) => r.offers)).toEqual([3]);
  });
}
