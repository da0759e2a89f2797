// Retention of the decision log on PostgreSQL: the oldest decisions go with their choices, outcomes and settled
// outbound messages, a batch per transaction. The decisions are locked first (SKIP LOCKED: one an outcome is
// being recorded for right now is left for the next sweep), and whether each may go is checked again by the
// DELETE itself, whose snapshot sees every outcome committed until then; an outcome recorded later finds its
// decision gone (recordOutcome locks the decision row it answers).
import { SWEEPABLE_DECISION } from '../rows.ts';
import type { RetentionSweep } from '../store.ts';
import type { PostgresStore } from './store.ts';

export function sweepDecisions(s: PostgresStore, before: number, limit: number): Promise<RetentionSweep> {
  return s.tx(async (c): Promise<RetentionSweep> => {
    const locked = (
      await c.query<{ id: string }>(
        `SELECT d.id FROM decisions d WHERE d.at < $1 AND ${SWEEPABLE_DECISION}
         ORDER BY d.at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [before, limit],
      )
    ).rows.map((r) => r.id);
    if (locked.length === 0) return { decisions: 0, outcomes: 0, outbound: 0 };
    const ids = (
      await c.query<{ id: string }>(
        `DELETE FROM decisions d WHERE d.id = ANY($1) AND ${SWEEPABLE_DECISION} RETURNING d.id`,
        [locked],
      )
    ).rows.map((r) => r.id);
    if (ids.length === 0) return { decisions: 0, outcomes: 0, outbound: 0 };
    const outcomes = (await c.query('DELETE FROM outcomes WHERE decision_id = ANY($1)', [ids])).rowCount ?? 0;
    const outbound = (await c.query('DELETE FROM outbound WHERE decision_id = ANY($1)', [ids])).rowCount ?? 0;
    await c.query('DELETE FROM choices WHERE decision_id = ANY($1)', [ids]);
    return { decisions: ids.length, outcomes, outbound };
  });
}
