import { describe, expect, it } from 'vitest';
import { recentReading, timeBudget } from '../../src/core/limits.ts';

describe('a decision time budget', () => {
  it('is over only when both the wall clock and the CPU clock passed the limit', () => {
    let wall = 1000;
    let cpu = 200;
    const over = timeBudget(
      50,
      () => wall,
      () => cpu,
    );
    expect(over()).toBe(false);
    // Descheduled: time passes, the process does not run; the answer must not lose its candidates.
    wall += 500;
    expect(over()).toBe(false);
    cpu += 40;
    expect(over()).toBe(false);
    // Spent: 51 ms of its own CPU on rules and scoring.
    cpu += 11;
    expect(over()).toBe(true);
  });

  it('reads the CPU clock only once the wall clock says the time is up', () => {
    let wall = 0;
    let reads = 0;
    const over = timeBudget(
      50,
      () => wall,
      () => {
        reads++;
        return 0;
      },
    );
    for (let i = 0; i < 100; i++) over();
    expect(reads).toBe(1);
    wall = 60;
    over();
    expect(reads).toBe(2);
  });

  it('reuses a starting reading while it is recent, so decisions close together share one CPU read', () => {
    let wall = 0;
    let reads = 0;
    const start = recentReading(
      5,
      () => wall,
      () => ++reads,
    );
    expect(start()).toBe(1);
    wall = 4;
    expect(start()).toBe(1);
    wall = 5.5;
    expect(start()).toBe(2);
    // Through the budget: the fresh clock is read only once the wall clock is past the limit.
    let fresh = 0;
    const over = timeBudget(
      50,
      () => wall,
      () => ++fresh,
      start,
    );
    expect(over()).toBe(false);
    expect([reads, fresh]).toEqual([2, 0]);
  });
});
