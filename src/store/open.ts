// Opens a store from a URL: `postgres://…` (or `postgresql://…`) for PostgreSQL, `sqlite:<path>` or a plain
// file path for the embedded SQLite file (`:memory:` for a throwaway one).
import { rmSync } from 'node:fs';
import { PostgresStore } from './postgres/store.ts';
import { SqliteStore } from './sqlite/store.ts';
import type { Store } from './store.ts';

export type StoreDialect = 'sqlite' | 'postgres';

/** Which dialect a URL names, and what the adapter is given (the file path, or the connection string). */
export function parseStoreUrl(url: string): { dialect: StoreDialect; target: string } {
  const text = url.trim();
  if (text === '') throw new Error('empty database URL');
  if (/^postgres(ql)?:\/\//i.test(text)) {
    const target = withSocketHost(text);
    if (!URL.canParse(target)) throw new Error(`not a valid PostgreSQL URL: ${text}`);
    return { dialect: 'postgres', target };
  }
  const sqlite = /^sqlite:(\/\/)?(.*)$/i.exec(text);
  if (sqlite) {
    if (sqlite[2] === '') throw new Error(`no file in ${text} (sqlite:path/to/file.db)`);
    return { dialect: 'sqlite', target: sqlite[2]! };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text))
    throw new Error(`unknown database URL scheme in ${text} (use postgres:// or sqlite:)`);
  return { dialect: 'sqlite', target: text };
}

/**
 * libpq's form for a server's Unix socket, `postgres://user@/db?host=/var/run/postgresql` (no host before the
 * path), is no WHATWG URL; the same connection with the socket directory percent-encoded as the host is.
 */
function withSocketHost(text: string): string {
  const m = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?(\/[^?#]*)\?([^#]*)$/i.exec(text);
  if (!m) return text;
  const params = new URLSearchParams(m[4]);
  const host = params.get('host');
  if (!host?.startsWith('/')) return text;
  params.delete('host');
  const query = params.toString();
  return `${m[1]}${m[2] ?? ''}${encodeURIComponent(host)}${m[3]}${query ? `?${query}` : ''}`;
}

export interface OpenOptions {
  /** SQLite: run the hot writes in a thread of their own (what a server wants; see sqlite/writer.ts). */
  writerThread?: boolean;
}

/** A store for the URL, migrated and ready. */
export async function openStore(url: string, options: OpenOptions = {}): Promise<Store> {
  const { dialect, target } = parseStoreUrl(url);
  const store =
    dialect === 'postgres'
      ? new PostgresStore(target)
      : new SqliteStore(target, { writerThread: options.writerThread ?? false });
  try {
    await store.init();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}

/** The database a command uses: `--db`, else NEXTBEST_DB, else the given default file. */
export function databaseUrl(option: string | undefined, env: NodeJS.ProcessEnv, fallback: string): string {
  return option ?? env.NEXTBEST_DB ?? fallback;
}

/** Empties a database for a fresh start: a SQLite file (and its WAL) is removed, a PostgreSQL schema dropped. */
export async function resetDatabase(url: string): Promise<void> {
  const { dialect, target } = parseStoreUrl(url);
  if (dialect === 'sqlite') {
    if (target !== ':memory:')
      for (const f of [target, `${target}-wal`, `${target}-shm`]) rmSync(f, { force: true });
    return;
  }
  const store = new PostgresStore(target);
  try {
    await store.dropTables();
  } finally {
    await store.close();
  }
}
