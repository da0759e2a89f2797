// npm run bench:serve — serving throughput and latency of real `nextbest serve` processes (PROTOCOL.md
// section 4): catalogs of 10 / 100 / 1,000 actions with rules, 100,000 customers in the store, scenarios
// "decide" and "mixed" (80 % decide, 20 % outcomes on earlier answers), on SQLite and PostgreSQL, with one
// worker and with every core, each scenario interleaved with a bare Fastify route in the same run (the ratio
// is the figure that survives a noisy machine). Load comes from autocannon in this process.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import pg from 'pg';
import { mulberry32 } from '../src/core/random.ts';
import { Engine } from '../src/engine/engine.ts';
import { openStore } from '../src/store/open.ts';
import { type ProfileSummary, summariseProfiles } from './lib/profile.ts';
import { progress, writeResult } from './lib/results.ts';
import {
  benchCatalog,
  benchCustomer,
  cpuMs,
  decideBody,
  type LoadFigures,
  load,
  type NextRequest,
  peakRssMb,
  processTree,
  waitForUrl,
} from './lib/serving.ts';

const list = (v: string) => v.split(',').map((s) => s.trim());
const numbers = (v: string) => list(v).map(Number);
const opts = new Command()
  .option('--quick', 'smoke check: 10-second scenarios and 10,000 customers')
  .option('--duration <s>', 'seconds per scenario (default 20, --quick 10)', Number)
  .option('--customers <n>', 'customers in the store (default 100,000, --quick 10,000)', Number)
  .option('--actions <list>', 'catalog sizes', numbers, [10, 100, 1000])
  .option('--workers <list>', `worker counts (default 1 and every core: ${availableParallelism()})`, numbers)
  .option('--scenarios <list>', 'decide, mixed', list, ['decide', 'mixed'])
  .option('--stores <list>', 'sqlite, postgres', list, ['sqlite', 'postgres'])
  .option(
    '--pg <url>',
    'PostgreSQL server (a schema of its own is used and dropped)',
    process.env.NEXTBEST_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test',
  )
  .option('--connections <n>', 'connections', Number, 16)
  .option('--profile', 'CPU-profile the servers and print where the time went')
  .option('--from-source', 'serve the TypeScript sources through tsx instead of the production build')
  .option(
    '--server-root <dir>',
    'serve another checkout (e.g. a `git worktree` of the last release) with this load',
    '.',
  )
  .option('--json', 'print only the JSON rows')
  .parse()
  .opts<{
    quick?: boolean;
    duration?: number;
    customers?: number;
    actions: number[];
    workers?: number[];
    scenarios: string[];
    stores: string[];
    pg: string;
    connections: number;
    profile?: boolean;
    fromSource?: boolean;
    serverRoot: string;
    json?: boolean;
  }>();

const seconds = opts.duration ?? (opts.quick ? 10 : 20);
const customers = opts.customers ?? (opts.quick ? 10_000 : 100_000);
const workerCounts = opts.workers ?? [...new Set([1, availableParallelism()])];
const log = (...args: unknown[]) => {
  if (!opts.json) console.error(...args);
};

// What operators run: the compiled build (README, production build), made afresh from this checkout.
if (!opts.fromSource) {
  log('building dist/ (npm run build:server) …');
  const built = spawnSync('npm', ['run', '--silent', 'build:server'], {
    stdio: 'inherit',
    cwd: opts.serverRoot,
  });
  if (built.status !== 0) throw new Error('npm run build:server failed');
}

const ENV = {
  ...process.env,
  NEXTBEST_RUN: opts.fromSource ? '' : 'dist',
  NEXTBEST_API_KEY: 'bench-api-key-0123456789',
  NEXTBEST_ADMIN_KEY: 'bench-admin-key-0123456789',
  // A benchmark measures the engine, not the rate limits that would stop it.
  NEXTBEST_RATE_LIMITS: 'off',
};
const AUTH = { authorization: `Bearer ${ENV.NEXTBEST_API_KEY}` };

