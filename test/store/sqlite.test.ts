import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/store/migrations.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { storeSuite } from './storeSuite.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteStore', () => {
  storeSuite(async () => new SqliteStore(join(dir, `s${++n}.db`)));
});

describe('SqliteStore with its hot writes in a writer thread', () => {
  storeSuite(async () => new SqliteStore(join(dir, `t${++n}.db`), { writerThread: true }));
});

describe('SqliteStore pragmas', () => {
  it('uses WAL with full sync, and migrating twice is harmless', async () => {
    const path = join(dir, 'wal.db');
    const a = new SqliteStore(path);
    await a.init();
    expect(a.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(a.db.pragma('synchronous', { simple: true })).toBe(2);
    await a.putCustomer('c', { x: 1 }, 1);
    await a.close();
    const b = new SqliteStore(path);
    await b.init();
    expect(await b.getCustomer('c')).toBeDefined();
    await b.close();
  });
});

const SQLITE_MIGRATIONS = readMigrations(new URL('../../src/store/sqlite/migrations/', import.meta.url));

describe('SqliteStore upgrades', () => {
  it('migrates a database of the last release (schema 6): budgets and model coverage carried over', async () => {
    const path = join(dir, 'v6.db');
    const old = new Database(path);
    for (const m of SQLITE_MIGRATIONS.slice(0, 6)) old.exec(m.sql);
    old.pragma('user_version = 6');
    old.exec(`
      INSERT INTO budget_usage (action_id, day, count) VALUES ('A1', 1, 2), ('A1', 2, 3), ('B1', 2, 1);
      INSERT INTO decisions (id, customer_id, channel, at, catalog_version, model_version, arm, payload)
        VALUES ('d1', 'c1', 'web', 1, 1, 'm#0', 'adaptive', '{}');
      INSERT INTO outcomes (decision_id, action_id, outcome, at, customer_id, learned) VALUES
        ('d1', 'A1', 'accept', 1, 'c1', 1), ('d1', 'B1', 'reject', 2, 'c1', 1);
      INSERT INTO settings (key, value) VALUES ('models.seq', '1');`);
    old.close();
    const store = new SqliteStore(path);
    await store.init();
    expect(store.db.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
    expect((await store.budgetUsage(['A1', 'B1'], 2)).get('A1')).toEqual({ today: 3, total: 5 });
    // The checkpoint covered outcome 1: only outcome 2 is left to fold.
    expect(store.db.prepare('SELECT seq, folded FROM outcomes ORDER BY seq').all()).toEqual([
      { seq: 1, folded: 1 },
      { seq: 2, folded: 0 },
    ]);
    expect(await store.getSetting('models.seq')).toBeUndefined();
    await store.close();
  });
});
