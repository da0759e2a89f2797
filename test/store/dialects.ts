// The store dialects the tests run on: SQLite always; PostgreSQL at NEXTBEST_TEST_PG (default: the local server
// on 127.0.0.1:5432, database `test`). Each PostgreSQL store gets a schema of its own, dropped after the run.
// Outside CI a missing server skips the PostgreSQL runs with a message; in CI (CI=true) it fails them.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';
import { openStore } from '../../src/store/open.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/store.ts';

export const PG_URL = process.env.NEXTBEST_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const problem = await reachable();
if (problem && process.env.CI !== 'true')
  console.warn(`PostgreSQL tests skipped: no server at ${PG_URL} (${problem}); set NEXTBEST_TEST_PG`);
if (problem && process.env.CI === 'true')
  throw new Error(`PostgreSQL is required in CI: no server at ${PG_URL} (${problem})`);

export const POSTGRES_AVAILABLE = problem === undefined;

export interface Dialect {
  name: 'sqlite' | 'postgres';
  /** A URL for a new, empty database (a file, or a schema of its own). */
  freshUrl(): string;
}

const schemas: string[] = [];
let dir: string | undefined;
let n = 0;

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const s of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await client.end();
});

export const sqlite: Dialect = {
  name: 'sqlite',
  freshUrl() {
    dir ??= mkdtempSync(join(tmpdir(), 'nextbest-dialect-'));
    return join(dir, `db${++n}.sqlite`);
  },
};

export const postgres: Dialect = {
  name: 'postgres',
  freshUrl() {
    const schema = `nbt_${process.pid}_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    return url.toString();
  },
};

/** The dialects to run on here. */
export const DIALECTS: Dialect[] = POSTGRES_AVAILABLE ? [sqlite, postgres] : [sqlite];

/** A new, migrated store of a dialect. */
export function freshStore(d: Dialect): Promise<Store> {
  return openStore(d.freshUrl());
}

/** Runs raw SQL on a store (test set-up that no contract method offers). */
export async function execSql(store: Store, sql: string): Promise<void> {
  if (store instanceof SqliteStore) store.db.exec(sql);
  else if (store instanceof PostgresStore) await store.pool.query(sql);
  else throw new Error('unknown store');
}
