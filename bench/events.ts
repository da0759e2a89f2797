// npm run bench:events — event ingestion throughput on SQLite with the bundled telco catalog: its eight event
// types, derived features and proactive triggers active. Two paths, each a real process:
//   CLI:  `nextbest import events <file.ndjson>` on a database with the example customers;
//   HTTP: `nextbest serve`, loaded with POST /v1/events batches from this process (a few in flight).
// The events are synthetic but shaped like the catalog expects: payloads of every type, time order with late
// arrivals, critical device alerts and moves that fire triggers (which then decide and queue messages).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { mulberry32 } from '../src/core/random.ts';
import { telcoCustomers } from '../src/demo/telcoCustomers.ts';
import { Engine } from '../src/engine/engine.ts';
import { SqliteStore } from '../src/store/sqlite/store.ts';
import { progress, writeResult } from './lib/results.ts';

const opts = new Command()
  .option('--events <n>', 'events per scenario', (v) => Number(v), 200_000)
  .option('--customers <n>', 'customers the events belong to', (v) => Number(v), 1000)
  .option('--batch <n>', 'events per HTTP request (the CLI import uses its default)', (v) => Number(v), 1000)
  .option('--concurrency <n>', 'HTTP requests in flight', (v) => Number(v), 4)
  .option('--seed <n>', 'seed of the synthetic events', (v) => Number(v), 1)
  .option('--json', 'print only the JSON figures')
  .parse()
  .opts<{
    events: number;
    customers: number;
    batch: number;
    concurrency: number;
    seed: number;
    json?: boolean;
  }>();

const log = (...args: unknown[]) => {
  if (!opts.json) console.log(...args);
};
const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'nextbest.mjs');
const CATALOG = join(ROOT, 'examples', 'telco', 'catalog.yaml');
const DAY = 86_400_000;

interface BenchEvent {
  customerId: string;
  type: string;
  timestamp: string;
  channel?: string;
  payload: Record<string, string | number | boolean>;
}

/** Synthetic events over the last 90 days, mostly in time order, 5 % arriving up to two days late. */
function syntheticEvents(n: number, customers: number, seed: number): BenchEvent[] {
  const rnd = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const now = Date.now() - 60_000;
  const start = now - 90 * DAY;
  const types: Array<[string, number, () => BenchEvent['payload'], string?]> = [
    [
      'transaction',
      0.4,
      () => ({
        amount: Math.round(rnd() * 20000) / 100,
        merchant: pick(['shop', 'fuel', 'travel']),
        category: pick(['retail', 'mobility', 'leisure']),
      }),
    ],
    ['invoice', 0.1, () => ({ amount: Math.round(20 + rnd() * 80), overdue: rnd() < 0.05 }), 'billing'],
    [
      'call',
      0.1,
      () => ({
        reason: pick(['billing', 'fault', 'contract', 'moving']),
        minutes: Math.round(rnd() * 30),
        resolved: rnd() < 0.7,
      }),
      'call-centre',
    ],
    [
      'chat',
      0.08,
      () => ({
        topic: pick(['billing', 'roaming', 'router']),
        sentiment: Math.round((rnd() * 2 - 1) * 100) / 100,
      }),
      'chat',
    ],
    [
      'social_post',
      0.05,
      () => ({
        network: pick(['x', 'instagram']),
        sentiment: Math.round((rnd() * 2 - 1) * 100) / 100,
        text: 'about my connection',
      }),
    ],
    [
      'survey',
      0.07,
      () =>
        rnd() < 0.5
          ? { kind: 'nps', score: Math.floor(rnd() * 11), touchpoint: pick(['web', 'call-centre', 'chat']) }
          : { kind: 'csat', score: 1 + Math.floor(rnd() * 5), touchpoint: pick(['web', 'app']) },
    ],
    [
      'device_alert',
      0.18,
      () => ({
        device: 'router',
        code: pick(['disconnect', 'reboot', 'signal']),
        severity: rnd() < 0.01 ? 'critical' : 'minor',
      }),
      'iot',
    ],
    ['life_event', 0.02, () => ({ kind: pick(['moving', 'newBaby', 'retirement', 'marriage']) })],
  ];
  const out: BenchEvent[] = [];
  for (let i = 0; i < n; i++) {
    let u = rnd();
    let chosen = types[0]!;
    for (const t of types) {
      chosen = t;
      u -= t[1];
      if (u < 0) break;
    }
    const [type, , payload, channel] = chosen;
    let at = start + ((now - start) * i) / n;
    if (rnd() < 0.05) at -= rnd() * 2 * DAY;
    const id = `C${String(1 + Math.floor(rnd() * customers)).padStart(5, '0')}`;
    out.push({
      customerId: id,
      type,
      timestamp: new Date(at).toISOString(),
      ...(channel ? { channel } : {}),
      payload: payload(),
    });
  }
  return out;
}

