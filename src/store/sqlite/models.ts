// Model states on SQLite and folds of the outcome log into them (src/engine/models.ts).
import { FOLD_ORDER, LEARNED_OUTCOMES, type OutcomeRow, STORED_HISTORY, toFoldOutcome } from '../rows.ts';
import type {
  FoldOutcome,
  FoldResult,
  LearnedOutcome,
  ModelFold,
  OpenChoice,
  StoredModel,
} from '../store.ts';
import type { SqliteStore } from './store.ts';

export async function loadModels(
  s: SqliteStore,
): Promise<{ models: StoredModel[]; generation: number; maxSeq: number }> {
  const rows = s.sql('SELECT key, state FROM models').all() as Array<{ key: string; state: string }>;
  return {
    models: rows.map((r) => ({ key: r.key, state: JSON.parse(r.state) })),
    generation: generation(s),
    maxSeq: foldedSeq(s),
  };
}

export function generation(s: SqliteStore): number {
  const row = s.sql("SELECT value FROM settings WHERE key = 'models.generation'").get() as
    | { value: string }
    | undefined;
  return Number(row?.value ?? 0);
}

export function foldedSeq(s: SqliteStore): number {
  return (s.sql('SELECT coalesce(max(seq), 0) AS n FROM outcomes WHERE folded > 0').get() as { n: number }).n;
}

export async function foldModels(s: SqliteStore, fold: ModelFold): Promise<FoldResult> {
  // One write transaction: SQLite runs one writer at a time, across processes too, so folds never overlap.
  // First in its batch, so every outcome it finds was answered, and so learned live, already: a single
  // process then takes the quick path.
  return s.write((): FoldResult => {
    const current = generation(s);
    const changed = (
      s.sql('SELECT key, state FROM models WHERE version > ?').all(fold.since) as Array<{
        key: string;
        state: string;
      }>
    ).map((r) => ({ key: r.key, state: JSON.parse(r.state) as StoredModel['state'] }));
    const unfolded = (
      s.sql('SELECT seq FROM outcomes WHERE learned = 1 AND folded = 0 ORDER BY seq').all() as Array<{
        seq: number;
      }>
    ).map((r) => r.seq);
    const states =
      fold.quick({ changed, unfolded }) ??
      fold.replay({ changed, outcomes: foldOutcomes(s, fold.replayAll) });
    if (states.length === 0 && unfolded.length === 0)
      return { generation: current, folded: [], maxSeq: foldedSeq(s), unsettled: unsettled(s, fold.pending) };
    const next = current + 1;
    const now = Date.now();
    const upsert = s.sql(
      `INSERT INTO models (key, state, updated_at, version) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, version = excluded.version`,
    );
    for (const m of states) upsert.run(m.key, JSON.stringify(m.state), now, next);
    s.sql('UPDATE outcomes SET folded = ? WHERE seq IN (SELECT value FROM json_each(?))').run(
      next,
      JSON.stringify(unfolded),
    );
    s.putSetting('models.generation', String(next));
    return {
      generation: next,
      folded: unfolded,
      maxSeq: foldedSeq(s),
      unsettled: unsettled(s, fold.pending),
    };
  }, true);
}

export function unsettled(s: SqliteStore, seqs: readonly number[]): number[] {
  if (seqs.length === 0) return [];
  return (
    s
      .sql(
        'SELECT seq FROM outcomes WHERE seq IN (SELECT value FROM json_each(?)) AND learned = 1 AND folded = 0 ORDER BY seq',
      )
      .all(JSON.stringify(seqs)) as Array<{ seq: number }>
  ).map((r) => r.seq);
}

export function* foldOutcomes(s: SqliteStore, all: boolean): Generator<FoldOutcome> {
  const rows = s
    .sql(
      `${LEARNED_OUTCOMES}
     WHERE ${all ? STORED_HISTORY : 'o.learned = 1 AND o.folded = 0'} ${FOLD_ORDER}`,
    )
    .iterate() as IterableIterator<OutcomeRow & { payload: string; folded: number; corrects_folded: number }>;
  for (const r of rows) {
    yield toFoldOutcome(r);
  }
}
export async function openChoices(
  s: SqliteStore,
  from: number,
  to: number,
  limit: number,
): Promise<OpenChoice[]> {
  return s
    .sql(
      `SELECT decision_id AS decisionId, action_id AS actionId, customer_id AS customerId, at FROM choices c
     WHERE at > ? AND at <= ?
       AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.decision_id = c.decision_id
                       AND o.action_id = c.action_id AND o.learned = 1)
     ORDER BY at LIMIT ?`,
    )
    .all(from, to, limit) as OpenChoice[];
}

export async function learnedOutcomesAfter(
  s: SqliteStore,
  seq: number,
  limit: number,
): Promise<LearnedOutcome[]> {
  const rows = s
    .sql(
      `${LEARNED_OUTCOMES}
       WHERE ${STORED_HISTORY} AND o.seq > ? ORDER BY o.seq LIMIT ?`,
    )
    .all(seq, limit) as Array<OutcomeRow & { payload: string }>;
  return rows.map(toFoldOutcome);
}
