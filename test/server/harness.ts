import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Engine, type EngineOptions } from '../../src/engine/engine.ts';
import { buildServer } from '../../src/server/app.ts';
import { digest } from '../../src/server/auth.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

export const API_KEY = 'test-api-key-0123456789';
export const ADMIN_KEY = 'test-admin-key-0123456789';

export interface Running {
  url: string;
  app: FastifyInstance;
  engine: Engine;
  store: SqliteStore;
  /** fetch with a key and JSON; `body` objects are sent as JSON, strings as they are. */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; key?: string | null; headers?: Record<string, string> },
    // biome-ignore lint/suspicious/noExplicitAny: tests inspect response bodies freely
  ): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startServer(catalogSource: string, options: EngineOptions = {}): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-api-'));
  const store = new SqliteStore(join(dir, 'test.db'));
  await store.init();
  const engine = await Engine.open(store, catalogSource, { seed: 1, checkpointMs: 0, ...options });
  const app = await buildServer(engine, { keys: { api: [digest(API_KEY)], admin: [digest(ADMIN_KEY)] } });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    app,
    engine,
    store,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const key = opts.key === undefined ? API_KEY : opts.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (e.g. the docs page)
      }
      return { status: res.status, body: parsed };
    },
    async stop() {
      await app.close();
      await engine.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
