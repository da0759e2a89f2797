// What the PostgreSQL modules share: advisory lock keys, type parsing and small queries several of them run.

import pg from 'pg';
import type { InteractionRecord } from '../../core/types.ts';
import { AUDIT_INSERT, auditValues } from '../auditRows.ts';
import { historySql, type InteractionRow, toInteraction } from '../rows.ts';
import type { AuditEntry, OutboundMessage } from '../store.ts';

export type Client = pg.PoolClient;

/** Serialization failures and deadlocks: the transaction is run again (a few times). */
export const RETRYABLE = new Set(['40001', '40P01']);

/** Advisory lock keys (two 32-bit halves: this application's, then the purpose). */
export const LOCK_APP = 0x6e6278; // "nbx"
export const LOCK_MIGRATE = 1;
export const LOCK_FOLD = 2;
export const LOCK_CATALOG = 3;
export const LOCK_FEATURES = 4;
export const LOCK_CUSTOMER = 11;
export const LOCK_CHOICE = 12;
export const LOCK_BUDGET = 13;

/** Counts one choice of an action on a day (a reservation appends its condition). */
export const COUNT_CHOICE = `INSERT INTO budget_usage (action_id, day, count) VALUES ($1, $2, 1)
  ON CONFLICT (action_id, day) DO UPDATE SET count = budget_usage.count + 1`;

/** BIGINT and NUMERIC (counts, sums) as numbers: epoch milliseconds and counts fit a double exactly. */
export const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export type Queryable = Pick<pg.Pool | Client, 'query'>;

/** Appends an audit entry (inside the caller's transaction when `c` is one). */
export async function appendAuditIn(c: Queryable, entry: Omit<AuditEntry, 'seq'> | undefined): Promise<void> {
  if (entry)
    await c.query(
      AUDIT_INSERT((n) => `$${n}`),
      auditValues(entry),
    );
}

export async function putSetting(c: Queryable, key: string, value: string): Promise<void> {
  await c.query(
    'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    [key, value],
  );
}

export async function generation(c: Queryable): Promise<number> {
  const { rows } = await c.query<{ value: string }>(
    "SELECT value FROM settings WHERE key = 'models.generation'",
  );
  return Number(rows[0]?.value ?? 0);
}

export async function foldedSeq(c: Queryable): Promise<number> {
  const { rows } = await c.query<{ n: number }>(
    'SELECT coalesce(max(seq), 0) AS n FROM outcomes WHERE folded > 0',
  );
  return rows[0]!.n;
}

export async function history(
  c: Queryable,
  customerId: string,
  since: number,
  acceptsForever: boolean,
): Promise<InteractionRecord[]> {
  const { rows } = await c.query<InteractionRow>(
    historySql((n) => `$${n}`, acceptsForever),
    [customerId, since],
  );
  return rows.map(toInteraction);
}

export async function insertOutbound(c: Client, outbound: OutboundMessage): Promise<void> {
  await c.query(
    `INSERT INTO outbound (decision_id, customer_id, channel, trigger_id, event_at, created_at, status, available_at, message)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $6, $7)`,
    [
      outbound.decisionId,
      outbound.customerId,
      outbound.channel,
      outbound.trigger.id,
      outbound.trigger.eventAt,
      outbound.createdAt,
      JSON.stringify(outbound),
    ],
  );
}

/**
 * A decision's commit in one statement (one round trip, atomic by itself), for decisions whose limits are all
 * daily budgets: the decision, its choices and contacts, and one counter increment per chosen action (a daily
 * budget's only while under its limit). When a limit is reached the statement divides by zero, which undoes
 * all of it; the commit then runs as a transaction that names the actions refused.
 * $1–$8 decision, $9–$15 choices, $16–$21 contacts, $22 day, $23 chosen ids (sorted), $24 their daily limits.
 */
export const COMMIT_DECISION_STATEMENT = `
WITH d AS (
  INSERT INTO decisions (id, customer_id, channel, at, catalog_version, model_version, arm, payload)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
), c AS (
  INSERT INTO choices (decision_id, action_id, customer_id, channel, arm, issue, grp, at, rank, probability,
                       propensity, value)
  SELECT $1, a, $2, $3, $7, i, g, $4, r, p, q, v
  FROM unnest($9::text[], $10::text[], $11::text[], $12::int[], $13::float8[], $14::float8[], $15::float8[])
    AS t(a, i, g, r, p, q, v)
), i AS (
  INSERT INTO interactions (customer_id, kind, action_id, issue, grp, channel, at)
  SELECT $2, k, a, i, g, ch, t
  FROM unnest($16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::bigint[]) AS x(k, a, i, g, ch, t)
  WHERE $2::text IS NOT NULL
), b AS (
  INSERT INTO budget_usage AS u (action_id, day, count)
  SELECT a, $22, 1 FROM unnest($23::text[]) AS a
  ON CONFLICT (action_id, day) DO UPDATE SET count = u.count + 1
  WHERE NOT EXISTS (
    SELECT 1 FROM unnest($23::text[], $24::bigint[]) AS l(a, m)
    WHERE l.a = u.action_id AND l.m IS NOT NULL AND u.count >= l.m
  )
  RETURNING 1
)
SELECT CASE WHEN (SELECT count(*) FROM b) = cardinality($23::text[]) THEN 1
            ELSE (SELECT count(*) FROM b)::int / 0 END AS ok`;