interface Row {
  store: string;
  actions: number;
  workers: number;
  scenario: string;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  peakRssMb: number;
  /** CPU ms per request of the server's processes: on all their threads, and on their event loops. */
  cpuMsPerRequest: number;
  eventLoopCpuMsPerRequest: number;
  ratioToBare: number;
  bareRequestsPerSecond: number;
  decisionsWithActions: number;
}

const dir = mkdtempSync(join(tmpdir(), 'nextbest-bench-serve-'));
const children = new Set<ChildProcess>();
const schemas: string[] = [];

function start(args: string[], nodeArgs: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...nodeArgs, ...args], { env: ENV, stdio: 'pipe' });
  children.add(child);
  return waitForUrl(child).then((url) => ({ child, url }));
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  children.delete(child);
}

/** A database with the customers, and the URL of each store to run on. */
async function prepare(store: string): Promise<string> {
  const url =
    store === 'sqlite'
      ? join(dir, 'bench.db')
      : `${opts.pg}${opts.pg.includes('?') ? '&' : '?'}schema=${`bench_serve_${process.pid}`}`;
  if (store !== 'sqlite') schemas.push(`bench_serve_${process.pid}`);
  const s = await openStore(url);
  const engine = await Engine.open(s, JSON.stringify(benchCatalog(10)), { seed: 1, checkpointMs: 0 });
  const tick = progress(`${store}: customers`, customers);
  const chunk = 500;
  for (let i = 0; i < customers; i += chunk) {
    const n = Math.min(chunk, customers - i);
    await Promise.all(
      Array.from({ length: n }, (_, k) => engine.putCustomer(`B${i + k}`, benchCustomer(i + k))),
    );
    tick(i + n);
  }
  await engine.close();
  await s.close();
  return url;
}

/** The requests of a scenario: decide only, or 80 % decide and 20 % outcomes on chosen actions. */
function scenarioRequests(scenario: string, seed: number) {
  const rnd = mulberry32(seed);
  const answered: Array<{ decisionId: string; actionId: string }> = [];
  let decisions = 0;
  let withActions = 0;
  const kinds = ['impression', 'click', 'accept', 'reject'];
  const decideRequest = (): NextRequest => ({
    path: '/v1/decide',
    body: decideBody(rnd, customers),
    onBody: (body) => {
      const d = JSON.parse(body) as { decisionId: string; actions: Array<{ actionId: string }> };
      decisions++;
      if (d.actions.length > 0) withActions++;
      const first = d.actions[0];
      if (first && answered.length < 100_000)
        answered.push({ decisionId: d.decisionId, actionId: first.actionId });
    },
  });
  const next = (): NextRequest => {
    if (scenario === 'mixed' && rnd() < 0.2 && answered.length > 0) {
      const a = answered.splice(Math.floor(rnd() * answered.length), 1)[0]!;
      return {
        path: '/v1/outcomes',
        body: JSON.stringify({ ...a, outcome: kinds[Math.floor(rnd() * kinds.length)] }),
      };
    }
    return decideRequest();
  };
  return { next, withActions: () => (decisions === 0 ? 0 : withActions / decisions) };
}

/** CPU per request between two readings of the server's processes (a process started meanwhile counts from 0). */
function cpuPerRequest(
  before: Array<{ main: number; all: number }>,
  after: Array<{ main: number; all: number }>,
  requests: number,
) {
  const spent = (key: 'main' | 'all') =>
    after.reduce((s, c) => s + c[key], 0) - before.reduce((s, c) => s + c[key], 0);
  const per = (ms: number) => (requests > 0 ? Math.round((ms / requests) * 1000) / 1000 : Number.NaN);
  return { cpuMsPerRequest: per(spent('all')), eventLoopCpuMsPerRequest: per(spent('main')) };
}

