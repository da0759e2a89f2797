// Managed API keys on PostgreSQL: a change and its audit entry in one transaction, one change at a time.
import { type ApiKeyRow, KEY_INSERT, KEY_REVOKE, keyValues, planKeyChange, toApiKey } from '../keyRows.ts';
import type { ApiKeyChange, ApiKeyRecord, KeyChangeVerdict } from '../store.ts';
import { appendAuditIn, type Queryable } from './sql.ts';
import type { PostgresStore } from './store.ts';

const p = (n: number) => `$${n}`;

export async function apiKeys(c: Queryable): Promise<ApiKeyRecord[]> {
  return (await c.query<ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at, id')).rows.map(toApiKey);
}

export function changeApiKeys(
  s: PostgresStore,
  change: ApiKeyChange,
  now: number,
): Promise<KeyChangeVerdict> {
  return s.tx(async (c) => {
    // Changes conflict with each other (this mode conflicts with itself), reads go on: two admins revoking each
    // other's key at once cannot both pass the last-admin check.
    await c.query('LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE');
    const plan = planKeyChange(await apiKeys(c), change, now);
    if (plan.verdict !== 'ok') return plan.verdict;
    if (plan.revokeValues) await c.query(KEY_REVOKE(p), plan.revokeValues);
    if (change.insert) await c.query(KEY_INSERT(p), keyValues(change.insert));
    await appendAuditIn(c, change.audit);
    return 'ok';
  });
}
