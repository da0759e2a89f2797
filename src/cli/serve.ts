// `nextbest serve`: the HTTP API on one process, or on every core. With several workers the primary process
// prepares the database once (migrations, the catalog, example customers, generated keys), then forks the
// workers (node:cluster), which share the port and the store and learn together through it (the model folds
// of src/engine/models.ts). A worker that dies is replaced; the primary stops them all on SIGINT/SIGTERM.
import cluster, { type Worker } from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { telcoCustomers } from '../demo/telcoCustomers.ts';
import { Engine } from '../engine/engine.ts';
import type { WebhookOptions } from '../engine/webhook.ts';
import { buildServer } from '../server/app.ts';
import { rateLimitsOf, readServerConfig, retentionOf, type ServerConfig } from '../server/config.ts';
import { resolveKeys } from '../server/keys.ts';
import { databaseUrl, parseStoreUrl } from '../store/open.ts';
import { fail, onShutdown, port, positiveInt } from './args.ts';
import { open } from './db.ts';
import { BUNDLED_CATALOG, WEB_ROOT } from './paths.ts';

interface ServeOptions {
  db: string;
  catalog?: string;
  port: number;
  host: string;
  config: string;
  demoData: boolean;
  webhookUrl?: string;
  webhookChannels?: string;
  log?: boolean;
  workers?: number;
}

/** What a worker tells the primary once it listens. */
interface Listening {
  type: 'nextbest:listening';
  address: string;
}

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the HTTP API (and docs at /docs) on an embedded SQLite database or PostgreSQL')
    .option(
      '--db <url>',
      'database: a SQLite file (or sqlite:<file>) or postgres://… (default: NEXTBEST_DB, else nextbest.db)',
    )
    .option(
      '--catalog <file>',
      'catalog (YAML or JSON) to activate; default: the active one, or the bundled telco example',
    )
    .option('--port <n>', 'port to listen on', port, 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--workers <n>',
      'server processes sharing the port and learning together (default: NEXTBEST_WORKERS, else one per core on PostgreSQL and one on SQLite)',
      positiveInt,
    )
    .option(
      '--config <file>',
      'JSON file with {"apiKey", "adminKey", "rateLimits", "cors", "customerTokenSecret", "retention"} (see README: configuration)',
      'nextbest.config.json',
    )
    .option('--no-demo-data', 'do not load the example customers into an empty database')
    .option(
      '--webhook-url <url>',
      'push triggered outbound messages to this URL (signed with NEXTBEST_WEBHOOK_SECRET) instead of the pull queue',
      process.env.NEXTBEST_WEBHOOK_URL,
    )
    .option(
      '--webhook-channels <list>',
      'comma-separated outbound channels the webhook delivers (default: all)',
    )
    .option('--log', 'log every request')
    .action(async (opts: ServeOptions) => {
      // A bad config file is one line, before the database or the catalog is touched.
      configOf(opts);
      if (cluster.isWorker) return serveWorker(opts);
      const workers = opts.workers ?? workersFromEnv() ?? defaultWorkers(opts);
      if (workers === 1) return serveAlone(opts);
      return servePrimary(opts, workers);
    });
}

/**
 * One per core on PostgreSQL. On SQLite one: the database has a single writer, which the process's writer
 * thread keeps busy on a second core already; more processes only contend for its lock (measured slower on two
 * cores, see docs/SCALING.md). `--workers` overrides either.
 */
function defaultWorkers(opts: ServeOptions): number {
  let dialect = 'sqlite';
  try {
    dialect = parseStoreUrl(databaseUrl(opts.db, process.env, 'nextbest.db')).dialect;
  } catch {
    // a bad URL is reported when the store is opened
  }
  return dialect === 'postgres' ? availableParallelism() : 1;
}

function configOf(opts: ServeOptions): ServerConfig {
  try {
    return readServerConfig(opts.config);
  } catch (error) {
    return fail(`--config: ${(error as Error).message}`);
  }
}

function workersFromEnv(): number | undefined {
  const raw = process.env.NEXTBEST_WORKERS;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) fail(`NEXTBEST_WORKERS: must be a positive whole number (got '${raw}')`);
  return n;
}

