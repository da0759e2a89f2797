// Retention of the decision log on SQLite: the oldest decisions go with their choices, outcomes and settled
// outbound messages, in one short write transaction per batch (the writer thread and other processes wait for
// SQLite's one write lock at most that long).
import { SWEEPABLE_DECISION } from '../rows.ts';
import type { RetentionSweep } from '../store.ts';
import type { SqliteStore } from './store.ts';

export function sweepDecisions(s: SqliteStore, before: number, limit: number): Promise<RetentionSweep> {
  return s.write((): RetentionSweep => {
    const ids = (
      s
        .sql(`SELECT d.id FROM decisions d WHERE d.at < ? AND ${SWEEPABLE_DECISION} ORDER BY d.at LIMIT ?`)
        .all(before, limit) as Array<{ id: string }>
    ).map((r) => r.id);
    if (ids.length === 0) return { decisions: 0, outcomes: 0, outbound: 0 };
    const list = JSON.stringify(ids);
    const inList = 'IN (SELECT value FROM json_each(?))';
    const outcomes = s.sql(`DELETE FROM outcomes WHERE decision_id ${inList}`).run(list).changes;
    const outbound = s.sql(`DELETE FROM outbound WHERE decision_id ${inList}`).run(list).changes;
    s.sql(`DELETE FROM choices WHERE decision_id ${inList}`).run(list);
    const decisions = s.sql(`DELETE FROM decisions WHERE id ${inList}`).run(list).changes;
    return { decisions, outcomes, outbound };
  });
}
