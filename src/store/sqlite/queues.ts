// Work queues on SQLite: trigger jobs left for recovery and outbound messages, each claimed by one process at a
// time (SQLite's one write lock makes the select and the claim one step).
import { randomUUID } from 'node:crypto';
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
import type { SqliteStore } from './store.ts';

export async function claimTriggerJobs(
  s: SqliteStore,
  query: { createdBefore: number; limit: number; now: number; leaseMs: number },
): Promise<TriggerJob[]> {
  const rows = await s.write(() => {
    const due = s
      .sql(
        'SELECT * FROM trigger_jobs WHERE created_at < ? AND coalesce(claimed_until, 0) <= ? ORDER BY id LIMIT ?',
      )
      .all(query.createdBefore, query.now, query.limit) as TriggerJobRow[];
    const claim = s.sql('UPDATE trigger_jobs SET claimed_until = ? WHERE id = ?');
    for (const r of due) claim.run(query.now + query.leaseMs, r.id);
    return due;
  });
  return rows.map(toTriggerJob);
}

export async function finishTriggerJobs(s: SqliteStore, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await s.write(() => {
    const remove = s.sql('DELETE FROM trigger_jobs WHERE id = ?');
    for (const id of ids) remove.run(id);
  });
}

export async function claimOutbound(s: SqliteStore, query: ClaimQuery): Promise<OutboundItem[]> {
  return s.write(() => {
    const channels = query.channels;
    const rows = s.db
      .prepare(
        `SELECT * FROM outbound WHERE status IN ('pending', 'claimed') AND available_at <= ?
         ${channels ? `AND channel IN (${channels.map(() => '?').join(', ')})` : ''}
         ORDER BY available_at, id LIMIT ?`,
      )
      .all(query.now, ...(channels ?? []), query.limit) as OutboundRow[];
    const giveUp = s.sql("UPDATE outbound SET status = 'failed', claim_token = NULL WHERE id = ?");
    const claim = s.sql(
      "UPDATE outbound SET status = 'claimed', attempts = attempts + 1, claim_token = ?, available_at = ? WHERE id = ?",
    );
    const items: OutboundItem[] = [];
    for (const row of rows) {
      if (row.attempts >= query.maxAttempts) {
        giveUp.run(row.id);
        continue;
      }
      const token = randomUUID();
      const leaseUntil = query.now + query.leaseMs;
      claim.run(token, leaseUntil, row.id);
      items.push(toClaimedItem(row, token, leaseUntil));
    }
    return items;
  });
}

export async function ackOutbound(
  s: SqliteStore,
  id: number,
  claimToken: string,
  now: number,
): Promise<OutboundSettle> {
  return settleOutbound(s, id, claimToken, () =>
    s.sql("UPDATE outbound SET status = 'done', done_at = ?, claim_token = NULL WHERE id = ?").run(now, id),
  );
}

export async function releaseOutbound(
  s: SqliteStore,
  id: number,
  claimToken: string,
  retryAt: number,
  error: string,
): Promise<OutboundSettle> {
  return settleOutbound(s, id, claimToken, () =>
    s
      .sql(
        "UPDATE outbound SET status = 'pending', available_at = ?, last_error = ?, claim_token = NULL WHERE id = ?",
      )
      .run(retryAt, error, id),
  );
}

/** Settles a claim when the token is the current one (a lease that ran out but was not re-claimed still counts). */
function settleOutbound(
  s: SqliteStore,
  id: number,
  claimToken: string,
  update: () => void,
): Promise<OutboundSettle> {
  return s.write(() => {
    const row = s.sql('SELECT status, claim_token FROM outbound WHERE id = ?').get(id) as
      | { status: OutboundStatus; claim_token: string | null }
      | undefined;
    if (!row) return 'unknown';
    if (row.status !== 'claimed') return 'not_claimed';
    if (row.claim_token !== claimToken) return 'wrong_token';
    update();
    return 'ok';
  });
}
export async function outboundCounts(
  s: SqliteStore,
): Promise<Array<{ channel: string; status: OutboundStatus; count: number }>> {
  return s
    .sql(
      'SELECT channel, status, count(*) AS count FROM outbound GROUP BY channel, status ORDER BY channel, status',
    )
    .all() as Array<{ channel: string; status: OutboundStatus; count: number }>;
}

export async function outboundForCustomer(s: SqliteStore, customerId: string): Promise<CustomerOutbound[]> {
  const rows = s.sql(CUSTOMER_OUTBOUND_SELECT('?')).all(customerId) as CustomerOutboundRow[];
  return rows.map(toCustomerOutbound);
}
