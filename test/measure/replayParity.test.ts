// One learning path (issue 18): the log an engine wrote, replayed by `evaluate` with production's learner, ends
// with the very models the engine learned: outcome order, a shared model, forgetting in time, response-window
// expiries and the late positives that take them back. On both stores.
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/core/catalog.ts';
import { policySpecSchema } from '../../src/core/policy.ts';
import { mulberry32 } from '../../src/core/random.ts';
import { Engine } from '../../src/engine/engine.ts';
import { decisionLog, learnedOutcomes, replayPolicy } from '../../src/measure/evaluate.ts';
import { openStore } from '../../src/store/open.ts';
import { smallCatalogDoc } from '../helpers.ts';
import { DIALECTS } from '../store/dialects.ts';

const doc = smallCatalogDoc({
  learning: {
    halfLifeDays: 1,
    responseWindowHours: 1,
    overrides: [{ appliesTo: { group: 'Cards' }, shared: true }],
  },
  arbitration: { onePerGroup: false },
  measurement: { controlShare: 0.1 },
});

describe.each(DIALECTS)('replay parity ($name)', (dialect) => {
  // Late positives after an expiry: the engine learned the expiry's negative and takes it back when the positive
  // comes. Taken back before the next fold, the stored models never learn the expiry and the log no longer
  // counts it; taken back after a fold taught it, the log keeps the expiry as part of the models' history and
  // the positive says it takes it back. Either way the replay learns what the stored models did: identical.
  it.each([
    { late: 0, folded: false },
    { late: 0.2, folded: false },
    { late: 0.2, folded: true },
  ])(
    "evaluate's candidate configured like production learns the engine's models from its log (late positives $late, after a fold: $folded)",
    async ({ late: LATE, folded }) => {
      const url = dialect.freshUrl();
      const store = await openStore(url);
      let now = Date.parse('2026-03-01T08:00:00Z');
      const engine = await Engine.open(store, JSON.stringify(doc), {
        seed: 7,
        clock: () => now,
        checkpointMs: 0,
        expiryMs: 0,
      });
      const rnd = mulberry32(11);
      const unanswered: Array<{ decisionId: string; actionId: string }> = [];
      let expired = 0;
      let late = 0;
      try {
        for (let c = 0; c < 30; c++)
          await engine.putCustomer(`C${c}`, { age: 20 + c * 2, segment: c % 3 === 0 ? 'gold' : 'basic' });
        for (let step = 0; step < 300; step++) {
          now += 7 * 60_000;
          const d = await engine.decide({ customerId: `C${step % 30}`, channel: 'web', limit: 2 });
          for (const a of d.actions) {
            const u = rnd();
            if (u < 0.3)
              await engine.recordOutcome({
                decisionId: d.decisionId,
                actionId: a.actionId,
                outcome: 'accept',
              });
            else if (u < 0.6)
              await engine.recordOutcome({
                decisionId: d.decisionId,
                actionId: a.actionId,
                outcome: 'reject',
              });
            else unanswered.push({ decisionId: d.decisionId, actionId: a.actionId });
          }
          if (step % 25 === 24) {
            expired += await engine.expireResponses();
            if (folded) await engine.checkpoint();
            // Now and then a positive arrives after its window: it takes the expiry's negative back.
            for (const choice of unanswered.splice(0).filter(() => rnd() < LATE)) {
              await engine.recordOutcome({ ...choice, outcome: 'click' });
              late++;
            }
          }
        }
        await engine.checkpoint();
      } finally {
        await engine.close();
      }
      try {
        const { models: stored } = await store.loadModels();
        const catalog = compileCatalog(doc);
        const spec = policySpecSchema.parse({ learner: 'adaptiveBinnedBayes', explorer: 'squareCb' });
        const { report, models } = await replayPolicy(
          {
            log: decisionLog(store, { from: 0, to: now + 1, positive: catalog.definition.learning.positive }),
            outcomes: learnedOutcomes(store, 97),
            catalog,
          },
          spec,
        );
        // The run exercised what the engine does beyond plain learning.
        expect(expired).toBeGreaterThan(20);
        if (LATE > 0) expect(late).toBeGreaterThan(5);
        expect(stored.map((m) => m.key).sort()).toEqual(['B1', 'R1', 'shared:{"group":"Cards"}'].sort());
        expect(report.decisions).toBe(300);
        for (const m of stored) expect([m.key, models.state(m.key).state]).toEqual([m.key, m.state]);
      } finally {
        await store.close();
      }
    },
  );
});
