// The cbify pass through the product (issue 18): each data set becomes a catalog (one action per class, the
// row's columns as the decision's context), and every row is one anonymous `decide` on the web channel and one
// outcome (accept when the chosen action is the row's class, reject otherwise) through the engine, with its
// catalog, rules, arbitration, explorer, logged choice probabilities, outcome path and store. The store is the
// real SQLite store in memory (nothing is mocked); its clock advances one second per row, so time-based
// forgetting and response windows (off in this catalog) cannot differ between runs.
import { Engine } from '../../src/engine/engine.ts';
import type { ExplorerName, LearnerName } from '../../src/learn/registry.ts';
import { openStore } from '../../src/store/open.ts';
import type { Dataset } from './dataset.ts';

/** The catalog that turns `data` into a decision problem; context fields are c0, c1, … in column order. */
export function datasetCatalog(data: Dataset, learner: LearnerName, explorer: ExplorerName) {
  const columns = [...data.numeric, ...data.categorical];
  const context = Object.fromEntries(
    columns.map((c, i) => [`c${i}`, data.numeric.includes(c) ? 'number' : 'string']),
  );
  return {
    catalog: {
      name: `cbify-${data.name}`,
      channels: [{ id: 'web' }],
      schema: { customer: {}, context },
      learning: { learner, explorer },
      measurement: { controlShare: 0, businessRuleShare: 0 },
      arbitration: { onePerGroup: false, defaultLimit: 1, maxLimit: 1 },
      actions: data.labels.map((label, i) => ({
        id: `class${i}`,
        name: String(label),
        issue: 'Classes',
        group: `class${i}`,
        value: 1,
        treatments: { web: { title: String(label) } },
      })),
    },
    columns,
  };
}

/** One progressive pass through the engine: mean reward, seconds and decisions per second. */
export async function runEnginePass(
  data: Dataset,
  learner: LearnerName,
  explorer: ExplorerName,
  seed: number,
  order: readonly number[],
) {
  const { catalog, columns } = datasetCatalog(data, learner, explorer);
  const store = await openStore(':memory:');
  let now = Date.parse('2026-01-01T00:00:00Z');
  const engine = await Engine.open(store, JSON.stringify(catalog), {
    seed,
    clock: () => now,
    checkpointMs: 0,
    expiryMs: 0,
    healthProbeMs: 0,
    triggerRecoveryMs: 0,
  });
  let reward = 0;
  const started = process.hrtime.bigint();
  try {
    for (const index of order) {
      now += 1000;
      const row = data.rows[index]!;
      const context: Record<string, number | string> = {};
      columns.forEach((c, i) => {
        const v = row.x[c];
        if (v !== null && v !== undefined) context[`c${i}`] = v as number | string;
      });
      const d = await engine.decide({ channel: 'web', context, limit: 1 });
      const chosen = d.actions[0];
      if (!chosen) throw new Error(`${data.name}: a decision chose nothing`);
      const hit = chosen.actionId === `class${row.label}`;
      if (hit) reward++;
      await engine.recordOutcome({
        decisionId: d.decisionId,
        actionId: chosen.actionId,
        outcome: hit ? 'accept' : 'reject',
      });
    }
  } finally {
    await engine.close();
    await store.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { reward: reward / order.length, seconds, decisionsPerSecond: order.length / seconds };
}
