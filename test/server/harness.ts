import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { OpenAPIV3 } from 'openapi-types';
import { Engine, type EngineOptions } from '../../src/engine/engine.ts';
import { buildServer, type ServerOptions } from '../../src/server/app.ts';
import { API_KEY_SCOPES, KeyRing } from '../../src/server/auth.ts';
import { ApiKeys } from '../../src/server/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { contractCheck } from './contract.ts';

export const API_KEY = 'test-api-key-0123456789';
export const ADMIN_KEY = 'test-admin-key-0123456789';

export interface Running {
  url: string;
  app: FastifyInstance;
  engine: Engine;
  store: Store;
  /** fetch with a key and JSON; `body` objects are sent as JSON, strings as they are. */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; key?: string | null; headers?: Record<string, string> },
    // biome-ignore lint/suspicious/noExplicitAny: tests inspect response bodies freely
  ): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** The test keys (fixed, as from the environment) over a store's managed keys. */
export function testKeys(store: Store, now: () => number = Date.now): ApiKeys {
  const keys = new ApiKeys(store, new KeyRing(now), now);
  keys.ring.addFixed(API_KEY, 'NEXTBEST_API_KEY', API_KEY_SCOPES, 'environment');
  keys.ring.addFixed(ADMIN_KEY, 'NEXTBEST_ADMIN_KEY', ['admin'], 'environment');
  return keys;
}

/** A server in this process on a new store: a SQLite file of its own, or the database `dbUrl` names. */
export async function startServer(
  catalogSource: string,
  options: EngineOptions = {},
  dbUrl?: string,
  server: Partial<ServerOptions> = {},
): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-api-'));
  const store = await openStore(dbUrl ?? join(dir, 'test.db'));
  const engine = await Engine.open(store, catalogSource, { seed: 1, checkpointMs: 0, ...options });
  // Rate limits off unless a test asks for them (test/server/protection.test.ts does).
  const app = await buildServer(engine, {
    // Keys expire on the engine's clock, so that a test can move it instead of waiting.
    keys: testKeys(engine.store, options.clock),
    rateLimits: false,
    ...server,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  // Every answer is held to the OpenAPI document (test/server/contract.ts).
  const contract = contractCheck(app.swagger() as OpenAPIV3.Document);
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
      contract(method, path, res.status, res.headers.get('content-type'), parsed);
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

/** A `nextbest serve` child process (its own Node.js process: what two nodes on one database look like). */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Asks the process to stop (SIGTERM: graceful, checkpoints) and waits until it has. */
  stop(): Promise<void>;
}

const DAY_MS = 86_400_000;
/**
 * Tests that count per budget day run their servers at midday UTC of today (the engine's clock shifted by this
 * much, in-process with `testClock`, in a server process with NEXTBEST_CLOCK_OFFSET_MS), so that no run crosses
 * midnight between a decision and the check of its day.
 */
export const MIDDAY_OFFSET_MS = (() => {
  const now = Date.now();
  return Math.floor(now / DAY_MS) * DAY_MS + DAY_MS / 2 - now;
})();
export const testClock = (): number => Date.now() + MIDDAY_OFFSET_MS;
/** The budget day of the shifted clock. */
export const testDay = (): number => Math.floor(testClock() / DAY_MS);
export const MIDDAY_ENV = { NEXTBEST_CLOCK_OFFSET_MS: String(MIDDAY_OFFSET_MS) };

export const PROCESS_ENV = {
  NEXTBEST_API_KEY: API_KEY,
  NEXTBEST_ADMIN_KEY: ADMIN_KEY,
  // Load tests send faster than the default limits allow; protection.test.ts switches them on.
  NEXTBEST_RATE_LIMITS: 'off',
};

export function spawnServer(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    ['bin/nextbest.mjs', 'serve', '--port', '0', '--workers', '1', ...args],
    {
      env: { ...process.env, ...PROCESS_ENV, ...env },
      stdio: 'pipe',
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          url: m[1]!,
          async stop() {
            if (child.exitCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
}

/** fetch with the API key and a JSON body; answers the status and the parsed body. */
export async function callUrl(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  key = API_KEY,
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect response bodies freely
): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

/** Total responses over a server's models (GET /v1/models). */
export async function modelResponses(url: string): Promise<number> {
  const r = await callUrl(url, 'GET', '/v1/models', undefined, ADMIN_KEY);
  if (r.status !== 200) throw new Error(`GET /v1/models: ${r.status}`);
  return (r.body.models as Array<{ responses: number }>).reduce((n, m) => n + m.responses, 0);
}

/** Polls `check` every 100 ms until it holds, or fails after `ms`. */
export async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
