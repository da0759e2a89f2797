// Outcomes: stored idempotently, taught to the models when they are the ones that should, and the response
// windows that turn silence into a negative.

import { DATA_LIMITS } from '../core/limits.ts';
import { rewardOf } from '../core/modelSet.ts';
import type { RecordedOutcome } from '../core/types.ts';
import { DECISION_GONE, type DecisionRecord, type OutcomeRecord } from '../store/store.ts';
import type { OutcomeRequest } from './api.ts';
import type { EngineContext } from './context.ts';
import { EngineError } from './errors.ts';
import { RESPONSES_SWEPT } from './retention.ts';

export class Outcomes {
  constructor(private readonly c: EngineContext) {}

  async recordOutcome(request: OutcomeRequest): Promise<{ outcome: OutcomeRecord; duplicate: boolean }> {
    if (request.value !== undefined && !(Math.abs(request.value) <= DATA_LIMITS.maxNumber))
      throw new EngineError(
        'invalid',
        'body.value',
        `numbers must be finite and at most ${DATA_LIMITS.maxNumber} in magnitude`,
      );
    const decision = await this.c.store.getDecision(request.decisionId);
    if (!decision)
      throw new EngineError('not_found', 'body.decisionId', `unknown decision '${request.decisionId}'`);
    const choice = decision.chosen.find((c) => c.actionId === request.actionId);
    if (!choice) {
      throw new EngineError(
        'not_found',
        'body.actionId',
        `action '${request.actionId}' was not chosen in decision '${request.decisionId}'`,
      );
    }
    return this.applyOutcome(decision, choice, request.outcome, request.value);
  }

  /** Stores an outcome (idempotently) and teaches the model when it is the one that should. */
  private async applyOutcome(
    decision: DecisionRecord,
    choice: DecisionRecord['chosen'][number],
    outcome: RecordedOutcome,
    value: number | undefined,
  ): Promise<{ outcome: OutcomeRecord; duplicate: boolean }> {
    const reward = rewardOf(this.c.catalogs.catalog, outcome);
    const now = this.c.clock();
    const stored = this.c.store.recordOutcome({
      decisionId: decision.id,
      actionId: choice.actionId,
      outcome,
      value,
      at: now,
      customerId: decision.customerId,
      teaches: reward !== undefined,
      positive: reward === 1,
      // An expired window is not something the customer did: contact policies do not see it.
      interaction:
        decision.customerId === null || outcome === 'expired'
          ? undefined
          : {
              kind: outcome,
              actionId: choice.actionId,
              issue: choice.issue,
              group: choice.group,
              channel: decision.channel,
              at: now,
            },
    });
    const { record, duplicate } = await stored.catch((error: unknown) => {
      if ((error as { code?: string }).code !== DECISION_GONE) throw error;
      throw new EngineError(
        'not_found',
        'body.decisionId',
        `decision '${decision.id}' is no longer stored (erased, or older than the retention period)`,
      );
    });
    if (!duplicate && record.learned && reward !== undefined) {
      // A late positive: the negative the expired window taught is taken back first.
      this.c.registry.learn({
        seq: record.seq,
        actionId: choice.actionId,
        x: decision.features,
        reward,
        at: record.at,
        correctsExpiry: record.corrects > 0,
      });
    }
    return { outcome: record, duplicate };
  }

  /**
   * Counts chosen actions whose response window passed without a positive or negative outcome as negatives
   * (outcome `expired`). Runs on a timer; returns how many it expired.
   */
  async expireResponses(): Promise<number> {
    const windows = this.c.catalogs.catalog.actions.flatMap((a) =>
      a.responseWindowMs === undefined ? [] : [a.responseWindowMs],
    );
    if (windows.length === 0) return 0;
    const now = this.c.clock();
    const shortest = Math.min(...windows);
    const longest = Math.max(...windows);
    const swept = Number((await this.c.store.getSetting(RESPONSES_SWEPT)) ?? 0);
    let from = swept;
    let expired = 0;
    for (;;) {
      const open = await this.c.store.openChoices(from, now - shortest, 1000);
      for (const c of open) {
        const window = this.c.catalogs.catalog.actionsById.get(c.actionId)?.responseWindowMs;
        if (window === undefined || c.at + window > now) continue;
        const decision = await this.c.store.getDecision(c.decisionId);
        const choice = decision?.chosen.find((x) => x.actionId === c.actionId);
        if (!decision || !choice) continue;
        const { duplicate } = await this.applyOutcome(decision, choice, 'expired', undefined);
        if (!duplicate) expired++;
      }
      if (open.length < 1000) break;
      from = open[open.length - 1]!.at;
    }
    // Decisions older than the longest window are settled: later sweeps need not look at them again.
    await this.c.store.setSetting(RESPONSES_SWEPT, String(Math.max(swept, now - longest)));
    return expired;
  }
}
