// npm run bench:ab -- --against ../other-checkout — the serving cost of this checkout against another one
// (e.g. the last release: `git worktree add ../base <commit>`), measured as PROTOCOL.md section 4 asks: real
// server processes on copies of one database, 16 connections from autocannon, warm-up excluded, rounds
// interleaved (other, this, other, this, …); the figure is the ratio this/other per round and over all rounds.
// The database is prepared over HTTP by the other checkout's server, so any version with the same API works.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { mulberry32 } from '../src/core/random.ts';
import { progress, writeResult } from './lib/results.ts';

const opts = new Command()
  .requiredOption('--against <dir>', 'the other checkout (its bin/nextbest.mjs serves the baseline)')
  .option('--rounds <n>', 'interleaved rounds', (v) => Number(v), 4)
  .option('--duration <s>', 'seconds per scenario and round', (v) => Number(v), 10)
  .option('--customers <n>', 'customers', (v) => Number(v), 2000)
  .option('--json', 'print only the JSON figures')
  .parse()
  .opts<{ against: string; rounds: number; duration: number; customers: number; json?: boolean }>();
const log = (...args: unknown[]) => {
  if (!opts.json) console.log(...args);
};
const other = resolve(opts.against);
if (!existsSync(join(other, 'bin/nextbest.mjs')))
  throw new Error(`--against: no bin/nextbest.mjs in ${other}`);

/** 100 actions with rules, two caps on decisions and a (never reached) daily budget on every fourth action. */
const catalog = {
  name: 'bench-ab',
  channels: [{ id: 'web' }],
  schema: { customer: { age: 'number', balance: 'number' } },
  actions: Array.from({ length: 100 }, (_, i) => ({
    id: `Action${String(i).padStart(3, '0')}`,
    name: `Action ${i}`,
    issue: ['Sales', 'Service', 'Retention', 'Information'][i % 4],
    group: `Group${Math.floor(i / 4)}`,
    value: i % 3 === 0 ? `customer.balance * 0.01 + ${i}.0` : 10 + i,
    eligibility: 'customer.age >= 18',
    treatments: { web: { title: `Offer ${i}` } },
    ...(i % 4 === 0 ? { budget: { maxPerDay: 1_000_000_000 } } : {}),
  })),
  contactPolicies: [
    { id: 'cap', type: 'maxContacts', scope: 'action', count: 1000, days: 30 },
    { id: 'customer-cap', type: 'maxContacts', scope: 'customer', count: 100000, days: 7 },
  ],
  learning: { exploration: 0.05 },
};

const keys = { NEXTBEST_API_KEY: 'ab-api-key-0123456789', NEXTBEST_ADMIN_KEY: 'ab-admin-key-0123456789' };
// The older checkout ignores NEXTBEST_RATE_LIMITS; both are measured without limits.
const env = { ...process.env, ...keys, NEXTBEST_RATE_LIMITS: 'off' };
const dir = mkdtempSync(join(tmpdir(), 'nextbest-ab-'));
const children: ChildProcess[] = [];

function serve(root: string, db: string, extra: string[] = []): Promise<string> {
  const child = spawn(
    process.execPath,
    [join(root, 'bin/nextbest.mjs'), 'serve', '--db', db, '--port', '0', '--no-demo-data', ...extra],
    { env, stdio: 'pipe' },
  );
  children.push(child);
  return new Promise((ok, fail) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => fail(new Error(`${root} exited ${code}:\n${out}`)));
  });
}

const call = (url: string, method: string, path: string, body: unknown, key = keys.NEXTBEST_API_KEY) =>
  fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (r) => {
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.json() as Promise<{ decisionId: string; actions: Array<{ actionId: string }> }>;
  });

const rnd = mulberry32(11);
const pick = () => `B${Math.floor(rnd() * opts.customers)}`;

async function load(url: string, seconds: number) {
  const res = await autocannon({
    url: `${url}/v1/decide`,
    method: 'POST',
    connections: 16,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.NEXTBEST_API_KEY}` },
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ customerId: pick(), channel: 'web', limit: 3 }),
        }),
      },
    ],
  });
  if (res.non2xx > 0 || res.errors > 0)
    throw new Error(`${url}: ${res.non2xx} non-2xx, ${res.errors} errors`);
  return { requestsPerSecond: Math.round(res.requests.average), p50: res.latency.p50, p99: res.latency.p99 };
}

try {
  // The database, prepared by the other checkout: customers and some history (contacts, rejects).
  const catalogFile = join(dir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify(catalog));
  const base = join(dir, 'base.db');
  const prep = await serve(other, base, ['--catalog', catalogFile]);
  const tick = progress('prepare', opts.customers + 3000);
  for (let i = 0; i < opts.customers; i++) {
    await call(
      prep,
      'PUT',
      `/v1/customers/B${i}`,
      { attributes: { age: 18 + (i % 60), balance: (i * 37) % 5000 } },
      keys.NEXTBEST_ADMIN_KEY,
    );
    tick(i + 1);
  }
  for (let i = 0; i < 3000; i++) {
    const d = await call(prep, 'POST', '/v1/decide', { customerId: pick(), channel: 'web', limit: 3 });
    if (d.actions[0] && rnd() < 0.5)
      await call(prep, 'POST', '/v1/outcomes', {
        decisionId: d.decisionId,
        actionId: d.actions[0].actionId,
        outcome: 'reject',
      });
    tick(opts.customers + i + 1);
  }
  children.pop()!.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  copyFileSync(base, join(dir, 'this.db'));
  const [otherUrl, thisUrl] = await Promise.all([
    serve(other, base),
    serve(resolve('.'), join(dir, 'this.db')),
  ]);
  await load(otherUrl, 3);
  await load(thisUrl, 3);
  const rounds: Array<{
    other: Awaited<ReturnType<typeof load>>;
    this: Awaited<ReturnType<typeof load>>;
    ratio: number;
  }> = [];
  for (let r = 0; r < opts.rounds; r++) {
    const a = await load(otherUrl, opts.duration);
    const b = await load(thisUrl, opts.duration);
    rounds.push({
      other: a,
      this: b,
      ratio: Math.round((b.requestsPerSecond / a.requestsPerSecond) * 1000) / 1000,
    });
    log(
      `round ${r + 1}: other ${a.requestsPerSecond} req/s (p99 ${a.p99} ms), this ${b.requestsPerSecond} req/s (p99 ${b.p99} ms), ratio ${rounds[r]!.ratio}`,
    );
  }
  const sum = (f: (x: (typeof rounds)[number]) => number) => rounds.reduce((s, x) => s + f(x), 0);
  const figures = {
    against: other,
    rounds,
    ratio:
      Math.round((sum((x) => x.this.requestsPerSecond) / sum((x) => x.other.requestsPerSecond)) * 1000) /
      1000,
  };
  const path = writeResult('ab', figures, `npm run bench:ab -- ${process.argv.slice(2).join(' ')}`.trim());
  if (opts.json) console.log(JSON.stringify(figures));
  else log(`this/other over all rounds: ${figures.ratio}; results: ${path}`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
