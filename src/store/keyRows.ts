// Managed API keys: the rows and the rule for a change, the same for both dialects (only the SQL runner differs).
import type { ApiKeyChange, ApiKeyRecord } from './store.ts';

export interface ApiKeyRow {
  id: string;
  digest: string;
  label: string;
  scopes: string;
  created_at: number | string;
  expires_at: number | string | null;
  revoked_at: number | string | null;
  replaced_by: string | null;
  origins: string | null;
  channels: string | null;
}

const time = (v: number | string | null): number | null => (v === null ? null : Number(v));
/** Origins and channels contain no commas (checked when a key is created). */
const list = (v: string | null): string[] | null => (v === null ? null : v.split(','));

export function toApiKey(r: ApiKeyRow): ApiKeyRecord {
  return {
    id: r.id,
    digest: r.digest,
    label: r.label,
    scopes: r.scopes === '' ? [] : r.scopes.split(','),
    createdAt: Number(r.created_at),
    expiresAt: time(r.expires_at),
    revokedAt: time(r.revoked_at),
    replacedBy: r.replaced_by,
    origins: list(r.origins),
    channels: list(r.channels),
  };
}

export const KEY_INSERT = (p: (n: number) => string) =>
  `INSERT INTO api_keys (id, digest, label, scopes, created_at, expires_at, revoked_at, replaced_by, origins, channels) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(p).join(', ')})`;

export function keyValues(k: ApiKeyRecord): unknown[] {
  return [
    k.id,
    k.digest,
    k.label,
    k.scopes.join(','),
    k.createdAt,
    k.expiresAt,
    k.revokedAt,
    k.replacedBy,
    k.origins?.join(',') ?? null,
    k.channels?.join(',') ?? null,
  ];
}

export const KEY_REVOKE = (p: (n: number) => string) =>
  `UPDATE api_keys SET revoked_at = ${p(1)}, replaced_by = ${p(2)} WHERE id = ${p(3)}`;

/** Whether a key works at `at`. */
export function keyWorks(k: Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt'>, at: number): boolean {
  return (k.revokedAt === null || at < k.revokedAt) && (k.expiresAt === null || at < k.expiresAt);
}

/**
 * Checks a change against the keys as they are (read inside the change's transaction) and answers what to write:
 * the revocation's values for KEY_REVOKE, or why the change cannot be made.
 */
export function planKeyChange(
  keys: readonly ApiKeyRecord[],
  change: ApiKeyChange,
  now: number,
): { verdict: 'ok'; revokeValues?: unknown[] } | { verdict: 'not found' | 'last admin' | 'exists' } {
  if (change.insert && keys.some((k) => k.id === change.insert!.id)) return { verdict: 'exists' };
  const revoke = change.revoke;
  if (!revoke) return { verdict: 'ok' };
  const target = keys.find((k) => k.id === revoke.id);
  // A key rotated already cannot be rotated again (its successor can).
  if (!target || !keyWorks(target, now) || (revoke.replacedBy && target.replacedBy))
    return { verdict: 'not found' };
  if (
    revoke.keepAnAdmin &&
    target.scopes.includes('admin') &&
    !keys.some((k) => k.id !== target.id && k.scopes.includes('admin') && keyWorks(k, now))
  )
    return { verdict: 'last admin' };
  // Revoking a key in its rotation grace period ends it now; nothing moves a key's end later.
  const at = target.revokedAt === null ? revoke.at : Math.min(target.revokedAt, revoke.at);
  return { verdict: 'ok', revokeValues: [at, revoke.replacedBy ?? target.replacedBy, target.id] };
}
