// npm run bench:soak — a long mixed load on one `nextbest serve` process (70 % decides, 20 % outcomes on
// earlier answers, 10 % events), reported slice by slice: requests/s, errors by status, and the server's
// resident memory, so that a leak or a slowdown over time shows. Default 10 minutes in 30-second slices.
import { type ChildProcess, spawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { mulberry32 } from '../src/core/random.ts';
import { Engine } from '../src/engine/engine.ts';
import { openStore } from '../src/store/open.ts';
import { progress, writeResult } from './lib/results.ts';
import { benchCatalog, benchCustomer, decideBody, waitForUrl } from './lib/serving.ts';

const opts = new Command()
  .option('--minutes <n>', 'length of the run', Number, 10)
  .option('--slice <s>', 'seconds per reported slice', Number, 30)
  .option('--customers <n>', 'customers in the store', Number, 20_000)
  .option('--actions <n>', 'catalog size', Number, 100)
  .option('--connections <n>', 'connections', Number, 16)
  .option('--db <url>', 'database (default: a new SQLite file)')
  .option('--json', 'print only the JSON result')
  .option('--profile <dir>', "write the server's CPU profile (.cpuprofile) into this folder")
  .parse()
  .opts<{
    minutes: number;
    slice: number;
    customers: number;
    actions: number;
    connections: number;
    db?: string;
    json?: boolean;
    profile?: string;
  }>();

const log = (...args: unknown[]) => {
  if (!opts.json) console.error(...args);
};
const dir = mkdtempSync(join(tmpdir(), 'nextbest-soak-'));
const ENV = {
  ...process.env,
  NEXTBEST_API_KEY: 'soak-api-key-0123456789',
  NEXTBEST_ADMIN_KEY: 'soak-admin-key-0123456789',
  NEXTBEST_RATE_LIMITS: 'off',
};

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

interface Slice {
  minute: number;
  requestsPerSecond: number;
  p99Ms: number;
  errors: Record<string, number>;
  /** Median of the slice's per-second samples. */
  rssMb: number;
}

async function main() {
  const db = opts.db ?? join(dir, 'soak.db');
  const catalog = join(dir, 'catalog.json');
  writeFileSync(
    catalog,
    JSON.stringify({
      ...benchCatalog(opts.actions),
      events: { types: { visit: { payload: { page: 'string' } } } },
    }),
  );
  const store = await openStore(db);
  const engine = await Engine.open(store, readFileSync(catalog, 'utf8'), { checkpointMs: 0 });
  const tick = progress('customers', opts.customers);
  for (let i = 0; i < opts.customers; i += 500) {
    const n = Math.min(500, opts.customers - i);
    await Promise.all(
      Array.from({ length: n }, (_, k) => engine.putCustomer(`B${i + k}`, benchCustomer(i + k))),
    );
    tick(i + n);
  }
  await engine.close();
  await store.close();

  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(opts.profile ? ['--cpu-prof', '--cpu-prof-dir', opts.profile] : []),
      'bin/nextbest.mjs',
      'serve',
      '--db',
      db,
      '--catalog',
      catalog,
      '--port',
      '0',
      '--workers',
      '1',
      '--no-demo-data',
    ],
    { env: ENV, stdio: 'pipe' },
  );
  const url = await waitForUrl(child);
  const rnd = mulberry32(7);
  const answers: Array<{ decisionId: string; actionId: string }> = [];
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${ENV.NEXTBEST_API_KEY}` };
  const next = () => {
    const r = rnd();
    if (r < 0.2 && answers.length > 0) {
      const a = answers[Math.floor(rnd() * answers.length)]!;
      return {
        path: '/v1/outcomes',
        body: JSON.stringify({ ...a, outcome: rnd() < 0.5 ? 'accept' : 'reject' }),
      };
    }
    if (r < 0.3) {
      const customerId = `B${Math.floor(rnd() * opts.customers)}`;
      return {
        path: '/v1/events',
        body: JSON.stringify({
          customerId,
          type: 'visit',
          timestamp: new Date().toISOString(),
          payload: { page: 'home' },
        }),
      };
    }
    return { path: '/v1/decide', body: decideBody(rnd, opts.customers), decide: true };
  };
  const slices: Slice[] = [];
  const total = Math.max(1, Math.round((opts.minutes * 60) / opts.slice));
  const started = Date.now();
  for (let s = 0; s < total; s++) {
    const latencies: number[] = [];
    const errors: Record<string, number> = {};
    const pending = new Map<unknown, boolean>();
    const instance = autocannon({
      url,
      method: 'POST',
      connections: opts.connections,
      duration: opts.slice,
      headers,
      requests: [
        {
          setupRequest: (req, context) => {
            const r = next();
            pending.set(context, r.decide === true);
            return { ...req, path: r.path, body: r.body };
          },
          onResponse: (status, body, context) => {
            if (status >= 300) errors[status] = (errors[status] ?? 0) + 1;
            else if (pending.get(context)) {
              const d = JSON.parse(body) as { decisionId: string; actions: Array<{ actionId: string }> };
              if (d.actions[0]) {
                answers.push({ decisionId: d.decisionId, actionId: d.actions[0].actionId });
                if (answers.length > 5000) answers.splice(0, 1000);
              }
            }
          },
        },
      ],
    }) as unknown as EventEmitter & Promise<autocannon.Result>;
    instance.on('response', (_c: unknown, _s: number, _b: number, ms: number) => latencies.push(ms));
    // RSS swings by tens of MB with each garbage collection: a slice reports the median of one sample a second.
    const rssSamples: number[] = [];
    const sampler = setInterval(() => rssSamples.push(rssMb(child.pid!)), 1000);
    const result = await instance;
    clearInterval(sampler);
    rssSamples.sort((a, b) => a - b);
    if (result.errors > 0) errors.socket = result.errors;
    latencies.sort((a, b) => a - b);
    const slice: Slice = {
      minute: Math.round(((Date.now() - started) / 60_000) * 10) / 10,
      requestsPerSecond: Math.round(result.requests.total / opts.slice),
      p99Ms: latencies[Math.max(0, Math.ceil(0.99 * latencies.length) - 1)] ?? Number.NaN,
      errors,
      rssMb: rssSamples[Math.floor(rssSamples.length / 2)] ?? rssMb(child.pid!),
    };
    slices.push(slice);
    log(
      `slice ${s + 1}/${total} (${slice.minute} min): ${slice.requestsPerSecond} req/s, p99 ${slice.p99Ms} ms, RSS ${slice.rssMb} MB, errors ${JSON.stringify(errors)}`,
    );
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  // The first slice warms up (JIT, caches): start-of-run memory is taken after it.
  const startRss = slices[Math.min(1, slices.length - 1)]!.rssMb;
  const endRss = slices.at(-1)!.rssMb;
  const result = {
    minutes: opts.minutes,
    actions: opts.actions,
    customers: opts.customers,
    slices,
    rssStartMb: startRss,
    rssEndMb: endRss,
    rssGrowth: Math.round((endRss / startRss - 1) * 1000) / 1000,
    requestsPerSecondFirst: slices[0]!.requestsPerSecond,
    requestsPerSecondLast: slices.at(-1)!.requestsPerSecond,
    errors: slices.reduce((n, s) => n + Object.values(s.errors).reduce((a, b) => a + b, 0), 0),
  };
  const saved = writeResult(
    'soak',
    result,
    `npm run bench:soak -- ${process.argv.slice(2).join(' ')}`.trim(),
  );
  log(`result: ${saved}`);
  if (opts.json) console.log(JSON.stringify(result));
  else
    log(
      `RSS ${startRss} MB after the first slice, ${endRss} MB at the end (${(result.rssGrowth * 100).toFixed(1)} %); throughput ${result.requestsPerSecondFirst} → ${result.requestsPerSecondLast} req/s; ${result.errors} errors`,
    );
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
