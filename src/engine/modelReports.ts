// Model reports: each action's learner figures, and progressive quality from the decision log.

import type { CompiledAction } from '../core/catalog.ts';
import { rewardOfFlags } from '../measure/answers.ts';
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
   * One action's model report: the learner's figures, plus progressive quality from the decision log — each
   * logged propensity was predicted before its outcome was known — per action, never pooled across actions.
   */
  async modelReport(actionId: string) {
    const action = this.c.catalogs.catalog.actionsById.get(actionId);
    if (!action) throw new EngineError('not_found', 'params.id', `unknown action '${actionId}'`);
    const model = this.c.registry.live.model(action.model.key);
    const summary = this.modelSummary(action);
    const scores: number[] = [];
    const labels: number[] = [];
    let after: { at: number; decisionId: string; actionId: string } | undefined;
    const positive = this.c.catalogs.catalog.definition.learning.positive;
    for (;;) {
      const page = await this.c.store.choiceLog({
        from: 0,
        to: this.c.clock() + 1,
        actionId,
        limit: 5000,
        after,
      });
      for (const row of page) {
        const reward = rewardOfFlags(row.flags, positive);
        if (reward === null) continue;
        scores.push(row.propensity);
        labels.push(reward);
      }
      if (page.length < 5000) break;
      after = page[page.length - 1];
    }
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
