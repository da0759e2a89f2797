// Scoped, managed API keys through the real HTTP server: every route enforces the scope its documentation names;
// keys are created, listed, revoked and rotated without a restart, each change audited once; simultaneous changes
// keep the invariants (one revocation, one rotation, always an admin key); and other processes on the database
// (servers, the CLI) see every change within seconds, on SQLite and PostgreSQL.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG } from '../../src/cli/paths.ts';
import { Engine } from '../../src/engine/engine.ts';
import { buildServer } from '../../src/server/app.ts';
import { SCOPES } from '../../src/server/auth.ts';
import { ApiKeys, CLI_ACTOR } from '../../src/server/keys.ts';
import { openStore } from '../../src/store/open.ts';
import { smallCatalogDoc } from '../helpers.ts';
import { DIALECTS } from '../store/dialects.ts';
import { ADMIN_KEY, callUrl, PROCESS_ENV, type Running, spawnServer, startServer, until } from './harness.ts';

const run = promisify(execFile);
const catalogSource = readFileSync(BUNDLED_CATALOG, 'utf8');

describe('scopes on every route', () => {
  let server: Running;
  const keyOf: Record<string, string> = {};
  beforeAll(async () => {
    server = await startServer(catalogSource);
    await server.engine.putCustomer('C1', { age: 30 });
    for (const scope of SCOPES) {
      const r = await server.call('POST', '/v1/keys', {
        key: ADMIN_KEY,
        body: {
          label: `only ${scope}`,
          scopes: [scope],
          ...(scope === 'publishable' ? { origins: ['https://shop.example.com'], channels: ['web'] } : {}),
        },
      });
      expect(r.status).toBe(201);
      keyOf[scope] = r.body.key;
    }
  });
  afterAll(() => server.stop());

  it('answers 403 naming the scope exactly where the OpenAPI document says a route needs another', async () => {
    const doc = (await server.call('GET', '/docs/json', { key: null })).body;
    let checked = 0;
    for (const [path, item] of Object.entries(
      doc.paths as Record<string, Record<string, { description?: string; security?: unknown }>>,
    )) {
      for (const [method, op] of Object.entries(item)) {
        const m = /Needs a key with scope (.+?)(?: \(or `admin`\))?\.$/m.exec(op.description ?? '');
        if (!m) {
          expect(op.security, `${method} ${path} is public`).toEqual([]);
          continue;
        }
        const needed = [...m[1]!.matchAll(/`(\w+)`/g)].map((x) => x[1]);
        const url = path.replace(/\{[^}]+\}/g, 'x');
        for (const scope of SCOPES) {
          const r = await server.call(method.toUpperCase(), url, {
            key: keyOf[scope]!,
            ...(method === 'get' ? {} : { body: {} }),
          });
          const allowed = scope === 'admin' || needed.includes(scope);
          if (allowed) expect([401, 403], `${scope} on ${method} ${path}`).not.toContain(r.status);
          else {
            expect(r.status, `${scope} on ${method} ${path}`).toBe(403);
            expect(r.body.message).toContain(`scope '${needed[0]}'`);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(30 * SCOPES.length);
  });

  it('a decide key decides but cannot read the dashboard; a read key reads but cannot change the catalog', async () => {
    const d = await server.call('POST', '/v1/decide', {
      key: keyOf.decide!,
      body: { customerId: 'C1', channel: 'web' },
    });
    expect(d.status).toBe(200);
    const explain = await server.call('GET', `/v1/decisions/${d.body.decisionId}/explain`, {
      key: keyOf.decide!,
    });
    expect(explain.status).toBe(200);
    const kpis = await server.call('GET', '/v1/kpis', { key: keyOf.decide! });
    expect(kpis.status).toBe(403);
    expect(kpis.body.message).toMatch(
      /needs a key with scope 'read' or 'admin' \(key [0-9a-f]{16} has decide\)/,
    );
    expect((await server.call('GET', '/v1/kpis', { key: keyOf.read! })).status).toBe(200);
    const put = await server.call('PUT', '/v1/catalog', { key: keyOf.read!, body: catalogSource });
    expect(put.status).toBe(403);
  });
});

describe('managing keys over HTTP', () => {
  let server: Running;
  // The engine clock (which keys expire on) runs ahead by `skew`, so that a key can expire without waiting.
  let skew = 0;
  beforeAll(async () => {
    server = await startServer(catalogSource, { clock: () => Date.now() + skew });
    await server.engine.putCustomer('C2', { age: 30 });
  });
  afterAll(() => server.stop());
  const admin = { key: ADMIN_KEY };

  it('creates, lists (never the key), rotates with grace, revokes, and audits each change once', async () => {
    const created = await server.call('POST', '/v1/keys', {
      ...admin,
      headers: { 'x-request-id': 'req-create-1' },
      body: { label: 'web shop', scopes: ['decide', 'outcomes'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ label: 'web shop', scopes: ['decide', 'outcomes'], active: true });
    const shop = created.body.key as string;
    const decide = () =>
      server.call('POST', '/v1/decide', { key: shop, body: { customerId: 'C2', channel: 'web' } });
    expect((await decide()).status).toBe(200);

    const list = await server.call('GET', '/v1/keys', admin);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(shop);
    expect(list.body.keys.map((k: { source: string }) => k.source).sort()).toEqual([
      'database',
      'environment',
      'environment',
    ]);

    const rotated = await server.call('POST', `/v1/keys/${created.body.id}/rotate`, {
      ...admin,
      body: { graceSeconds: 60 },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.scopes).toEqual(['decide', 'outcomes']);
    expect(rotated.body.replaced).toMatchObject({
      id: created.body.id,
      active: true,
      replacedBy: rotated.body.id,
    });
    // In the grace period both work; the old one cannot be rotated again.
    expect((await decide()).status).toBe(200);
    const again = await server.call('POST', `/v1/keys/${created.body.id}/rotate`, { ...admin, body: {} });
    expect(again.status).toBe(409);
    // Revoking the old key ends its grace period now.
    expect((await server.call('DELETE', `/v1/keys/${created.body.id}`, admin)).status).toBe(200);
    expect((await decide()).status).toBe(401);
    const next = await server.call('POST', '/v1/decide', {
      key: rotated.body.key,
      body: { customerId: 'C2', channel: 'web' },
    });
    expect(next.status).toBe(200);

    const audit = await server.call('GET', '/v1/audit?limit=10', admin);
    const keyEntries = audit.body.entries.filter((e: { action: string }) => e.action.startsWith('key.'));
    expect(keyEntries.map((e: { action: string }) => e.action)).toEqual([
      'key.revoke',
      'key.rotate',
      'key.create',
    ]);
    expect(keyEntries[2]).toMatchObject({ requestId: 'req-create-1', target: `key ${created.body.id}` });
    expect(keyEntries[2].keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(keyEntries[1].summary).toContain(`replaced by ${rotated.body.id}`);
  });

  it('refuses what it cannot do with the field at fault', async () => {
    const bad = await server.call('POST', '/v1/keys', { ...admin, body: { label: 'x', scopes: ['root'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^body\.scopes\[0\]: Invalid option/);
    const empty = await server.call('POST', '/v1/keys', { ...admin, body: { label: ' ', scopes: ['read'] } });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/^body\.label/);
    const past = await server.call('POST', '/v1/keys', {
      ...admin,
      body: { label: 'x', scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' },
    });
    expect(past.status).toBe(400);
    expect(past.body.message).toMatch(/^body\.expiresAt/);
    expect((await server.call('DELETE', '/v1/keys/not-an-id', admin)).status).toBe(400);
    expect((await server.call('DELETE', '/v1/keys/0123456789abcdef', admin)).status).toBe(404);
    const list = await server.call('GET', '/v1/keys', admin);
    const fixed = list.body.keys.find((k: { source: string }) => k.source === 'environment');
    const env = await server.call('DELETE', `/v1/keys/${fixed.id}`, admin);
    expect(env.status).toBe(409);
    expect(env.body.message).toContain('comes from the environment');
    const grace = await server.call('POST', `/v1/keys/${fixed.id}/rotate`, {
      ...admin,
      body: { graceSeconds: 31 * 86_400 },
    });
    expect(grace.status).toBe(400);
    expect(grace.body.message).toMatch(/^body\.graceSeconds/);
  });

  it('a key with an expiry stops working then', async () => {
    const soon = new Date(Date.now() + skew + 60_000).toISOString();
    const created = await server.call('POST', '/v1/keys', {
      ...admin,
      body: { label: 'short-lived', scopes: ['read'], expiresAt: soon },
    });
    expect(created.status).toBe(201);
    expect((await server.call('GET', '/v1/kpis', { key: created.body.key })).status).toBe(200);
    skew += 61_000;
    expect((await server.call('GET', '/v1/kpis', { key: created.body.key })).status).toBe(401);
  });
});

describe.each(DIALECTS)('simultaneous key changes ($name)', (dialect) => {
  it('of many revokes and rotations of one key one wins; two admins revoking each other leave one', async () => {
    const store = await openStore(dialect.freshUrl());
    const engine = await Engine.open(store, catalogSource, { checkpointMs: 0 });
    // Only managed keys: with no admin key in the environment, the last admin key is protected.
    const keys = new ApiKeys(engine.store);
    const a = await keys.create({ label: 'admin A', scopes: ['admin'] }, CLI_ACTOR());
    const b = await keys.create({ label: 'admin B', scopes: ['admin'] }, CLI_ACTOR());
    const target = await keys.create({ label: 'target', scopes: ['decide'] }, CLI_ACTOR());
    const app = await buildServer(engine, { keys, rateLimits: false });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const rotations = await Promise.all(
        Array.from({ length: 10 }, () =>
          callUrl(url, 'POST', `/v1/keys/${target.info.id}/rotate`, { graceSeconds: 30 }, a.key),
        ),
      );
      expect(rotations.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
      const successor = rotations.find((r) => r.status === 201)!.body;
      const revokes = await Promise.all(
        Array.from({ length: 10 }, () =>
          callUrl(url, 'DELETE', `/v1/keys/${successor.id}`, undefined, b.key),
        ),
      );
      expect(revokes.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);

      const [ab, ba] = await Promise.all([
        callUrl(url, 'DELETE', `/v1/keys/${b.info.id}`, undefined, a.key),
        callUrl(url, 'DELETE', `/v1/keys/${a.info.id}`, undefined, b.key),
      ]);
      expect([ab.status, ba.status].sort()).toEqual([200, 409]);
      const left = (await store.apiKeys()).filter((k) => k.scopes.includes('admin') && k.revokedAt === null);
      expect(left).toHaveLength(1);
      const audit = await store.auditLog({ limit: 50 });
      expect(audit.filter((e) => e.action === 'key.rotate')).toHaveLength(1);
      expect(audit.filter((e) => e.action === 'key.revoke')).toHaveLength(2);
    } finally {
      await app.close();
      await engine.close();
      await store.close();
    }
  });
});

describe.each(DIALECTS)('keys across processes ($name)', (dialect) => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a key created on one server works on the other within seconds; revoked by the CLI, both refuse it', async () => {
    const db = dialect.freshUrl();
    const catalog = join(dir, 'catalog.json');
    writeFileSync(catalog, JSON.stringify(smallCatalogDoc()));
    const args = ['--db', db, '--catalog', catalog, '--no-demo-data'];
    const first = await spawnServer(args);
    const second = await spawnServer(args);
    try {
      const created = await callUrl(
        first.url,
        'POST',
        '/v1/keys',
        { label: 'feed', scopes: ['events'] },
        ADMIN_KEY,
      );
      expect(created.status).toBe(201);
      // A profile write: the `events` scope's (data feeds).
      const event = (url: string) =>
        callUrl(url, 'PUT', '/v1/customers/C1', { attributes: { age: 40 } }, created.body.key);
      await until(async () => (await event(second.url)).status < 300, 5000);

      const cli = await run(
        process.execPath,
        ['bin/nextbest.mjs', 'keys', 'revoke', created.body.id, '--db', db],
        { env: { ...process.env, ...PROCESS_ENV } },
      );
      expect(cli.stdout).toContain(`revoked key ${created.body.id} "feed"`);
      await until(
        async () => (await event(first.url)).status === 401 && (await event(second.url)).status === 401,
        5000,
      );
      const listed = await run(process.execPath, ['bin/nextbest.mjs', 'keys', 'list', '--db', db, '--json'], {
        env: { ...process.env, ...PROCESS_ENV },
      });
      const rows = JSON.parse(listed.stdout) as Array<{ id: string; active: boolean }>;
      expect(rows.find((r) => r.id === created.body.id)?.active).toBe(false);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  it('a publishable key created on one server opens the other to its origin; revoked there, both close', async () => {
    const db = dialect.freshUrl();
    const catalog = join(dir, 'catalog.json');
    writeFileSync(catalog, JSON.stringify(smallCatalogDoc()));
    const args = ['--db', db, '--catalog', catalog, '--no-demo-data'];
    const [first, second] = await Promise.all([spawnServer(args), spawnServer(args)]);
    const shop = 'https://shop.example.com';
    try {
      const created = await callUrl(
        first.url,
        'POST',
        '/v1/keys',
        { label: 'shop', scopes: ['publishable'], origins: [shop], channels: ['web'] },
        ADMIN_KEY,
      );
      expect(created.status).toBe(201);
      const decide = (url: string, channel = 'web') =>
        fetch(`${url}/v1/decide`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${created.body.key}`,
            origin: shop,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ channel }),
        });
      const allowedOrigin = async (url: string) =>
        (
          await fetch(`${url}/v1/decide`, {
            method: 'OPTIONS',
            headers: { origin: shop, 'access-control-request-method': 'POST' },
          })
        ).headers.get('access-control-allow-origin');
      // The other process reads the managed keys every second: its CORS and its checks follow.
      await until(async () => (await decide(second.url)).status === 200, 5000);
      expect(await allowedOrigin(second.url)).toBe(shop);
      // What the key may do travels with it: the other process refuses a channel it does not carry.
      const other = await decide(second.url, 'call-centre');
      expect(other.status).toBe(403);
      expect(((await other.json()) as { field: string }).field).toBe('body.channel');

      const revoked = await callUrl(first.url, 'DELETE', `/v1/keys/${created.body.id}`, undefined, ADMIN_KEY);
      expect(revoked.status).toBeLessThan(300);
      await until(
        async () => (await decide(second.url)).status === 401 && (await allowedOrigin(second.url)) === null,
        5000,
      );
      expect((await decide(first.url)).status).toBe(401);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
