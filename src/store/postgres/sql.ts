// What the PostgreSQL modules share: advisory lock keys, type parsing and small queries several of them run.

import pg from 'pg';
import type { InteractionRecord } from '../../core/types.ts';
import { type InteractionRow, toInteraction } from '../rows.ts';
import type { OutboundMessage } from '../store.ts';

export type Client = pg.PoolClient;

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
    'SELECT coalesce(max(seq), 0) AS n FROM outcomes WHERE folded = 1',
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
    acceptsForever
      ? "SELECT kind, action_id, issue, grp, channel, at FROM interactions WHERE customer_id = $1 AND (at >= $2 OR kind IN ('accept', 'convert')) ORDER BY at, id"
      : 'SELECT kind, action_id, issue, grp, channel, at FROM interactions WHERE customer_id = $1 AND at >= $2 ORDER BY at, id',
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