/**
 * NEXTBEST_CLOCK_OFFSET_MS shifts the engine's clock (decisions, budget days, windows) by a fixed amount, so that
 * a test or a demo can run at a chosen time of day (tests run at midday, never across a budget day's midnight).
 */
function clockFromEnv(): (() => number) | undefined {
  const raw = process.env.NEXTBEST_CLOCK_OFFSET_MS;
  if (raw === undefined || raw === '') return undefined;
  const offset = Number(raw);
  if (!Number.isSafeInteger(offset))
    fail(`NEXTBEST_CLOCK_OFFSET_MS: must be a whole number of milliseconds (got '${raw}')`);
  return () => Date.now() + offset;
}

function webhookOf(opts: ServeOptions): WebhookOptions | undefined {
  if (!opts.webhookUrl) return undefined;
  if (!URL.canParse(opts.webhookUrl)) fail(`--webhook-url: not a URL: ${opts.webhookUrl}`);
  const secret = process.env.NEXTBEST_WEBHOOK_SECRET ?? '';
  if (secret.length < 16) fail('NEXTBEST_WEBHOOK_SECRET: set it to a secret of at least 16 characters');
  return {
    url: opts.webhookUrl,
    secret,
    ...(opts.webhookChannels ? { channels: opts.webhookChannels.split(',').map((c) => c.trim()) } : {}),
  };
}

/**
 * Opens the store and the engine on the catalog, loads the example customers into an empty database and
 * resolves the keys; `say` prints what an operator should read once (a worker passes a silent one).
 */
async function startEngine(opts: ServeOptions, say: (line: string) => void, alone = false) {
  const webhook = webhookOf(opts);
  const clock = clockFromEnv();
  // A SQLite writer thread pays off for a process serving alone: its commits wait for the disk off the event
  // loop, on the second core. Beside other worker processes it costs more than it saves (their event loops
  // use the cores while one commits; the extra thread hand-offs cost CPU): on two cores with two workers,
  // 80 % decides and 20 % outcomes, about 950 against 755 requests/s and 1.5 against 2.0 ms of CPU per request
  // (`npm run bench:serve -- --quick --stores sqlite --actions 100 --workers 2`).
  const store = await open(databaseUrl(opts.db, process.env, 'nextbest.db'), '--db', { writerThread: alone });
  const bundled = readFileSync(BUNDLED_CATALOG, 'utf8');
  const engine = await Engine.open(store, opts.catalog ? readFileSync(opts.catalog, 'utf8') : bundled, {
    ...(webhook ? { webhook } : {}),
    ...(clock ? { clock } : {}),
    retention: retentionOf(configOf(opts)),
  }).catch((error: unknown) =>
    fail(error instanceof Error ? error.message.replace(/^webhook\./, '--webhook-') : String(error)),
  );
  if (opts.catalog) {
    const { stored, created } = await engine.putCatalog(readFileSync(opts.catalog, 'utf8'));
    if (created) say(`catalog ${opts.catalog} activated as version ${stored.version}`);
  }
  // Example customers go into an empty database whichever catalog is active, as long as their profiles fit its
  // schema (the first one is the test); otherwise the reason is said, so that no catalog silently starts empty.
  if (opts.demoData && (await store.countCustomers()) === 0) {
    const customers = telcoCustomers(1000);
    const fits = await engine.putCustomer(customers[0]!.id, customers[0]!.attributes).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    if (fits === undefined) {
      for (const c of customers.slice(1)) await engine.putCustomer(c.id, c.attributes);
      say(`loaded ${customers.length} example customers (C00001 … C01000)`);
    } else
      say(
        `no example customers loaded: their profiles do not fit this catalog's schema (${fits}); --no-demo-data says nothing`,
      );
  }
  const keys = await resolveKeys(engine.store, process.env, configOf(opts)).catch((error: unknown) =>
    fail((error as Error).message),
  );
  if (keys.generated) {
    say('Generated API keys (shown once; stored as digests in the database):');
    say(`  NEXTBEST_API_KEY=${keys.generated.apiKey}`);
    say(`  NEXTBEST_ADMIN_KEY=${keys.generated.adminKey}`);
  } else {
    say(`API keys: ${keys.summary}`);
  }
  return { store, engine, keys, webhook };
}

