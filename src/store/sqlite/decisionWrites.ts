// The hot writes on SQLite: a decision's commit (the log, its choices and contacts, budget counts, a queued
// outbound message, limits checked inside the transaction) and an outcome's (idempotent, teaching at most once).
// Run by the writer thread's own store when there is one.
import type Database from 'better-sqlite3';
import { capViolations } from '../../core/contactPolicy.ts';
import { type OutcomeRow, toOutcome } from '../rows.ts';
import { type CommitResult, decisionGone, type NewOutcome, type OutcomeRecord } from '../store.ts';
import type { EncodedCommit, SqliteStore } from './store.ts';

/** The transaction of `commitDecision` (run by the writer thread when there is one). */
export function commitEncoded(s: SqliteStore, commit: EncodedCommit): Promise<CommitResult> {
  const { head, payload, chosen, contacts, outbound, settlesJob, reserve } = commit;
  const { id, customerId, channel, at, catalogVersion, modelVersion, arm } = head;
  const day = Math.floor(at / 86_400_000);
  return s.write((): CommitResult => {
    // The limits are checked inside the write transaction: SQLite runs one writer at a time across
    // processes (BEGIN IMMEDIATE), so nothing can take a slot between this check and the counts below.
    if (reserve) {
      const budgets: string[] = [];
      const today = s.sql('SELECT count FROM budget_usage WHERE action_id = ? AND day = ?');
      const total = s.sql('SELECT coalesce(sum(count), 0) AS count FROM budget_usage WHERE action_id = ?');
      for (const b of reserve.budgets) {
        const used = (q: Database.Statement, ...args: unknown[]) =>
          (q.get(...args) as { count: number } | undefined)?.count ?? 0;
        if (
          (b.maxPerDay !== undefined && used(today, b.actionId, day) >= b.maxPerDay) ||
          (b.total !== undefined && used(total, b.actionId) >= b.total)
        )
          budgets.push(b.actionId);
      }
      const caps =
        reserve.caps && customerId !== null
          ? capViolations(
              reserve.caps.check,
              s.history(customerId, reserve.caps.since, reserve.caps.acceptsForever),
            )
          : [];
      if (budgets.length > 0 || caps.length > 0) return { committed: false, budgets, caps };
    }
    s.sql(
      'INSERT INTO decisions (id, customer_id, channel, at, catalog_version, model_version, arm, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(id, customerId, channel, at, catalogVersion, modelVersion, arm, payload);
    const choice = s.sql(
      `INSERT INTO choices (decision_id, action_id, customer_id, channel, arm, issue, grp, at, rank, probability,
                            propensity, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const c of chosen) {
      choice.run(
        id,
        c.actionId,
        customerId,
        channel,
        arm,
        c.issue,
        c.group,
        at,
        c.rank,
        c.probability,
        c.propensity,
        c.value,
      );
    }
    if (customerId !== null) {
      const insert = s.sql(
        'INSERT INTO interactions (customer_id, kind, action_id, issue, grp, channel, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      for (const c of contacts) insert.run(customerId, c.kind, c.actionId, c.issue, c.group, c.channel, c.at);
    }
    const count = s.sql(
      'INSERT INTO budget_usage (action_id, day, count) VALUES (?, ?, 1) ON CONFLICT (action_id, day) DO UPDATE SET count = count + 1',
    );
    for (const c of chosen) count.run(c.actionId, day);
    if (outbound)
      s.sql(
        `INSERT INTO outbound (decision_id, customer_id, channel, trigger_id, event_at, created_at, status,
                               available_at, message)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      ).run(
        outbound.decisionId,
        outbound.customerId,
        outbound.channel,
        outbound.trigger.id,
        outbound.trigger.eventAt,
        outbound.createdAt,
        outbound.createdAt,
        JSON.stringify(outbound),
      );
    if (settlesJob !== undefined) s.sql('DELETE FROM trigger_jobs WHERE id = ?').run(settlesJob);
    return { committed: true };
  });
}

/** Stores an outcome once per (decision, action, outcome), deciding inside the transaction whether it teaches. */
export function recordOutcome(
  s: SqliteStore,
  o: NewOutcome,
): Promise<{ record: OutcomeRecord; duplicate: boolean }> {
  return s.write(() => {
    const existing = s
      .sql('SELECT * FROM outcomes WHERE decision_id = ? AND action_id = ? AND outcome = ?')
      .get(o.decisionId, o.actionId, o.outcome) as OutcomeRow | undefined;
    if (existing) return { record: toOutcome(existing), duplicate: true };
    if (!s.sql('SELECT 1 FROM decisions WHERE id = ?').get(o.decisionId)) throw decisionGone(o.decisionId);
    // Decided inside the transaction, so two outcomes of one decision never both teach the model; only a
    // late positive may replace what an expired response window taught.
    const teacher = s
      .sql(
        'SELECT seq, outcome FROM outcomes WHERE decision_id = ? AND action_id = ? AND learned = 1 LIMIT 1',
      )
      .get(o.decisionId, o.actionId) as { seq: number; outcome: string } | undefined;
    let learned = o.teaches && teacher === undefined;
    let corrects = 0;
    if (o.teaches && o.positive === true && teacher?.outcome === 'expired') {
      s.sql('UPDATE outcomes SET learned = 0 WHERE seq = ?').run(teacher.seq);
      learned = true;
      corrects = teacher.seq;
    }
    const info = s
      .sql(
        'INSERT INTO outcomes (decision_id, action_id, outcome, value, at, customer_id, learned, corrects) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        o.decisionId,
        o.actionId,
        o.outcome,
        o.value ?? null,
        o.at,
        o.customerId,
        learned ? 1 : 0,
        corrects,
      );
    // The choice's outcome flags (column names are the closed set of outcome types).
    s.sql(
      `UPDATE choices SET ${o.outcome} = 1, outcome_value = outcome_value + ? WHERE decision_id = ? AND action_id = ?`,
    ).run(o.value ?? 0, o.decisionId, o.actionId);
    if (o.interaction && o.customerId !== null) {
      const i = o.interaction;
      s.sql(
        'INSERT INTO interactions (customer_id, kind, action_id, issue, grp, channel, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(o.customerId, i.kind, i.actionId, i.issue, i.group, i.channel, i.at);
    }
    const record: OutcomeRecord = {
      seq: Number(info.lastInsertRowid),
      decisionId: o.decisionId,
      actionId: o.actionId,
      outcome: o.outcome,
      ...(o.value === undefined ? {} : { value: o.value }),
      at: o.at,
      learned,
      corrects,
    };
    return { record, duplicate: false };
  });
}
