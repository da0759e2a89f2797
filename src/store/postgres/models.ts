// Model states on PostgreSQL and folds of the outcome log into them, one fold at a time (src/engine/models.ts).
import { FOLD_ORDER, LEARNED_OUTCOMES, type OutcomeRow, STORED_HISTORY, toFoldOutcome } from '../rows.ts';
import type { FoldResult, LearnedOutcome, ModelFold, OpenChoice, StoredModel } from '../store.ts';
import { foldedSeq, generation, LOCK_APP, LOCK_FOLD, putSetting } from './sql.ts';
import type { PostgresStore } from './store.ts';

// ---- models ---------------------------------------------------------------------------------------------

export async function loadModels(
  s: PostgresStore,
): Promise<{ models: StoredModel[]; generation: number; maxSeq: number }> {
  const rows = await s.query<{ key: string; state: string }>('SELECT key, state FROM models');
  return {
    models: rows.map((r) => ({ key: r.key, state: JSON.parse(r.state) })),
    generation: await generation(s.pool),
    maxSeq: await foldedSeq(s.pool),
  };
}

export async function foldModels(s: PostgresStore, fold: ModelFold): Promise<FoldResult> {
  // Folds run one at a time across processes (a session lock, taken before the transaction so that its
  // snapshot, REPEATABLE READ, already sees the previous fold's commit); every read below sees one snapshot.
  const lock = await s.pool.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1, $2)', [LOCK_APP, LOCK_FOLD]);
    try {
      return await s.tx(async (c) => {
        const current = await generation(c);
        const changed = (
          await c.query<{ key: string; state: string }>('SELECT key, state FROM models WHERE version > $1', [
            fold.since,
          ])
        ).rows.map((r) => ({ key: r.key, state: JSON.parse(r.state) as StoredModel['state'] }));
        const unfolded = (
          await c.query<{ seq: number }>(
            'SELECT seq FROM outcomes WHERE learned = 1 AND folded = 0 ORDER BY seq',
          )
        ).rows.map((r) => r.seq);
        let states = fold.quick({ changed, unfolded });
        if (!states) {
          const rows = (
            await c.query<OutcomeRow & { payload: string; folded: number; corrects_folded: number }>(
              `${LEARNED_OUTCOMES}
               WHERE ${fold.replayAll ? STORED_HISTORY : 'o.learned = 1 AND o.folded = 0'} ${FOLD_ORDER}`,
            )
          ).rows;
          const outcomes = rows.map(toFoldOutcome);
          states = fold.replay({ changed, outcomes });
        }
        const pending = async () =>
          fold.pending.length === 0
            ? []
            : (
                await c.query<{ seq: number }>(
                  'SELECT seq FROM outcomes WHERE seq = ANY($1) AND learned = 1 AND folded = 0 ORDER BY seq',
                  [fold.pending],
                )
              ).rows.map((r) => r.seq);
        if (states.length === 0 && unfolded.length === 0)
          return {
            generation: current,
            folded: [],
            maxSeq: await foldedSeq(c),
            unsettled: await pending(),
          };
        const next = current + 1;
        const now = Date.now();
        await c.query(
          `INSERT INTO models (key, state, updated_at, version) SELECT k, s, $3, $4 FROM unnest($1::text[], $2::text[]) AS t(k, s)
           ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, version = excluded.version`,
          [states.map((m) => m.key), states.map((m) => JSON.stringify(m.state)), now, next],
        );
        // The unfolded rows by their partial index: a thousand ids in an array otherwise tempt the planner,
        // before statistics exist, into reading the whole table at every fold (seen in a soak).
        await c.query('UPDATE outcomes SET folded = $2 WHERE seq = ANY($1) AND learned = 1 AND folded = 0', [
          unfolded,
          next,
        ]);
        await putSetting(c, 'models.generation', String(next));
        return {
          generation: next,
          folded: unfolded,
          maxSeq: await foldedSeq(c),
          unsettled: await pending(),
        };
      }, 'REPEATABLE READ');
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_APP, LOCK_FOLD]);
    }
  } finally {
    lock.release();
  }
}
export async function openChoices(
  s: PostgresStore,
  from: number,
  to: number,
  limit: number,
): Promise<OpenChoice[]> {
  return s.query(
    `SELECT decision_id AS "decisionId", action_id AS "actionId", customer_id AS "customerId", at FROM choices c
     WHERE at > $1 AND at <= $2
       AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.decision_id = c.decision_id
                       AND o.action_id = c.action_id AND o.learned = 1)
     ORDER BY at, decision_id, action_id LIMIT $3`,
    [from, to, limit],
  );
}

export async function learnedOutcomesAfter(
  s: PostgresStore,
  seq: number,
  limit: number,
): Promise<LearnedOutcome[]> {
  const rows = await s.query<OutcomeRow & { payload: string }>(
    `${LEARNED_OUTCOMES}
     WHERE ${STORED_HISTORY} AND o.seq > $1 ORDER BY o.seq LIMIT $2`,
    [seq, limit],
  );
  return rows.map(toFoldOutcome);
}
