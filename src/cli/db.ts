// How CLI commands open their database: a bad URL, an unreachable server or a missing SQLite file ends the
// command with the option at fault and the reason.
import { existsSync } from 'node:fs';
import { type OpenOptions, openStore, parseStoreUrl } from '../store/open.ts';
import type { Store } from '../store/store.ts';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** Opens a store, or ends the command with the reason (a bad URL, an unreachable server). */
export async function open(url: string, option = '--db', options: OpenOptions = {}): Promise<Store> {
  try {
    return await openStore(url, options);
  } catch (error) {
    return fail(`${option}: ${(error as Error).message}`);
  }
}

/** Opens an existing database (a SQLite file is never created by accident). */
export async function openExisting(url: string, option = '--db'): Promise<Store> {
  let parsed: ReturnType<typeof parseStoreUrl>;
  try {
    parsed = parseStoreUrl(url);
  } catch (error) {
    return fail(`${option}: ${(error as Error).message}`);
  }
  if (parsed.dialect === 'sqlite' && parsed.target !== ':memory:' && !existsSync(parsed.target))
    fail(`${option}: no database at ${parsed.target}`);
  return open(url, option);
}
