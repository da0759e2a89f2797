// Managed API keys on SQLite: a change and its audit entry in one write (one transaction).
import { type ApiKeyRow, KEY_INSERT, KEY_REVOKE, keyValues, planKeyChange, toApiKey } from '../keyRows.ts';
import type { ApiKeyChange, ApiKeyRecord, KeyChangeVerdict } from '../store.ts';
import type { SqliteStore } from './store.ts';

const q = () => '?';

export function apiKeys(s: SqliteStore): ApiKeyRecord[] {
  return (s.sql('SELECT * FROM api_keys ORDER BY created_at, id').all() as ApiKeyRow[]).map(toApiKey);
}

export function changeApiKeys(s: SqliteStore, change: ApiKeyChange, now: number): Promise<KeyChangeVerdict> {
  // The write runs alone inside SQLite's write lock, so the check and the change cannot interleave with another's.
  return s.write(() => {
    const plan = planKeyChange(apiKeys(s), change, now);
    if (plan.verdict !== 'ok') return plan.verdict;
    if (plan.revokeValues) s.sql(KEY_REVOKE(q)).run(...plan.revokeValues);
    if (change.insert) s.sql(KEY_INSERT(q)).run(...keyValues(change.insert));
    s.appendAuditNow(change.audit);
    return 'ok';
  });
}
