import { describe, expect, it } from 'vitest';
import { explainDecision } from '../../src/core/explain.ts';
import type { ScoredCandidate } from '../../src/core/types.ts';

const scored = (actionId: string, propensity: number, value: number): ScoredCandidate => ({
  actionId,
  issue: 'Sales',
  group: actionId,
  propensity,
  value,
  contextWeight: 1,
  lever: 1,
  priority: propensity * value,
  logitSd: 0,
  evidence: 40,
});

const candidates = [scored('A', 0.1, 10), scored('B', 0.4, 10), scored('C', 0.2, 10)];
const dropped = [
  {
    actionId: 'D',
    stage: 'eligibility' as const,
    reason: { code: 'ruleFalse' as const, rule: 'customer.age >= 18' },
  },
];

describe('explainDecision', () => {
  it('lists the chosen by slot, the ranked-out by priority and the dropped with their rule', () => {
    const out = explainDecision({
      arm: 'adaptive',
      candidates,
      dropped,
      chosen: [{ actionId: 'B', rank: 1, probability: 0.9 }],
      contributions: (id) => (id === 'B' ? [{ name: 'customer.age', value: 30, contribution: 1.2 }] : []),
    });
    expect(out.map((c) => [c.actionId, c.status])).toEqual([
      ['B', 'chosen'],
      ['C', 'notChosen'],
      ['A', 'notChosen'],
      ['D', 'dropped'],
    ]);
    expect(out[0]).toMatchObject({ rank: 1, priorityRank: 1, probability: 0.9, propensity: 0.4, value: 10 });
    expect(out[0]!.reason).toBe(
      '1st highest priority 4 = propensity 0.4 × value 10 × context weight 1 × lever 1',
    );
    expect(out[0]!.features).toEqual([{ name: 'customer.age', value: 30, contribution: 1.2 }]);
    expect(out[1]!.reason).toMatch(/^ranked 2nd of 3 by priority 2 /);
    expect(out[3]).toEqual({
      actionId: 'D',
      status: 'dropped',
      stage: 'eligibility',
      reason: 'dropped at eligibility: rule is false: customer.age >= 18',
      code: 'ruleFalse',
    });
    expect(out.map((c) => c.code)).toEqual(['highest', 'rankedOut', 'rankedOut', 'ruleFalse']);
  });

  it('gives every reason in German when asked, with German numbers, and the same codes', () => {
    const input = {
      arm: 'adaptive' as const,
      candidates,
      dropped,
      chosen: [{ actionId: 'B', rank: 1, probability: 0.9 }],
      contributions: () => undefined,
    };
    const de = explainDecision({ ...input, lang: 'de' });
    expect(de[0]!.reason).toBe(
      '1.-höchste Priorität 4 = Wahrscheinlichkeit 0,4 × Wert 10 × Kontextgewicht 1 × Hebel 1',
    );
    expect(de[1]!.reason).toMatch(/^2\. von 3 nach Priorität 2 /);
    expect(de[3]!.reason).toBe('entfernt bei Berechtigung: Regel ist falsch: customer.age >= 18');
    expect(de.map((c) => c.code)).toEqual(explainDecision(input).map((c) => c.code));
  });

  it('says when exploration or a measurement arm made the choice', () => {
    const explored = explainDecision({
      arm: 'adaptive',
      candidates,
      dropped: [],
      chosen: [{ actionId: 'A', rank: 1, probability: 0.05 }],
      contributions: () => undefined,
    });
    expect(explored[0]!.reason).toMatch(
      /^exploration: ranked 3rd of 3 by priority, put in slot 1 with probability 0.05/,
    );
    expect(explored[0]!.features).toBeUndefined();
    const control = explainDecision({
      arm: 'control',
      candidates,
      dropped: [],
      chosen: [{ actionId: 'C', rank: 1, probability: 1 / 3 }],
      contributions: () => undefined,
    });
    expect(control[0]!.reason).toMatch(/^control arm: drawn uniformly at random among 3 eligible actions/);
  });
});
