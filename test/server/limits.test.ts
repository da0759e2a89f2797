// Budgets and contact caps hold under simultaneous requests through the real HTTP server, and across two
// server processes on one database: a commit reserves them in the decision's own transaction.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { action, smallCatalogDoc } from '../helpers.ts';
import { DIALECTS, type Dialect } from '../store/dialects.ts';
import { ADMIN_KEY, callUrl, MIDDAY_ENV, spawnServer, testDay } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A catalog where `Limited` (the most valuable action) has the given budget and email has a weekly cap of 3. */
function limitsCatalog(budget: Record<string, number>) {
  return smallCatalogDoc({
    actions: [
      action('Limited', 'Sales', 'Cards', { value: 100, budget }),
      action('A1', 'Sales', 'Loans', { value: 10 }),
      action('B1', 'Service', 'Care', { value: 5 }),
      action('R1', 'Retention', 'Care', { value: 8 }),
    ],
    contactPolicies: [
      { id: 'weekly-email', type: 'maxContacts', scope: 'customer', count: 3, days: 7, channels: ['email'] },
    ],
  });
}

const chosen = (bodies: Array<{ body: { actions: Array<{ actionId: string }> } }>, id: string) =>
  bodies.filter((r) => r.body.actions.some((a) => a.actionId === id)).length;

let catalogs = 0;

/**
 * A server in its own process, so that requests really arrive at once (a client in the server's own event loop
 * would hand them over one by one), with customers C0…C199.
 */
async function withServer(dialect: Dialect, doc: Record<string, unknown>, run: (s: Server) => Promise<void>) {
  const file = join(dir, `catalog${++catalogs}.json`);
  writeFileSync(file, JSON.stringify(doc));
  const db = dialect.freshUrl();
  const p = await spawnServer(['--db', db, '--catalog', file, '--no-demo-data'], MIDDAY_ENV);
  try {
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        callUrl(p.url, 'PUT', `/v1/customers/C${i}`, { attributes: { age: 40 } }, ADMIN_KEY),
      ),
    );
    const store = await openStore(db);
    try {
      await run({
        call: (method, path, opts) => callUrl(p.url, method, path, opts?.body),
        store,
        day: testDay(),
      });
    } finally {
      await store.close();
    }
  } finally {
    await p.stop();
  }
}

interface Server {
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect response bodies freely
  call(method: string, path: string, opts?: { body?: unknown }): Promise<{ status: number; body: any }>;
  /** The server's database, opened beside it. */
  store: Store;
  day: number;
}

describe.each(DIALECTS)('limits under concurrency (one server process, $name)', (dialect) => {
  it('200 simultaneous decides against a daily budget of 10 choose it exactly 10 times', async () => {
    await withServer(dialect, limitsCatalog({ maxPerDay: 10 }), async (s) => {
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          s.call('POST', '/v1/decide', { body: { customerId: `C${i}`, channel: 'web', limit: 1 } }),
        ),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(chosen(answers, 'Limited')).toBe(10);
      // What was answered is what was logged and counted.
      expect((await s.store.budgetUsage(['Limited'], s.day)).get('Limited')).toEqual({
        today: 10,
        total: 10,
      });
      // Every answer still offers something: the refused ones were decided again without the action.
      expect(answers.every((a) => a.body.actions.length === 1)).toBe(true);
    });
  });

  it('20 simultaneous decides for one customer against a daily budget of 1, and a total budget', async () => {
    await withServer(dialect, limitsCatalog({ maxPerDay: 1 }), async (s) => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          s.call('POST', '/v1/decide', { body: { customerId: 'C1', channel: 'web', limit: 2 } }),
        ),
      );
      expect(chosen(answers, 'Limited')).toBe(1);
    });
    await withServer(dialect, limitsCatalog({ total: 7 }), async (s) => {
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          s.call('POST', '/v1/decide', { body: { customerId: `C${i}`, channel: 'web', limit: 3 } }),
        ),
      );
      expect(chosen(answers, 'Limited')).toBe(7);
    });
  });

  it('40 simultaneous email decides for one customer stay within a weekly cap of 3', async () => {
    await withServer(dialect, limitsCatalog({ maxPerDay: 1000 }), async (s) => {
      const answers = await Promise.all(
        Array.from({ length: 40 }, () =>
          s.call('POST', '/v1/decide', { body: { customerId: 'C7', channel: 'email', limit: 1 } }),
        ),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      const contacts = answers.reduce((n, a) => n + a.body.actions.length, 0);
      expect(contacts).toBe(3);
      const history = await s.store.loadHistory('C7', 0, false);
      expect(history.filter((h) => h.kind === 'contact' && h.channel === 'email')).toHaveLength(3);
    });
  });

  it('limit 1, 1, then 3 on email stays within the cap (a cap counts the same decision’s slots)', async () => {
    await withServer(dialect, limitsCatalog({ maxPerDay: 1000 }), async (s) => {
      const sizes: number[] = [];
      for (const limit of [1, 1, 3]) {
        const r = await s.call('POST', '/v1/decide', { body: { customerId: 'C8', channel: 'email', limit } });
        expect(r.status).toBe(200);
        sizes.push(r.body.actions.length);
      }
      expect(sizes).toEqual([1, 1, 1]);
      // The cap only concerns email: the web still gets three.
      const web = await s.call('POST', '/v1/decide', {
        body: { customerId: 'C8', channel: 'web', limit: 3 },
      });
      expect(web.body.actions).toHaveLength(3);
    });
  });
});

