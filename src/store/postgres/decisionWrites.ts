// The hot writes on PostgreSQL: a decision's commit (the common case as one statement, else a transaction that
// checks budgets and caps under locks) and an outcome's (idempotent, teaching at most once).

import { capViolations } from '../../core/contactPolicy.ts';
import type { InteractionRecord } from '../../core/types.ts';
import { encodePayload } from '../decisionPayload.ts';
import { DAY, type OutcomeRow, toOutcome } from '../rows.ts';
import {
  CHOICE_FLAGS,
  type CommitResult,
  type DecisionCommit,
  type DecisionRecord,
  decisionGone,
  type NewOutcome,
  type OutcomeRecord,
} from '../store.ts';
import {
  COMMIT_DECISION_STATEMENT,
  COUNT_CHOICE,
  history,
  insertOutbound,
  LOCK_BUDGET,
  LOCK_CHOICE,
  LOCK_CUSTOMER,
  RETRYABLE,
} from './sql.ts';
import type { PostgresStore } from './store.ts';

/** A decision's commit: one statement where it can be, else the full transaction. */
export async function commitDecision(s: PostgresStore, commit: DecisionCommit): Promise<CommitResult> {
  return (await commitInOneStatement(s, commit)) ?? commitInTransaction(s, commit);
}

/**
 * The common commit (daily budgets at most, no outbound message) as one statement: on its own, or after the
 * cap check under the customer's lock. Undefined when it does not apply or a daily budget was reached
 * (nothing written): the full transaction then decides and names the refused actions.
 */
async function commitInOneStatement(
  s: PostgresStore,
  commit: DecisionCommit,
): Promise<CommitResult | undefined> {
  const { decision, contacts, outbound, settlesJob, reserve } = commit;
  if (outbound || settlesJob !== undefined) return undefined;
  const daily = new Map<string, number>();
  for (const b of reserve?.budgets ?? []) {
    if (b.total !== undefined || b.maxPerDay === undefined || b.maxPerDay <= 0) return undefined;
    daily.set(b.actionId, b.maxPerDay);
  }
  const { id, customerId, channel, at, catalogVersion, modelVersion, arm, ...rest } = decision;
  const chosen = decision.chosen;
  // Sorted, so that concurrent commits lock the counters in the same order.
  const ids = [...new Set(chosen.map((k) => k.actionId))].sort();
  const values = [
    id,
    customerId,
    channel,
    at,
    catalogVersion,
    modelVersion,
    arm,
    encodePayload(rest),
    ...choiceColumns(decision),
    ...contactColumns(contacts),
    Math.floor(at / DAY),
    ids,
    ids.map((a) => daily.get(a) ?? null),
  ];
  const caps = reserve?.caps;
  const budgetUsedUp = (error: unknown) => (error as { code?: string }).code === '22012';
  if (caps && customerId !== null) {
    // Caps: one decision per customer at a time checks and writes the history (the lock ends with the
    // transaction, after this decision's contacts are committed).
    return s
      .tx(async (c): Promise<CommitResult> => {
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CUSTOMER, customerId]);
        const blocked = capViolations(
          caps.check,
          await history(c, customerId, caps.since, caps.acceptsForever),
        );
        if (blocked.length > 0) return { committed: false, budgets: [], caps: blocked };
        await c.query(COMMIT_DECISION_STATEMENT, values);
        return { committed: true };
      })
      .catch((error: unknown) => {
        if (budgetUsedUp(error)) return undefined;
        throw error;
      });
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await s.pool.query(COMMIT_DECISION_STATEMENT, values);
      return { committed: true };
    } catch (error) {
      if (budgetUsedUp(error)) return undefined;
      if (attempt < 5 && RETRYABLE.has((error as { code?: string }).code ?? '')) continue;
      throw error;
    }
  }
}

