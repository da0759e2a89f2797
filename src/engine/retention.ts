// Retention of the decision log (`retention.decisionsDays`): decisions older than the period go with their
// choices, outcomes and outbound messages, in batches, on a timer. What they taught stays: the stored models
// (retention never removes an outcome before it is folded into them) and the interaction history that contact
// policies read. KPIs, explanations and off-policy evaluation then cover the retained period only.
import { DAY_MS } from '../core/contactPolicy.ts';
import type { RetentionSweep } from '../store/store.ts';
import type { EngineContext } from './context.ts';

export interface RetentionOptions {
  /** Decisions older than this many days (fractions allowed) are deleted. */
  decisionsDays: number;
  /** How often the sweep runs (ms, default 10 minutes; 0: only when called). */
  sweepMs?: number;
}

/** Decisions deleted per transaction: short enough that other writers wait for the lock only briefly. */
const BATCH = 2000;

export interface RetentionReport extends RetentionSweep {
  /** Decisions logged before this time (epoch ms) were eligible. */
  before: number;
}

export class Retention {
  private running: Promise<RetentionReport> | undefined;

  constructor(
    private readonly c: EngineContext,
    readonly options: RetentionOptions,
  ) {}

  /** One sweep (one at a time per process; several processes may sweep at once). */
  sweep(): Promise<RetentionReport> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<RetentionReport> {
    const before = await this.cutoff();
    const total: RetentionReport = { before, decisions: 0, outcomes: 0, outbound: 0 };
    for (;;) {
      const swept = await this.c.store.sweepDecisions(before, BATCH);
      total.decisions += swept.decisions;
      total.outcomes += swept.outcomes;
      total.outbound += swept.outbound;
      if (swept.decisions < BATCH) break;
      // Requests waiting for the event loop go first between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (total.decisions > 0)
      this.c.log(
        `retention: removed ${total.decisions} decisions logged before ${new Date(before).toISOString()} ` +
          `(${total.outcomes} outcomes, ${total.outbound} outbound messages)`,
      );
    return total;
  }

  /**
   * The period's start, but never later than what the response-window sweep has settled: a decision whose window
   * closed without an answer must first teach its expiry.
   */
  private async cutoff(): Promise<number> {
    const before = this.c.clock() - this.options.decisionsDays * DAY_MS;
    const windows = this.c.catalogs.catalog.actions.some((a) => a.responseWindowMs !== undefined);
    if (!windows) return before;
    const swept = Number((await this.c.store.getSetting(RESPONSES_SWEPT)) ?? 0);
    return Math.min(before, swept);
  }
}

/** The setting in which the response-window sweep records up to when every window is settled. */
export const RESPONSES_SWEPT = 'responses.swept';