describe.each(DIALECTS)('limits across two server processes on one database ($name)', (dialect) => {
  it('two processes deciding at once never exceed a daily budget or a weekly cap', async () => {
    const db = dialect.freshUrl();
    const catalog = join(dir, 'limits.json');
    writeFileSync(catalog, JSON.stringify(limitsCatalog({ maxPerDay: 10 })));
    const a = await spawnServer(['--db', db, '--catalog', catalog, '--no-demo-data'], MIDDAY_ENV);
    const b = await spawnServer(['--db', db, '--catalog', catalog, '--no-demo-data'], MIDDAY_ENV);
    try {
      for (let i = 0; i < 100; i++)
        expect(
          (await callUrl(a.url, 'PUT', `/v1/customers/C${i}`, { attributes: { age: 30 } }, ADMIN_KEY)).status,
        ).toBeLessThan(300);
      const burst = (url: string, n: number, body: (i: number) => unknown) =>
        Array.from({ length: n }, (_, i) => callUrl(url, 'POST', '/v1/decide', body(i)));
      const web = await Promise.all([
        ...burst(a.url, 100, (i) => ({ customerId: `C${i}`, channel: 'web', limit: 1 })),
        ...burst(b.url, 100, (i) => ({ customerId: `C${99 - i}`, channel: 'web', limit: 1 })),
      ]);
      expect(web.every((r) => r.status === 200)).toBe(true);
      expect(chosen(web, 'Limited')).toBe(10);
      const email = await Promise.all([
        ...burst(a.url, 20, () => ({ customerId: 'C5', channel: 'email', limit: 1 })),
        ...burst(b.url, 20, () => ({ customerId: 'C5', channel: 'email', limit: 2 })),
      ]);
      expect(email.every((r) => r.status === 200)).toBe(true);
      expect(email.reduce((n, r) => n + r.body.actions.length, 0)).toBe(3);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('serve --workers 2: simultaneous decides on one port never exceed a daily budget or a weekly cap', {
    timeout: 60_000,
  }, async () => {
    const db = dialect.freshUrl();
    const catalog = join(dir, `limits-workers-${dialect.name}.json`);
    writeFileSync(catalog, JSON.stringify(limitsCatalog({ maxPerDay: 10 })));
    const server = await spawnServer(
      ['--db', db, '--catalog', catalog, '--no-demo-data', '--workers', '2'],
      MIDDAY_ENV,
    );
    try {
      // The primary and its two workers share the port.
      const pid = server.child.pid;
      expect(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)).toHaveLength(2);
      for (let i = 0; i < 100; i++)
        expect(
          (await callUrl(server.url, 'PUT', `/v1/customers/C${i}`, { attributes: { age: 30 } }, ADMIN_KEY))
            .status,
        ).toBeLessThan(300);
      const burst = (n: number, body: (i: number) => unknown) =>
        Array.from({ length: n }, (_, i) => callUrl(server.url, 'POST', '/v1/decide', body(i)));
      const web = await Promise.all(
        burst(200, (i) => ({ customerId: `C${i % 100}`, channel: 'web', limit: 1 })),
      );
      expect(web.every((r) => r.status === 200)).toBe(true);
      expect(chosen(web, 'Limited')).toBe(10);
      const email = await Promise.all(
        burst(40, (i) => ({ customerId: 'C5', channel: 'email', limit: 1 + (i % 2) })),
      );
      expect(email.every((r) => r.status === 200)).toBe(true);
      expect(email.reduce((n, r) => n + r.body.actions.length, 0)).toBe(3);
    } finally {
      await server.stop();
    }
  });
});
