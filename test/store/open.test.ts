// Stores open from a URL (--db, NEXTBEST_DB); a bad URL or an unreachable server is a clear error, in the API
// and in the CLI.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { databaseUrl, openStore, parseStoreUrl } from '../../src/store/open.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { DIALECTS, POSTGRES_AVAILABLE, postgres } from './dialects.ts';

describe('store URLs', () => {
  it.each([
    ['nextbest.db', 'sqlite', 'nextbest.db'],
    ['/var/lib/nextbest/nb.db', 'sqlite', '/var/lib/nextbest/nb.db'],
    ['sqlite:data/nb.db', 'sqlite', 'data/nb.db'],
    ['sqlite:///tmp/nb.db', 'sqlite', '/tmp/nb.db'],
    [':memory:', 'sqlite', ':memory:'],
    ['postgres://u@db:5432/nb', 'postgres', 'postgres://u@db:5432/nb'],
    ['postgresql://u@db/nb?schema=x', 'postgres', 'postgresql://u@db/nb?schema=x'],
  ])('%s is %s', (url, dialect, target) => {
    expect(parseStoreUrl(url)).toEqual({ dialect, target });
  });

  it.each([
    ['', 'empty database URL'],
    ['mysql://db/nb', 'unknown database URL scheme'],
    ['sqlite:', 'no file'],
  ])('%j is refused: %s', (url, message) => {
    expect(() => parseStoreUrl(url)).toThrow(message);
  });

  it('takes --db first, then NEXTBEST_DB, then the default file', () => {
    expect(databaseUrl('a.db', { NEXTBEST_DB: 'postgres://x/y' }, 'd.db')).toBe('a.db');
    expect(databaseUrl(undefined, { NEXTBEST_DB: 'postgres://x/y' }, 'd.db')).toBe('postgres://x/y');
    expect(databaseUrl(undefined, {}, 'd.db')).toBe('d.db');
  });

  it.each(DIALECTS)('opens a migrated store of the dialect ($name)', async (d) => {
    const store = await openStore(d.freshUrl());
    expect(store).toBeInstanceOf(d.name === 'sqlite' ? SqliteStore : PostgresStore);
    expect(await store.countCustomers()).toBe(0);
    await store.close();
  });

  const SOCKET_DIR = '/var/run/postgresql';
  it.skipIf(!POSTGRES_AVAILABLE || !existsSync(`${SOCKET_DIR}/.s.PGSQL.5432`))(
    "opens PostgreSQL over the server's Unix socket, in libpq's form or the percent-encoded one",
    async () => {
      const schema = `socket_${process.pid}`;
      // libpq's form (no host, the socket directory as a parameter) becomes the percent-encoded one.
      expect(parseStoreUrl(`postgres://postgres@/test?host=${SOCKET_DIR}&schema=${schema}`).target).toBe(
        `postgres://postgres@${encodeURIComponent(SOCKET_DIR)}/test?schema=${schema}`,
      );
      const store = await openStore(`postgres://postgres@/test?host=${SOCKET_DIR}&schema=${schema}`);
      try {
        await store.putCustomer('c', { x: 1 }, 1);
        expect(await store.getCustomer('c')).toMatchObject({ attributes: { x: 1 } });
      } finally {
        await (store as PostgresStore).pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await store.close();
      }
    },
  );

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => new PostgresStore('postgres://u@h/db?schema=a;drop')).toThrow('schema');
  });

  it('the CLI names --db when the URL is wrong or the server does not answer', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['bin/nextbest.mjs', ...args], { encoding: 'utf8', timeout: 30_000 });
    const bad = run('kpis', '--db', 'mysql://db/nb');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--db: unknown database URL scheme');
    const down = run('kpis', '--db', 'postgres://nobody@127.0.0.1:9/nb');
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/^--db: .*(ECONNREFUSED|connect)/m);
  });

  it.skipIf(!POSTGRES_AVAILABLE)('NEXTBEST_DB selects PostgreSQL for the CLI', () => {
    const url = postgres.freshUrl();
    const r = spawnSync(process.execPath, ['bin/nextbest.mjs', 'kpis', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, NEXTBEST_DB: url },
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: [] });
  });
});
