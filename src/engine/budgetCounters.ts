// Budget counters as decisions read them: one store query per short interval instead of one per decision.
// Every decision reads the counts of every budgeted action; on a busy node that query was a twentieth of a
// decision's cost. The counts are served from memory for up to `ttlMs` (real time), this process's own
// commits are added at once, and other processes' reservations show within `ttlMs`. This never lets a budget
// be exceeded: the commit checks the counts again inside its transaction (the authority) and refuses a slot
// taken meanwhile; the refused decision is then made again from counts read fresh.
import type { BudgetUsage } from '../core/types.ts';

export class BudgetCounters {
  private cached: { day: number; key: string; readAt: number; usage: Map<string, BudgetUsage> } | undefined;

  constructor(
    private readonly read: (ids: readonly string[], day: number) => Promise<Map<string, BudgetUsage>>,
    private readonly ttlMs = 250,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The counts of `ids` on `day`; `fresh` reads the store whatever the cache holds. */
  async usage(ids: readonly string[], day: number, fresh = false): Promise<Map<string, BudgetUsage>> {
    if (ids.length === 0) return new Map();
    const key = ids.join('\n');
    const c = this.cached;
    if (!fresh && c && c.day === day && c.key === key && this.now() - c.readAt < this.ttlMs) return c.usage;
    const readAt = this.now();
    const usage = await this.read(ids, day);
    this.cached = { day, key, readAt, usage };
    return usage;
  }

  /** This process committed one choice of each of `ids` on `day`. */
  add(ids: readonly string[], day: number): void {
    const c = this.cached;
    if (!c || c.day !== day) return;
    for (const id of ids) {
      const u = c.usage.get(id) ?? { today: 0, total: 0 };
      c.usage.set(id, { today: u.today + 1, total: u.total + 1 });
    }
  }

  /** Forgets the counts (a commit found them stale). */
  invalidate(): void {
    this.cached = undefined;
  }
}
