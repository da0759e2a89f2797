// Catalog versions on SQLite: one active at a time; adding the active one's source again changes nothing.
import { type CatalogRow, toCatalog, toCatalogInfo } from '../rows.ts';
import type { AuditOf, StoredCatalog } from '../store.ts';
import type { SqliteStore } from './store.ts';

export async function activeCatalog(s: SqliteStore): Promise<StoredCatalog | undefined> {
  const row = s.sql('SELECT * FROM catalogs WHERE active = 1 ORDER BY version DESC LIMIT 1').get() as
    | CatalogRow
    | undefined;
  return row && toCatalog(row);
}

export async function getCatalog(s: SqliteStore, version: number): Promise<StoredCatalog | undefined> {
  const row = s.sql('SELECT * FROM catalogs WHERE version = ?').get(version) as CatalogRow | undefined;
  return row && toCatalog(row);
}

export async function listCatalogs(s: SqliteStore) {
  const rows = s
    .sql('SELECT version, hash, created_at, active FROM catalogs ORDER BY version')
    .all() as Array<Omit<CatalogRow, 'source'>>;
  return rows.map(toCatalogInfo);
}

export async function addCatalog(
  s: SqliteStore,
  source: string,
  hash: string,
  now: number,
  audit?: AuditOf<StoredCatalog>,
): Promise<StoredCatalog> {
  return s.write(() => {
    const active = s.sql('SELECT * FROM catalogs WHERE active = 1 ORDER BY version DESC LIMIT 1').get() as
      | CatalogRow
      | undefined;
    if (active?.hash === hash) return toCatalog(active);
    s.sql('UPDATE catalogs SET active = 0 WHERE active = 1').run();
    const info = s
      .sql('INSERT INTO catalogs (hash, source, created_at, active) VALUES (?, ?, ?, 1)')
      .run(hash, source, now);
    const stored = { version: Number(info.lastInsertRowid), hash, source, createdAt: now, active: true };
    s.appendAuditNow(audit?.(stored));
    return stored;
  });
}
