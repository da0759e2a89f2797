import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { storeSuite } from './storeSuite.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteStore', () => {
  storeSuite(async () => new SqliteStore(join(dir, `s${++n}.db`)));

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
