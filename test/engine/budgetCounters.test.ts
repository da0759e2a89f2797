// Budget counters served from memory for a short time: own commits count at once, others' within the interval.
import { describe, expect, it } from 'vitest';
import { BudgetCounters } from '../../src/engine/budgetCounters.ts';

describe('budget counters', () => {
  it('reads the store once per interval, adds own commits, and reads again when stale or asked', async () => {
    let stored = 3;
    let reads = 0;
    let now = 0;
    const counters = new BudgetCounters(
      async (ids) => {
        reads++;
        return new Map(ids.map((id) => [id, { today: stored, total: stored }]));
      },
      100,
      () => now,
    );
    expect((await counters.usage(['A'], 1)).get('A')).toEqual({ today: 3, total: 3 });
    stored = 5; // another process reserved two
    now = 50;
    counters.add(['A'], 1);
    expect((await counters.usage(['A'], 1)).get('A')).toEqual({ today: 4, total: 4 });
    expect(reads).toBe(1);
    expect((await counters.usage(['A'], 1, true)).get('A')).toEqual({ today: 5, total: 5 });
    expect(reads).toBe(2);
    now = 200; // past the interval
    stored = 6;
    expect((await counters.usage(['A'], 1)).get('A')).toEqual({ today: 6, total: 6 });
    counters.invalidate();
    stored = 7;
    expect((await counters.usage(['A'], 1)).get('A')).toEqual({ today: 7, total: 7 });
    // Another day or another set of actions is another query.
    await counters.usage(['A'], 2);
    await counters.usage(['A', 'B'], 2);
    expect(reads).toBe(6);
    expect(await counters.usage([], 2)).toEqual(new Map());
  });
});
