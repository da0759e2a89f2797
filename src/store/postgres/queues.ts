// Work queues on PostgreSQL: trigger jobs left for recovery and outbound messages, each claimed by one process at
// a time (FOR UPDATE SKIP LOCKED: processes claiming at once take different rows).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  CUSTOMER_OUTBOUND_SELECT,
  type CustomerOutboundRow,
  type OutboundRow,
  type TriggerJobRow,
  toClaimedItem,
  toCustomerOutbound,
  toTriggerJob,
} from '../rows.ts';
import type {
  ClaimQuery,
  CustomerOutbound,
  OutboundItem,
  OutboundSettle,
  OutboundStatus,
  TriggerJob,
} from '../store.ts';
import type { Client } from './sql.ts';
import type { PostgresStore } from './store.ts';

export async function claimTriggerJobs(
  s: PostgresStore,
  query: { createdBefore: number; limit: number; now: number; leaseMs: number },
): Promise<TriggerJob[]> {
  const rows = await s.query<TriggerJobRow>(
    `UPDATE trigger_jobs SET claimed_until = $3 WHERE id IN (
       SELECT id FROM trigger_jobs WHERE created_at < $1 AND coalesce(claimed_until, 0) <= $2
       ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [query.createdBefore, query.now, query.now + query.leaseMs, query.limit],
  );
  return rows.sort((a, b) => a.id - b.id).map(toTriggerJob);
}

export async function finishTriggerJobs(s: PostgresStore, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await s.query('DELETE FROM trigger_jobs WHERE id = ANY($1)', [ids]);
}

export async function claimOutbound(s: PostgresStore, query: ClaimQuery): Promise<OutboundItem[]> {
  return s.tx(async (c) => {
    const channels = query.channels;
    const rows = (
      await c.query<OutboundRow>(
        `SELECT id, attempts, last_error, message FROM outbound
         WHERE status IN ('pending', 'claimed') AND available_at <= $1 ${channels ? 'AND channel = ANY($3)' : ''}
         ORDER BY available_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        channels ? [query.now, query.limit, channels] : [query.now, query.limit],
      )
    ).rows;
    const items: OutboundItem[] = [];
    for (const row of rows) {
      if (row.attempts >= query.maxAttempts) {
        await c.query("UPDATE outbound SET status = 'failed', claim_token = NULL WHERE id = $1", [row.id]);
        continue;
      }
      const token = randomUUID();
      const leaseUntil = query.now + query.leaseMs;
      await c.query(
        "UPDATE outbound SET status = 'claimed', attempts = attempts + 1, claim_token = $1, available_at = $2 WHERE id = $3",
        [token, leaseUntil, row.id],
      );
      items.push(toClaimedItem(row, token, leaseUntil));
    }
    return items;
  });
}

export async function ackOutbound(
  s: PostgresStore,
  id: number,
  claimToken: string,
  now: number,
): Promise<OutboundSettle> {
  return settleOutbound(s, id, claimToken, (c) =>
    c.query("UPDATE outbound SET status = 'done', done_at = $1, claim_token = NULL WHERE id = $2", [now, id]),
  );
}

export async function releaseOutbound(
  s: PostgresStore,
  id: number,
  claimToken: string,
  retryAt: number,
  error: string,
): Promise<OutboundSettle> {
  return settleOutbound(s, id, claimToken, (c) =>
    c.query(
      "UPDATE outbound SET status = 'pending', available_at = $1, last_error = $2, claim_token = NULL WHERE id = $3",
      [retryAt, error, id],
    ),
  );
}

/** Settles a claim when the token is the current one (a lease that ran out but was not re-claimed still counts). */
function settleOutbound(
  s: PostgresStore,
  id: number,
  claimToken: string,
  update: (c: Client) => Promise<unknown>,
) {
  return s.tx(async (c): Promise<OutboundSettle> => {
    const [row] = (
      await c.query<{ status: OutboundStatus; claim_token: string | null }>(
        'SELECT status, claim_token FROM outbound WHERE id = $1 FOR UPDATE',
        [id],
      )
    ).rows;
    if (!row) return 'unknown';
    if (row.status !== 'claimed') return 'not_claimed';
    if (row.claim_token !== claimToken) return 'wrong_token';
    await update(c);
    return 'ok';
  });
}

export async function outboundCounts(
  s: PostgresStore,
): Promise<Array<{ channel: string; status: OutboundStatus; count: number }>> {
  return s.query(
    'SELECT channel, status, count(*) AS count FROM outbound GROUP BY channel, status ORDER BY channel, status',
  );
}

export async function outboundForCustomer(s: PostgresStore, customerId: string): Promise<CustomerOutbound[]> {
  const rows = await s.query<CustomerOutboundRow & pg.QueryResultRow>(CUSTOMER_OUTBOUND_SELECT('$1'), [
    customerId,
  ]);
  return rows.map(toCustomerOutbound);
}
