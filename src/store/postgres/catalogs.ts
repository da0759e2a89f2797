// Catalog versions on PostgreSQL: one active at a time; adding the active one's source again changes nothing.
import { type CatalogRow, toCatalog, toCatalogInfo } from '../rows.ts';
import type { AuditOf, StoredCatalog } from '../store.ts';
import { appendAuditIn, LOCK_APP, LOCK_CATALOG } from './sql.ts';
import type { PostgresStore } from './store.ts';

export async function activeCatalog(s: PostgresStore): Promise<StoredCatalog | undefined> {
  const [row] = await s.query<CatalogRow>(
    'SELECT * FROM catalogs WHERE active = 1 ORDER BY version DESC LIMIT 1',
  );
  return row && toCatalog(row);
}

export async function getCatalog(s: PostgresStore, version: number): Promise<StoredCatalog | undefined> {
  const [row] = await s.query<CatalogRow>('SELECT * FROM catalogs WHERE version = $1', [version]);
  return row && toCatalog(row);
}

export async function listCatalogs(s: PostgresStore) {
  const rows = await s.query<Omit<CatalogRow, 'source'>>(
    'SELECT version, hash, created_at, active FROM catalogs ORDER BY version',
  );
  return rows.map(toCatalogInfo);
}

export async function addCatalog(
  s: PostgresStore,
  source: string,
  hash: string,
  now: number,
  audit?: AuditOf<StoredCatalog>,
): Promise<StoredCatalog> {
  return s.tx(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_APP, LOCK_CATALOG]);
    const [active] = (
      await c.query<CatalogRow>('SELECT * FROM catalogs WHERE active = 1 ORDER BY version DESC LIMIT 1')
    ).rows;
    if (active?.hash === hash) return toCatalog(active);
    await c.query('UPDATE catalogs SET active = 0 WHERE active = 1');
    const { rows } = await c.query<{ version: number }>(
      'INSERT INTO catalogs (hash, source, created_at, active) VALUES ($1, $2, $3, 1) RETURNING version',
      [hash, source, now],
    );
    const stored = { version: rows[0]!.version, hash, source, createdAt: now, active: true };
    await appendAuditIn(c, audit?.(stored));
    return stored;
  });
}
