// The audit trail's query and rows, the same for both dialects (only the placeholder differs).
import type { AuditEntry, AuditRepository } from './store.ts';

export type AuditQuery = Parameters<AuditRepository['auditLog']>[0];

export interface AuditRow {
  seq: number | string;
  at: number | string;
  key_id: string | null;
  request_id: string | null;
  action: string;
  target: string;
  summary: string;
}

/** The SELECT for a page of the audit trail; `placeholder(n)` is `?` or `$n`. */
export function auditSelect(
  query: AuditQuery,
  placeholder: (n: number) => string,
): { text: string; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (column: string, value: unknown) => {
    values.push(value);
    where.push(`${column} ${placeholder(values.length)}`);
  };
  if (query.before !== undefined) add('seq <', query.before);
  if (query.action !== undefined) add('action =', query.action);
  if (query.from !== undefined) add('at >=', query.from);
  if (query.to !== undefined) add('at <', query.to);
  values.push(query.limit);
  const filter = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  return {
    text: `SELECT * FROM audit_log${filter} ORDER BY seq DESC LIMIT ${placeholder(values.length)}`,
    values,
  };
}

export const AUDIT_INSERT = (p: (n: number) => string) =>
  `INSERT INTO audit_log (at, key_id, request_id, action, target, summary) VALUES (${[1, 2, 3, 4, 5, 6].map(p).join(', ')})`;

export function auditValues(entry: Omit<AuditEntry, 'seq'>): unknown[] {
  return [entry.at, entry.keyId, entry.requestId, entry.action, entry.target, entry.summary];
}

export function toAuditEntry(r: AuditRow): AuditEntry {
  return {
    seq: Number(r.seq),
    at: Number(r.at),
    keyId: r.key_id,
    requestId: r.request_id,
    action: r.action,
    target: r.target,
    summary: r.summary,
  };
}
