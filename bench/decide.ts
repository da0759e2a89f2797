// npm run bench:decide — decision latency with 100 eligible actions (--actions), in-process and over HTTP.
// In-process: Engine.decide on an embedded SQLite file (load profile + history, policies, scoring, log).
// Core only: the pure decide() on preloaded data. HTTP: a real `nextbest serve` process loaded by autocannon
// from this process, beside a bare Fastify route for the ratio (PROTOCOL.md section 4).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Command } from 'commander';
import pg from 'pg';
import { compileCatalog } from '../src/core/catalog.ts';
import { DAY_MS } from '../src/core/contactPolicy.ts';
import { decide } from '../src/core/decide.ts';
import { mulberry32 } from '../src/core/random.ts';
import { Engine } from '../src/engine/engine.ts';
import { EpsilonGreedy } from '../src/learn/explore/epsilonGreedy.ts';
import { openStore } from '../src/store/open.ts';
import { latencySummary, progress, writeResult } from './lib/results.ts';
import { benchCatalog, benchCustomer, waitForUrl } from './lib/serving.ts';

const opts = new Command()
  .option('--decisions <n>', 'in-process decisions to time', (v) => Number(v), 5000)
  .option('--duration <s>', 'seconds per HTTP scenario', (v) => Number(v), 10)
  .option('--customers <n>', 'customers in the database', (v) => Number(v), 2000)
  .option(
    '--db <url>',
    'database to run on: postgres://… (a schema of its own is used), default a SQLite file',
  )
  .option(
    '--budgets',
    'give every fourth action a (never reached) daily budget, so decisions reserve budgets',
  )
  .option('--actions <n>', 'eligible actions in the catalog', (v) => Number(v), 100)
  .option('--no-http', 'in-process and core figures only (no server, no HTTP scenarios)')
  .option('--json', 'print only the JSON figures')
  .parse()
  .opts<{
    decisions: number;
    duration: number;
    customers: number;
    db?: string;
    budgets?: boolean;
    actions: number;
    http: boolean;
    json?: boolean;
  }>();

const log = (...args: unknown[]) => {
  if (!opts.json) console.log(...args);
};

async function load(url: string, connections: number, body: () => string, headers: Record<string, string>) {
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: opts.duration,
    headers: { 'content-type': 'application/json', ...headers },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: body() }),
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    connections,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p97_5: result.latency.p97_5,
    p99: result.latency.p99,
    total: result.requests.total,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'nextbest-bench-decide-'));