/** A database with the bundled catalog and the example customers (triggers need a profile to decide). */
async function prepareDb(path: string): Promise<void> {
  const store = new SqliteStore(path);
  await store.init();
  const engine = await Engine.open(store, readFileSync(CATALOG, 'utf8'), { checkpointMs: 0, expiryMs: 0 });
  for (const c of telcoCustomers(opts.customers)) await engine.putCustomer(c.id, c.attributes);
  await engine.close();
  await store.close();
}

interface Figures {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  triggerDecisions: number;
  messagesQueued: number;
}

async function cliScenario(dir: string, events: BenchEvent[]): Promise<Figures & { wallSeconds: number }> {
  const db = join(dir, 'cli.db');
  await prepareDb(db);
  const file = join(dir, 'events.ndjson');
  writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  const started = performance.now();
  const res = spawnSync(process.execPath, [CLI, 'import', 'events', file, '--db', db, '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NEXTBEST_PROGRESS: opts.json ? '0' : (process.env.NEXTBEST_PROGRESS ?? '') },
  });
  const wallSeconds = (performance.now() - started) / 1000;
  if (res.status !== 0) throw new Error(`import failed (${res.status}): ${res.stdout}`);
  const summary = JSON.parse(res.stdout) as {
    imported: number;
    rejected: number;
    seconds: number;
    triggered: number;
    queued: number;
  };
  if (summary.rejected > 0) throw new Error(`${summary.rejected} synthetic events were rejected`);
  return {
    events: summary.imported,
    seconds: summary.seconds,
    eventsPerSecond: summary.imported / summary.seconds,
    triggerDecisions: summary.triggered,
    messagesQueued: summary.queued,
    wallSeconds,
  };
}

async function startServe(db: string, apiKey: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--db', db, '--port', '0', '--no-demo-data'], {
    env: {
      ...process.env,
      NEXTBEST_API_KEY: apiKey,
      NEXTBEST_ADMIN_KEY: `${apiKey}-admin`,
      NEXTBEST_RATE_LIMITS: 'off',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
  return { url, child };
}

async function httpScenario(dir: string, events: BenchEvent[]): Promise<Figures> {
  const db = join(dir, 'http.db');
  await prepareDb(db);
  const apiKey = 'bench-api-key-0123456789';
  const { url, child } = await startServe(db, apiKey);
  const batches: BenchEvent[][] = [];
  for (let i = 0; i < events.length; i += opts.batch) batches.push(events.slice(i, i + opts.batch));
  const tick = progress('http', batches.length);
  let next = 0;
  let sent = 0;
  let triggerDecisions = 0;
  let messagesQueued = 0;
  const started = performance.now();
  try {
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const res = await fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        });
        const body = (await res.json()) as {
          accepted: number;
          triggered: Array<{ decisionId?: string; queued?: boolean }>;
          message?: string;
        };
        if (res.status !== 200) throw new Error(`POST /v1/events: ${res.status} ${body.message}`);
        sent += body.accepted;
        triggerDecisions += body.triggered.filter((t) => t.decisionId).length;
        messagesQueued += body.triggered.filter((t) => t.queued).length;
        tick(++done);
      }
    };
    let done = 0;
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    child.kill('SIGTERM');
  }
  const seconds = (performance.now() - started) / 1000;
  return { events: sent, seconds, eventsPerSecond: sent / seconds, triggerDecisions, messagesQueued };
}

const dir = mkdtempSync(join(tmpdir(), 'nextbest-bench-events-'));
try {
  log(`synthetic events: ${opts.events} per scenario over ${opts.customers} customers (seed ${opts.seed})`);
  const events = syntheticEvents(opts.events, opts.customers, opts.seed);
  const cli = await cliScenario(dir, events);
  log(
    `CLI import:   ${Math.round(cli.eventsPerSecond)} events/s (${cli.events} events in ${cli.seconds.toFixed(1)} s; ` +
      `${cli.wallSeconds.toFixed(1)} s with process start), ${cli.triggerDecisions} trigger decisions, ${cli.messagesQueued} messages queued`,
  );
  const http = await httpScenario(dir, events);
  log(
    `HTTP batches: ${Math.round(http.eventsPerSecond)} events/s (${http.events} events in ${http.seconds.toFixed(1)} s, ` +
      `${opts.batch} per request, ${opts.concurrency} in flight), ${http.triggerDecisions} trigger decisions, ${http.messagesQueued} messages queued`,
  );
  const figures = {
    options: opts,
    cli,
    http,
    targets: { cliEventsPerSecond: 20_000, httpEventsPerSecond: 5_000 },
  };
  const path = writeResult(
    'events',
    figures,
    `npm run bench:events -- ${process.argv.slice(2).join(' ')}`.trim(),
  );
  if (opts.json) console.log(JSON.stringify(figures, null, 2));
  else log(`results: ${path}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
