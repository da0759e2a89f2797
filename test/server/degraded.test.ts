// Degraded mode through real server processes: a store that fails (a full disk, a removed database file, a
// PostgreSQL that goes away) is reported on /v1/health and /v1/ready, writes answer 503 with Retry-After and
// are not acknowledged, decide answers from what is cached with `degraded: true`, and when the store returns
// everything recovers without a restart, with the degraded period in the KPIs.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../store/dialects.ts';
import { ADMIN_KEY, callUrl, type ServerProcess, spawnServer, until } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-degraded-'));
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanups.reverse()) c();
  rmSync(dir, { recursive: true, force: true });
});

const health = async (url: string) => (await callUrl(url, 'GET', '/v1/health', undefined, '')).body;

async function prepare(url: string) {
  const put = await callUrl(
    url,
    'PUT',
    '/v1/customers/c1',
    { attributes: { hasRouter: true, openTickets: 1, products: ['fibre'] } },
    ADMIN_KEY,
  );
  expect(put.status).toBeLessThan(300);
  const d = await callUrl(url, 'POST', '/v1/decide', { customerId: 'c1', channel: 'web' });
  expect(d.status).toBe(200);
  expect(d.body.degraded).toBeUndefined();
  return d.body as { decisionId: string; actions: Array<{ actionId: string }> };
}