const children: ChildProcess[] = [];
try {
  // A PostgreSQL URL gets a schema of its own for this run (dropped at the end).
  const schema = `bench_${process.pid}`;
  const dbPath = opts.db
    ? `${opts.db}${opts.db.includes('?') ? '&' : '?'}schema=${schema}`
    : join(dir, 'bench.db');
  const catalogPath = join(dir, 'catalog.json');
  const catalogDoc = benchCatalog(opts.actions, { budgets: opts.budgets === true });
  writeFileSync(catalogPath, JSON.stringify(catalogDoc));
  const store = await openStore(dbPath);
  const engine = await Engine.open(store, JSON.stringify(catalogDoc), { seed: 1, checkpointMs: 0 });
  for (let i = 0; i < opts.customers; i++) await engine.putCustomer(`B${i}`, benchCustomer(i));
  const rnd = mulberry32(99);
  const pickCustomer = () => `B${Math.floor(rnd() * opts.customers)}`;

  // Warm up and build some history (contacts, accepts, rejects) so policies have work to do.
  const warm = progress('warm-up', 2000);
  for (let i = 0; i < 2000; i++) {
    const d = await engine.decide({ customerId: pickCustomer(), channel: 'web', limit: 3 });
    const first = d.actions[0];
    if (first && rnd() < 0.5) {
      await engine.recordOutcome({
        decisionId: d.decisionId,
        actionId: first.actionId,
        outcome: rnd() < 0.3 ? 'accept' : 'reject',
      });
    }
    warm(i + 1);
  }

  // In-process through the engine and the store.
  const inProcess: number[] = [];
  /** Chosen actions of the timed decisions: the outcome scenario reports on them. */
  const answerable: Array<{ decisionId: string; actionId: string }> = [];
  const tick = progress('in-process', opts.decisions);
  let eligible = 0;
  for (let i = 0; i < opts.decisions; i++) {
    const t = process.hrtime.bigint();
    const d = await engine.decide({ customerId: pickCustomer(), channel: 'web', limit: 3 });
    inProcess.push(Number(process.hrtime.bigint() - t) / 1e6);
    for (const a of d.actions) answerable.push({ decisionId: d.decisionId, actionId: a.actionId });
    eligible += d.actions.length > 0 ? 1 : 0;
    tick(i + 1);
  }

  // The pure core on preloaded data: what the decision logic itself costs.
  const catalog = compileCatalog(catalogDoc);
  const explorer = new EpsilonGreedy(0.05);
  const coreRng = mulberry32(5);
  const profiles = Array.from({ length: 100 }, (_, i) => benchCustomer(i));
  const now = Date.now();
  const history = Array.from({ length: 20 }, (_, i) => ({
    kind: i % 5 === 4 ? ('reject' as const) : ('contact' as const),
    actionId: `Action${String((i * 7) % opts.actions).padStart(4, '0')}`,
    issue: 'Sales',
    group: 'Group1',
    channel: 'web',
    at: now - (i + 1) * DAY_MS,
  }));
  const core: number[] = [];
  let candidates = 0;
  for (let i = 0; i < opts.decisions; i++) {
    const t = process.hrtime.bigint();
    const r = decide({
      catalog,
      channel: 'web',
      customer: profiles[i % 100]!,
      features: {},
      context: {},
      history,
      budgetUsage: new Map(),
      limit: 3,
      now,
      rng: coreRng,
      propensity: () => ({ propensity: 0.1, logitSd: 0 }),
      explorer,
      round: 0,
    });
    core.push(Number(process.hrtime.bigint() - t) / 1e6);
    candidates += r.candidates.length;
  }
  await engine.close();
  await store.close();
  const inProcessFigures = {
    actions: opts.actions,
    eligibleActions: candidates / opts.decisions,
    decisionsWithActions: eligible / opts.decisions,
    inProcessMs: latencySummary(inProcess),
    coreOnlyMs: latencySummary(core),
  };
  /** Writes the result file and prints the figures (the in-process ones first, then `more`). */
  const report = (
    figures: typeof inProcessFigures & Record<string, unknown>,
    more: Array<[string, unknown]> = [],
  ) => {
    const path = writeResult(
      'decide',
      figures,
      `npm run bench:decide -- ${process.argv.slice(2).join(' ')}`.trim(),
    );
    if (opts.json) return console.log(JSON.stringify(figures));
    log(`eligible actions per decision (core): ${figures.eligibleActions}`);
    log('in-process Engine.decide (ms):', figures.inProcessMs);
    log('core decide() only (ms):      ', figures.coreOnlyMs);
    for (const [label, value] of more) log(label, value);
    log(`results: ${path}`);
  };
  if (!opts.http) report(inProcessFigures);

  if (opts.http) {
    // Over HTTP: a real server process on the prepared database, and a bare Fastify route.
    const env = {
      ...process.env,
      NEXTBEST_API_KEY: 'bench-api-key-0123456789',
      NEXTBEST_ADMIN_KEY: 'bench-admin-key-0123456789',
      // A benchmark measures the engine, not the rate limits that would stop it.
      NEXTBEST_RATE_LIMITS: 'off',
    };
    const server = spawn(
      process.execPath,
      ['bin/nextbest.mjs', 'serve', '--db', dbPath, '--port', '0', '--no-demo-data', '--workers', '1'],
      {
        env,
        stdio: 'pipe',
      },
    );
    children.push(server);
    const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/bareServer.ts'], { stdio: 'pipe' });
    children.push(bare);
    const [serverUrl, bareUrl] = await Promise.all([waitForUrl(server), waitForUrl(bare)]);
    const auth = { authorization: `Bearer ${env.NEXTBEST_API_KEY}` };
    const body = () => JSON.stringify({ customerId: pickCustomer(), channel: 'web', limit: 3 });
    log(`HTTP scenarios, ${opts.duration} s each …`);
    await load(`${serverUrl}/v1/decide`, 4, body, auth); // warm-up, not reported
    const http1 = await load(`${serverUrl}/v1/decide`, 1, body, auth);
    const http16 = await load(`${serverUrl}/v1/decide`, 16, body, auth);
    // Outcomes over HTTP: each request a new (decision, action, outcome), so every one is a write that teaches.
    const kinds = ['impression', 'click', 'accept', 'reject'];
    let next = 0;
    const outcomeBody = () => {
      const i = next++;
      const a = answerable[i % answerable.length]!;
      return JSON.stringify({ ...a, outcome: kinds[Math.floor(i / answerable.length) % kinds.length] });
    };
    const outcome16 = await load(`${serverUrl}/v1/outcomes`, 16, outcomeBody, auth);
    if (next > answerable.length * kinds.length)
      log('note: outcomes repeated (idempotent answers) after', answerable.length * kinds.length);
    const bare1 = await load(`${bareUrl}/bare`, 1, () => '{}', {});
    const bare16 = await load(`${bareUrl}/bare`, 16, () => '{}', {});

    const ratioDecideToBare16 =
      Math.round((http16.requestsPerSecond / bare16.requestsPerSecond) * 1000) / 1000;
    report(
      {
        ...inProcessFigures,
        http: {
          decideOneConnection: http1,
          decide16Connections: http16,
          outcome16Connections: outcome16,
          bareOneConnection: bare1,
          bare16Connections: bare16,
        },
        ratioDecideToBare16,
      },
      [
        ['HTTP POST /v1/decide, 1 connection:  ', http1],
        ['HTTP POST /v1/decide, 16 connections:', http16],
        ['HTTP POST /v1/outcomes, 16 connections:', outcome16],
        ['bare Fastify route, 1 connection:    ', bare1],
        ['bare Fastify route, 16 connections:  ', bare16],
        ['decide/bare throughput ratio (16 connections):', ratioDecideToBare16],
      ],
    );
  }
} finally {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  if (opts.db) {
    const client = new pg.Client({ connectionString: opts.db });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS bench_${process.pid} CASCADE`);
    await client.end();
  }
}
