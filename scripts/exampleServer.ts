// The real server on the example catalog and an in-memory store, in this process, for the scripts that read the
// API from the inside (the OpenAPI examples, the client types).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Engine } from '../src/engine/engine.ts';
import { buildServer } from '../src/server/app.ts';
import { KeyRing } from '../src/server/auth.ts';
import { ApiKeys } from '../src/server/keys.ts';
import { openStore } from '../src/store/open.ts';

export const ROOT = join(import.meta.dirname, '..');
export const EXAMPLE_CATALOG = readFileSync(join(ROOT, 'examples/telco/catalog.yaml'), 'utf8');

/** Runs `use` against a ready server whose admin key is `adminKey` (if given), then closes everything. */
export async function withExampleServer<T>(
  use: (app: FastifyInstance) => Promise<T>,
  adminKey?: string,
): Promise<T> {
  const store = await openStore(':memory:');
  const engine = await Engine.open(store, EXAMPLE_CATALOG, { seed: 1, checkpointMs: 0 });
  const keys = new ApiKeys(store, new KeyRing());
  if (adminKey) keys.ring.addFixed(adminKey, 'NEXTBEST_ADMIN_KEY', ['admin'], 'environment');
  const app = await buildServer(engine, { keys, rateLimits: false });
  await app.ready();
  try {
    return await use(app);
  } finally {
    await app.close();
    await engine.close();
    await store.close();
  }
}
