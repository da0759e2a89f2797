// The compact decision payload: what is written reads back as the same record, in much less space.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { priorityOf } from '../../src/core/arbitration.ts';
import { mulberry32 } from '../../src/core/random.ts';
import type { DroppedCandidate, ScoredCandidate } from '../../src/core/types.ts';
import { type DecisionPayload, decodePayload, encodePayload } from '../../src/store/decisionPayload.ts';

function payload(n: number, seed = 1): DecisionPayload {
  const rnd = mulberry32(seed);
  const candidates: ScoredCandidate[] = Array.from({ length: n }, (_, i) => {
    const c: ScoredCandidate = {
      actionId: `Action${i}`,
      issue: ['Sales', 'Service', 'Retention'][i % 3]!,
      group: `Group${Math.floor(i / 4)}`,
      propensity: rnd(),
      value: Math.round(rnd() * 1000) / 10,
      contextWeight: i % 7 === 0 ? 3 : 1,
      lever: 1 + (i % 5) / 10,
      priority: 0,
      logitSd: rnd() * 0.5,
      evidence: Math.floor(rnd() * 500),
    };
    c.priority = priorityOf(c);
    return c;
  });
  const dropped: DroppedCandidate[] = Array.from({ length: n / 2 }, (_, i) => ({
    actionId: `Dropped${i}`,
    stage: i % 2 === 0 ? 'eligibility' : 'contactPolicy',
    reason:
      i % 2 === 0
        ? { code: 'ruleFalse', rule: 'customer.age >= 18' }
        : { code: 'dailyBudget', max: 10 + (i % 3) },
  }));
  return {
    context: { intent: 'cancel' },
    features: { calls7d: 3, lastEvent: 'outage' },
    candidates,
    dropped,
    chosen: [
      {
        actionId: 'Action3',
        issue: 'Sales',
        group: 'Group0',
        rank: 1,
        probability: 0.9523809523809523,
        propensity: candidates[3]!.propensity,
        priority: candidates[3]!.priority,
        treatment: { title: 'Offer, with a comma', link: '/x' },
      },
    ],
    trigger: { id: 'outage', eventSeq: 4, eventType: 'alert', eventAt: 1_700_000_000_000 },
  };
}

describe('decision payload', () => {
  it('reads back exactly what was written, priorities recomputed bit for bit', () => {
    for (const seed of [1, 2, 3]) {
      const p = payload(100, seed);
      expect(decodePayload(encodePayload(p))).toEqual(p);
    }
  });

  it('keeps a priority that is not the product (a record not made by arbitration)', () => {
    const p = payload(4);
    p.candidates[2]!.priority = 42;
    expect(decodePayload(encodePayload(p)).candidates.map((c) => c.priority)).toEqual(
      p.candidates.map((c) => c.priority),
    );
  });

  it('reads the payloads of earlier versions, their reasons (English sentences) as text reasons', () => {
    const p = payload(10);
    expect(decodePayload(JSON.stringify(p))).toEqual(p);
    const sentence = 'rule is false: customer.age >= 18';
    const asText = { code: 'text', text: sentence };
    const v1 = { ...p, dropped: [{ actionId: 'D', stage: 'eligibility', reason: sentence }] };
    expect(decodePayload(JSON.stringify(v1)).dropped).toEqual([{ ...v1.dropped[0], reason: asText }]);
    // Version 2: the same columns, the distinct reasons as sentences.
    const v2 = JSON.parse(encodePayload({ ...p, dropped: [] }));
    v2.v = 2;
    v2.x = { a: ['D', 'E'], n: ['eligibility', sentence], s: 0, r: 1 };
    expect(decodePayload(JSON.stringify(v2)).dropped).toEqual([
      { actionId: 'D', stage: 'eligibility', reason: asText },
      { actionId: 'E', stage: 'eligibility', reason: asText },
    ]);
  });

  it('handles a decision without candidates or dropped actions', () => {
    const p = { ...payload(4), candidates: [], dropped: [] };
    expect(decodePayload(encodePayload(p))).toEqual(p);
  });

  it('writes the bytes of format version 3 (a pinned digest: stored payloads must not change by accident)', () => {
    const digest = createHash('sha256')
      .update(encodePayload(payload(40, 7)))
      .digest('hex');
    expect(digest).toBe('31eebba87b04fe2e4e9aa5149b6136bd13fef188801f4438de35db5586915190');
  });

  it('is at most a third of the plain JSON for 100 candidates', () => {
    const p = payload(100);
    const compact = encodePayload(p).length;
    const plain = JSON.stringify(p).length;
    expect(compact * 3).toBeLessThan(plain);
  });
});
