// Model reports: each action's learner figures, and progressive quality from the decision log.

import type { CompiledAction } from '../core/catalog.ts';
import { rewardOfFlags } from '../measure/answers.ts';
import { kpiRange } from '../measure/kpis.ts';
import {
  auc,
  averagePrecision,
  calibrationSlope,
  calibrationTable,
  expectedCalibrationError,
  logLoss,
  maturityOf,
} from '../measure/modelQuality.ts';
import type { EngineContext } from './context.ts';
import { EngineError } from './errors.ts';

const PAGE = 5000;
/** The models list's AUC rests on at most about this many of the window's latest decisions. */
export const MODEL_LIST_DECISIONS = 100_000;

interface Answers {
  scores: number[];
  labels: number[];
}

export class ModelReports {
  constructor(private readonly c: EngineContext) {}

  /** Per action: the learner's report and its maturity (cold < 50 responses ≤ learning < 1,000 ≤ mature). */
  modelReports() {
    return this.c.catalogs.catalog.actions.map((a) => this.modelSummary(a));
  }

  private modelSummary(a: CompiledAction) {
    const report = this.c.registry.live.model(a.model.key).report();
    const maturity = maturityOf(report.responses);
    return { actionId: a.id, model: a.model.key, shared: a.model.shared, ...report, maturity };
  }

  /**
   * Every action's summary with its progressive AUC over [from, to) (default: the last 30 days). A window holding
   * more than `maxDecisions` decisions is narrowed to the latest of them, so the list stays
   * quick on a large log; the answer's `from` says where the figures start.
   */
  async modelList(
    window: { from?: number | undefined; to?: number | undefined } = {},
    maxDecisions = MODEL_LIST_DECISIONS,
  ) {
    const range = kpiRange(window.from, window.to, this.c.clock());
    const to = range.to;
    let from = range.from;
    const latest = from < to ? await this.c.store.nthLatestDecisionAt(to, maxDecisions) : undefined;
    if (latest !== undefined && latest > from) from = latest;
    const answers = from < to ? await this.answers({ from, to }) : new Map<string, Answers>();
    const models = this.modelReports().map((m) => {
      const a = answers.get(m.actionId);
      return {
        ...m,
        answered: a?.labels.length ?? 0,
        auc: a && a.labels.length > 0 ? auc(a.scores, a.labels) : null,
      };
    });
    return { from, to, models };
  }

  /** Logged propensities with a positive (1) or negative (0) outcome, per action, in time order. */
  private async answers(query: {
    from: number;
    to: number;
    actionId?: string;
  }): Promise<Map<string, Answers>> {
    const byAction = new Map<string, Answers>();
    const positive = this.c.catalogs.catalog.definition.learning.positive;
    let after: { at: number; decisionId: string; actionId: string } | undefined;
    for (;;) {
      const page = await this.c.store.choiceLog({ ...query, limit: PAGE, after });
      for (const row of page) {
        const reward = rewardOfFlags(row.flags, positive);
        if (reward === null) continue;
        let a = byAction.get(row.actionId);
        if (!a) {
          a = { scores: [], labels: [] };
          byAction.set(row.actionId, a);
        }
        a.scores.push(row.propensity);
        a.labels.push(reward);
      }
      if (page.length < PAGE) return byAction;
      after = page[page.length - 1];
    }
  }

  /**
   * One action's model report: the learner's figures, plus progressive quality from the decision log — each
   * logged propensity was predicted before its outcome was known — per action, never pooled across actions.
   */
  async modelReport(actionId: string) {
    const action = this.c.catalogs.catalog.actionsById.get(actionId);
    if (!action) throw new EngineError('not_found', 'params.id', `unknown action '${actionId}'`);
    const model = this.c.registry.live.model(action.model.key);
    const summary = this.modelSummary(action);
    const answers = await this.answers({ from: 0, to: this.c.clock() + 1, actionId });
    const { scores, labels } = answers.get(actionId) ?? { scores: [], labels: [] };
    return {
      ...summary,
      answered: scores.length,
      auc: scores.length > 0 ? auc(scores, labels) : null,
      averagePrecision: scores.length > 0 ? averagePrecision(scores, labels) : null,
      logLoss: scores.length > 0 ? logLoss(scores, labels) : null,
      calibration: calibrationTable(scores, labels),
      ece: scores.length > 0 ? expectedCalibrationError(scores, labels) : null,
      calibrationSlope: scores.length > 1 ? calibrationSlope(scores, labels).slope : null,
      predictors: model.importance?.() ?? [],
    };
  }
}