/** What a degraded server answers; returns the decide answer. */
async function expectDegraded(
  url: string,
  decision: { decisionId: string; actions: Array<{ actionId: string }> },
  reason: RegExp,
) {
  const outcome = await fetch(`${url}/v1/outcomes`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${process.env.NEXTBEST_API_KEY ?? 'test-api-key-0123456789'}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      decisionId: decision.decisionId,
      actionId: decision.actions[0]!.actionId,
      outcome: 'accept',
    }),
  });
  expect(outcome.status).toBe(503);
  expect(Number(outcome.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(((await outcome.json()) as { message: string }).message).toMatch(
    /store unavailable: .*nothing was stored/,
  );
  const h = await health(url);
  expect(h.status).toBe('degraded');
  expect(h.reason).toMatch(reason);
  expect((await callUrl(url, 'GET', '/v1/ready', undefined, '')).status).toBe(503);
  const decide = await callUrl(url, 'POST', '/v1/decide', { customerId: 'c1', channel: 'web' });
  expect(decide.status).toBe(200);
  expect(decide.body.degraded).toBe(true);
  // Only actions marked safe for degraded mode, from the cached profile.
  expect(decide.body.actions.length).toBeGreaterThan(0);
  for (const a of decide.body.actions)
    expect(['RouterRestartGuide', 'OutageInfo', 'SpeedTest', 'BillExplainer']).toContain(a.actionId);
  // Outbound: contact policies cannot be checked, so nothing.
  const email = await callUrl(url, 'POST', '/v1/decide', { customerId: 'c1', channel: 'email' });
  expect(email.status).toBe(200);
  expect(email.body.actions).toEqual([]);
  const put = await callUrl(url, 'PUT', '/v1/customers/c2', { attributes: {} }, ADMIN_KEY);
  expect(put.status).toBe(503);
  return decide.body;
}

async function expectRecovered(
  url: string,
  decision: { decisionId: string; actions: Array<{ actionId: string }> },
) {
  await until(async () => (await health(url)).status === 'ok', 15_000);
  expect((await callUrl(url, 'GET', '/v1/ready', undefined, '')).status).toBe(200);
  const outcome = await callUrl(url, 'POST', '/v1/outcomes', {
    decisionId: decision.decisionId,
    actionId: decision.actions[0]!.actionId,
    outcome: 'accept',
  });
  expect(outcome.status).toBe(200);
  const d = await callUrl(url, 'POST', '/v1/decide', { customerId: 'c1', channel: 'web' });
  expect(d.status).toBe(200);
  expect(d.body.degraded).toBeUndefined();
  const kpis = await callUrl(url, 'GET', '/v1/kpis', undefined, ADMIN_KEY);
  expect(kpis.body.degradedPeriods.length).toBeGreaterThanOrEqual(1);
  return d.body;
}

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = join(dir, 'probe-mount');
  mkdirSync(probe, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
  if (r.status !== 0) return false;
  spawnSync('umount', [probe]);
  return true;
}

describe('degraded mode on SQLite', () => {
  it.skipIf(!canMount())(
    'a full disk: 503 for writes, degraded decisions, recovery when space is back',
    async () => {
      const disk = join(dir, 'small-disk');
      mkdirSync(disk);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', disk]);
      cleanups.push(() => spawnSync('umount', ['-l', disk]));
      const server = await spawnServer(['--db', join(disk, 'full.db'), '--no-demo-data']);
      cleanups.push(() => server.child.kill('SIGKILL'));
      const decision = await prepare(server.url);
      // Fill what is left of the disk.
      const filler = join(disk, 'filler');
      const block = Buffer.alloc(256 * 1024, 1);
      let written = 0;
      try {
        for (;;) {
          writeFileSync(filler, block, { flag: 'a' });
          written++;
        }
      } catch {
        // ENOSPC: full
      }
      expect(written).toBeGreaterThan(0);
      // Writes need new pages: decisions are logged until a commit fails.
      await until(async () => {
        const r = await callUrl(server.url, 'POST', '/v1/events', {
          customerId: 'c1',
          type: 'call',
          timestamp: new Date().toISOString(),
          payload: { reason: 'x'.repeat(5000) },
        });
        return r.status === 503;
      }, 15_000);
      await expectDegraded(server.url, decision, /disk full|I\/O/);
      rmSync(filler);
      await expectRecovered(server.url, decision);
      await server.stop();
    },
    90_000,
  );

  it('a removed database file: nothing acknowledged after it, recovery when the file is restored', async () => {
    const db = join(dir, 'removed.db');
    const server: ServerProcess = await spawnServer(['--db', db, '--no-demo-data']);
    cleanups.push(() => server.child.kill('SIGKILL'));
    const decision = await prepare(server.url);
    // A backup taken while it runs (SQLite's online backup through the CLI's sqlite3 is not needed: the WAL
    // was checkpointed by nobody, so copy the three files).
    const backup = join(dir, 'backup');
    mkdirSync(backup);
    for (const ext of ['', '-wal', '-shm'])
      if (existsSync(db + ext)) copyFileSync(db + ext, join(backup, `removed.db${ext}`));
    rmSync(db);
    await expectDegraded(server.url, decision, /removed/);
    for (const ext of ['', '-wal', '-shm'])
      if (existsSync(join(backup, `removed.db${ext}`)))
        copyFileSync(join(backup, `removed.db${ext}`), db + ext);
    await expectRecovered(server.url, decision);
    await server.stop();
    // What was acknowledged after the restore is in the file.
    const again = await spawnServer(['--db', db, '--no-demo-data']);
    cleanups.push(() => again.child.kill('SIGKILL'));
    const logged = await callUrl(
      again.url,
      'GET',
      `/v1/decisions/${decision.decisionId}`,
      undefined,
      ADMIN_KEY,
    );
    expect(logged.status).toBe(200);
    expect(logged.body.outcomes.map((o: { outcome: string }) => o.outcome)).toEqual(['accept']);
    await again.stop();
  }, 90_000);
});

/** A TCP proxy in front of PostgreSQL that can be "switched off" (refuses and drops connections). */
async function pgProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const start = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        sockets.add(client);
        sockets.add(upstream);
        client.pipe(upstream).pipe(client);
        const close = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', close).on('close', close);
        upstream.on('error', close).on('close', close);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  await start();
  return {
    get port() {
      return port;
    },
    async down() {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    up: start,
  };
}

describe('degraded mode on PostgreSQL', () => {
  const pg = DIALECTS.find((d) => d.name === 'postgres');
  it.skipIf(!pg)(
    'the database goes away: 503 for writes, degraded decisions, recovery when it is back',
    async () => {
      const url = new URL(pg!.freshUrl());
      const proxy = await pgProxy({ host: url.hostname, port: Number(url.port || 5432) });
      cleanups.push(() => void proxy.down());
      url.port = String(proxy.port);
      const server = await spawnServer(['--db', url.toString(), '--no-demo-data']);
      cleanups.push(() => server.child.kill('SIGKILL'));
      const decision = await prepare(server.url);
      await proxy.down();
      await until(
        async () =>
          (await callUrl(server.url, 'PUT', '/v1/customers/c3', { attributes: {} }, ADMIN_KEY)).status ===
          503,
        15_000,
      );
      await expectDegraded(server.url, decision, /database|connection/);
      await proxy.up();
      await expectRecovered(server.url, decision);
      await server.stop();
    },
    90_000,
  );
});