/** Starts the HTTP server on an engine; answers the address and a function that closes everything. */
async function listen(opts: ServeOptions, started: Awaited<ReturnType<typeof startEngine>>) {
  const { store, engine, keys } = started;
  const config = configOf(opts);
  const app = await buildServer(engine, {
    keys: keys.keys,
    logger: opts.log ?? false,
    webRoot: WEB_ROOT,
    rateLimits: rateLimitsOf(config),
    ...(config.cors ? { corsOrigins: config.cors.origins } : {}),
    ...(config.customerTokenSecret ? { customerTokenSecret: config.customerTokenSecret } : {}),
  });
  const address = await app.listen({ port: opts.port, host: opts.host }).catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    return fail(
      code === 'EADDRINUSE'
        ? `--port: ${opts.host}:${opts.port} is in use`
        : `--host/--port: cannot listen on ${opts.host}:${opts.port} (${(error as Error).message})`,
    );
  });
  const close = async () => {
    await app.close();
    await engine.close();
    await store.close();
  };
  return { address, close };
}

function sayServing(
  engine: Engine,
  webhook: WebhookOptions | undefined,
  address: string,
  workers: number,
): void {
  const { stored, catalog } = engine.activeCatalog;
  console.log(
    `catalog version ${stored.version}: ${catalog.actions.length} actions, ${catalog.channels.size} channels`,
  );
  if (webhook)
    console.log(
      `outbound messages of ${webhook.channels?.join(', ') ?? 'every outbound channel'} go to ${webhook.url}`,
    );
  const processes = workers > 1 ? `, ${workers} workers` : '';
  console.log(
    `nextbest listening on ${address} (dashboard: ${address}/, API docs: ${address}/docs${processes})`,
  );
}

async function serveAlone(opts: ServeOptions): Promise<void> {
  const started = await startEngine(opts, (line) => console.log(line), true);
  const { address, close } = await listen(opts, started);
  sayServing(started.engine, started.webhook, address, 1);
  onShutdown(close);
}

async function serveWorker(opts: ServeOptions): Promise<void> {
  const started = await startEngine(opts, () => {});
  const { address, close } = await listen(opts, started);
  onShutdown(close);
  // A primary that is gone (killed) leaves its workers without a parent: they stop too.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.send?.({ type: 'nextbest:listening', address } satisfies Listening);
}

async function servePrimary(opts: ServeOptions, workers: number): Promise<void> {
  // Prepare the database once, so the workers start on a migrated store with the catalog active.
  const prepared = await startEngine(opts, (line) => console.log(line));
  const { engine, webhook } = prepared;
  await engine.close();
  await prepared.store.close();

  let stopping = false;
  let listening = 0;
  const running = new Set<Worker>();
  const fork = () => {
    const worker = cluster.fork();
    running.add(worker);
    let ready = false;
    worker.on('message', (message: Listening) => {
      if (message?.type !== 'nextbest:listening' || ready) return;
      ready = true;
      listening++;
      if (listening === workers) sayServing(engine, webhook, message.address, workers);
    });
    worker.on('exit', (code, signal) => {
      running.delete(worker);
      if (stopping) {
        if (running.size === 0) process.exit(0);
        return;
      }
      if (!ready) {
        // A worker that cannot even start (a port taken, a database gone) would fail again at once.
        console.error(`worker ${worker.process.pid} failed to start (${signal ?? `exit code ${code}`})`);
        stopping = true;
        for (const w of running) w.process.kill('SIGTERM');
        process.exit(1);
      }
      console.error(
        `worker ${worker.process.pid} stopped (${signal ?? `exit code ${code}`}); starting another`,
      );
      fork();
    });
  };
  for (let i = 0; i < workers; i++) fork();
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (running.size === 0) process.exit(0);
    for (const w of running) w.process.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