async function commitInTransaction(s: PostgresStore, commit: DecisionCommit): Promise<CommitResult> {
  const { decision, contacts, outbound, settlesJob, reserve } = commit;
  const { id, customerId, channel, at, catalogVersion, modelVersion, arm, ...rest } = decision;
  const day = Math.floor(at / DAY);
  const refused = new Error('refused');
  let result: CommitResult = { committed: true };
  try {
    await s.tx(async (c) => {
      if (reserve) {
        // Caps: one decision per customer at a time checks and writes the history (the lock ends with the
        // transaction, after this decision's contacts are committed).
        let caps: string[] = [];
        if (reserve.caps && customerId !== null) {
          await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CUSTOMER, customerId]);
          caps = capViolations(
            reserve.caps.check,
            await history(c, customerId, reserve.caps.since, reserve.caps.acceptsForever),
          );
        }
        // Budgets: the day's counter takes a conditional increment (no row back: the daily limit is reached);
        // a total limit is checked against the sum over days under a lock per action. In action-id order, so
        // concurrent commits take the locks in the same order.
        const budgets: string[] = [];
        const limits = new Map(reserve.budgets.map((b) => [b.actionId, b]));
        for (const actionId of [...limits.keys()].sort()) {
          const b = limits.get(actionId)!;
          let ok = true;
          if (b.total !== undefined) {
            await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_BUDGET, actionId]);
            const { rows } = await c.query<{ n: number }>(
              'SELECT coalesce(sum(count), 0) AS n FROM budget_usage WHERE action_id = $1',
              [actionId],
            );
            ok = rows[0]!.n < b.total;
          }
          if (ok && b.maxPerDay === undefined) await c.query(COUNT_CHOICE, [actionId, day]);
          else if (ok) {
            const { rowCount } = await c.query(
              `${COUNT_CHOICE} WHERE budget_usage.count < $3 RETURNING count`,
              [actionId, day, b.maxPerDay],
            );
            ok = b.maxPerDay! > 0 && rowCount === 1;
          }
          if (!ok) budgets.push(actionId);
        }
        if (budgets.length > 0 || caps.length > 0) {
          result = { committed: false, budgets, caps };
          throw refused; // rolls back the increments made so far
        }
      }
      await c.query(
        'INSERT INTO decisions (id, customer_id, channel, at, catalog_version, model_version, arm, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [id, customerId, channel, at, catalogVersion, modelVersion, arm, encodePayload(rest)],
      );
      const chosen = decision.chosen;
      if (chosen.length > 0) {
        await c.query(
          `INSERT INTO choices (decision_id, action_id, customer_id, channel, arm, issue, grp, at, rank, probability,
                                propensity, value)
           SELECT $1, a, $2, $3, $4, i, g, $5, r, p, q, v
           FROM unnest($6::text[], $7::text[], $8::text[], $9::int[], $10::float8[], $11::float8[], $12::float8[])
             AS t(a, i, g, r, p, q, v)`,
          [id, customerId, channel, arm, at, ...choiceColumns(decision)],
        );
        // Budgets reserved above are counted already; the others are counted here.
        const counted = new Set(reserve?.budgets.map((b) => b.actionId) ?? []);
        const rest = [...new Set(chosen.map((k) => k.actionId).filter((a) => !counted.has(a)))].sort();
        if (rest.length > 0) {
          await c.query(
            `INSERT INTO budget_usage (action_id, day, count) SELECT unnest($1::text[]), $2, 1
             ON CONFLICT (action_id, day) DO UPDATE SET count = budget_usage.count + 1`,
            [rest, day],
          );
        }
      }
      if (customerId !== null && contacts.length > 0) {
        await c.query(
          `INSERT INTO interactions (customer_id, kind, action_id, issue, grp, channel, at)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])`,
          [customerId, ...contactColumns(contacts)],
        );
      }
      if (outbound) await insertOutbound(c, outbound);
      if (settlesJob !== undefined) await c.query('DELETE FROM trigger_jobs WHERE id = $1', [settlesJob]);
    });
  } catch (error) {
    if (error !== refused) throw error;
  }
  return result;
}