const rows: Row[] = [];
const profiles: Array<{
  store: string;
  actions: number;
  workers: number;
  summary: ProfileSummary;
  workerThreads: ProfileSummary;
}> = [];
try {
  const bare = await start(['--import', 'tsx', 'bench/bareServer.ts']);
  const bareLoad = () =>
    load(`${bare.url}/bare`, {
      connections: opts.connections,
      seconds,
      next: () => ({ path: '/bare', body: '{}' }),
    });
  for (const store of opts.stores) {
    const db = await prepare(store);
    for (const actions of opts.actions) {
      const catalogPath = join(dir, `catalog-${actions}.json`);
      writeFileSync(catalogPath, JSON.stringify(benchCatalog(actions, { budgets: true })));
      for (const workers of workerCounts) {
        const profileDir = join(dir, `profile-${store}-${actions}-${workers}`);
        const profiled = opts.profile === true;
        const server = await start(
          [
            join(opts.serverRoot, 'bin/nextbest.mjs'),
            'serve',
            '--db',
            db,
            '--catalog',
            catalogPath,
            '--port',
            '0',
            '--no-demo-data',
            '--workers',
            String(workers),
          ],
          profiled ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
        );
        log(`${store}, ${actions} actions, ${workers} worker(s): ${server.url}`);
        // Warm-up (not reported): compiled rules, JIT, caches, a first fold.
        await load(`${server.url}/v1/decide`, {
          connections: opts.connections,
          seconds: Math.min(5, seconds),
          headers: AUTH,
          next: scenarioRequests('decide', 7).next,
        });
        for (const scenario of opts.scenarios) {
          const before = await bareLoad();
          const requests = scenarioRequests(scenario, actions * 31 + workers);
          const cpuOf = () => processTree(server.child.pid!).map(cpuMs);
          const cpu0 = cpuOf();
          const figures: LoadFigures = await load(`${server.url}/v1/decide`, {
            connections: opts.connections,
            seconds,
            headers: AUTH,
            next: requests.next,
          });
          const row: Row = {
            store,
            actions,
            workers,
            scenario,
            requestsPerSecond: figures.requestsPerSecond,
            p50Ms: figures.p50Ms,
            p95Ms: figures.p95Ms,
            p99Ms: figures.p99Ms,
            peakRssMb: Math.max(...processTree(server.child.pid!).map(peakRssMb)),
            ...cpuPerRequest(cpu0, cpuOf(), figures.total),
            ratioToBare: Math.round((figures.requestsPerSecond / before.requestsPerSecond) * 1000) / 1000,
            bareRequestsPerSecond: before.requestsPerSecond,
            decisionsWithActions: Math.round(requests.withActions() * 1000) / 1000,
          };
          rows.push(row);
          if (opts.json) console.log(JSON.stringify(row));
          else log(row);
        }
        await stop(server.child);
        if (profiled)
          profiles.push({
            store,
            actions,
            workers,
            summary: summariseProfiles(profileDir),
            workerThreads: summariseProfiles(profileDir, 10, 'workers'),
          });
      }
    }
  }
  await stop(bare.child);
  if (!opts.json) {
    console.log(
      '| store | actions | workers | scenario | req/s | p50 ms | p95 ms | p99 ms | peak RSS MB | CPU ms/req (event loop) | ratio to bare |',
    );
    console.log('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows)
      console.log(
        `| ${r.store} | ${r.actions} | ${r.workers} | ${r.scenario} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p95Ms} | ${r.p99Ms} | ${r.peakRssMb} | ${r.cpuMsPerRequest} (${r.eventLoopCpuMsPerRequest}) | ${r.ratioToBare} |`,
      );
    for (const p of profiles) {
      console.log(
        `\nprofile, ${p.store}, ${p.actions} actions, ${p.workers} worker(s) (percent of busy time):`,
      );
      for (const g of p.summary.groups) console.log(`  ${g.percent.toFixed(1).padStart(5)} %  ${g.group}`);
      console.log('  top functions:');
      for (const f of p.summary.functions) console.log(`  ${f.percent.toFixed(1).padStart(5)} %  ${f.fn}`);
      console.log('  worker threads (the SQLite writer):');
      for (const f of p.workerThreads.functions)
        console.log(`  ${f.percent.toFixed(1).padStart(5)} %  ${f.fn}`);
    }
  }
  const path = writeResult(
    'serve',
    { rows, profiles },
    `npm run bench:serve -- ${process.argv.slice(2).join(' ')}`.trim(),
  );
  log(`results: ${path}`);
} finally {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  if (schemas.length > 0) {
    const client = new pg.Client({ connectionString: opts.pg });
    await client.connect();
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await client.end();
  }
}