/** Stores an outcome once per (decision, action, outcome), deciding inside the transaction whether it teaches. */
export async function recordOutcome(
  s: PostgresStore,
  o: NewOutcome,
): Promise<{ record: OutcomeRecord; duplicate: boolean }> {
  return s.tx(async (c) => {
    // One outcome of a decision and action at a time: whether it teaches depends on the ones before it.
    await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      LOCK_CHOICE,
      `${o.decisionId}\u001f${o.actionId}`,
    ]);
    const [existing] = (
      await c.query<OutcomeRow>(
        'SELECT * FROM outcomes WHERE decision_id = $1 AND action_id = $2 AND outcome = $3',
        [o.decisionId, o.actionId, o.outcome],
      )
    ).rows;
    if (existing) return { record: toOutcome(existing), duplicate: true };
    // Shares the decision's row lock with other outcomes; a retention sweep deleting it waits or skips it.
    const known = await c.query('SELECT 1 FROM decisions WHERE id = $1 FOR SHARE', [o.decisionId]);
    if (known.rowCount === 0) throw decisionGone(o.decisionId);
    const [teacher] = (
      await c.query<{ seq: number; outcome: string }>(
        'SELECT seq, outcome FROM outcomes WHERE decision_id = $1 AND action_id = $2 AND learned = 1 LIMIT 1',
        [o.decisionId, o.actionId],
      )
    ).rows;
    let learned = o.teaches && teacher === undefined;
    let corrects = 0;
    if (o.teaches && o.positive === true && teacher?.outcome === 'expired') {
      await c.query('UPDATE outcomes SET learned = 0 WHERE seq = $1', [teacher.seq]);
      learned = true;
      corrects = teacher.seq;
    }
    const { rows } = await c.query<{ seq: number }>(
      `INSERT INTO outcomes (decision_id, action_id, outcome, value, at, customer_id, learned, corrects)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq`,
      [o.decisionId, o.actionId, o.outcome, o.value ?? null, o.at, o.customerId, learned ? 1 : 0, corrects],
    );
    if (!(CHOICE_FLAGS as readonly string[]).includes(o.outcome))
      throw new Error(`unknown outcome '${o.outcome}'`);
    await c.query(
      `UPDATE choices SET ${o.outcome} = 1, outcome_value = outcome_value + $1 WHERE decision_id = $2 AND action_id = $3`,
      [o.value ?? 0, o.decisionId, o.actionId],
    );
    if (o.interaction && o.customerId !== null) {
      const i = o.interaction;
      await c.query(
        'INSERT INTO interactions (customer_id, kind, action_id, issue, grp, channel, at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [o.customerId, i.kind, i.actionId, i.issue, i.group, i.channel, i.at],
      );
    }
    const record: OutcomeRecord = {
      seq: rows[0]!.seq,
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

/** The columns of a decision's choices, as arrays for unnest (action, issue, group, rank, probability, propensity, value). */
function choiceColumns(decision: DecisionRecord): unknown[] {
  const chosen = decision.chosen;
  return [
    chosen.map((k) => k.actionId),
    chosen.map((k) => k.issue),
    chosen.map((k) => k.group),
    chosen.map((k) => k.rank),
    chosen.map((k) => k.probability),
    chosen.map((k) => k.propensity),
    chosen.map((k) => decision.candidates.find((x) => x.actionId === k.actionId)?.value ?? 0),
  ];
}

/** The columns of contacts, as arrays for unnest (kind, action, issue, group, channel, at). */
function contactColumns(contacts: readonly InteractionRecord[]): unknown[] {
  return [
    contacts.map((k) => k.kind),
    contacts.map((k) => k.actionId),
    contacts.map((k) => k.issue),
    contacts.map((k) => k.group),
    contacts.map((k) => k.channel),
    contacts.map((k) => k.at),
  ];
}
